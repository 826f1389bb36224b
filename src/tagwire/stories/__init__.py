"""Online grouping of articles into stories (pure decisions; the pipeline feeds them).

Each new article joins the best recent story or starts a new one. Similarity, after Miranda
et al. 2018 (multilingual streaming news clustering): the cosine of the headline's meaning
vector (tagwire.embeddings) and the story's mean vector, plus a little of the cosine of
title+lead term vectors and of the share of entities the article and the story have in
common, among stories whose last article is within a time window. A shared entity counts by
how specific it is: its inverse document frequency among the window's candidate stories
(a tag that every recent story carries says little of which event this is). The story keeps
the mean of its articles' vectors and a centroid of their terms. When the story an article
joined has grown close to another recent story, the two become one (choose_merge), judged
on the evidence both have gathered (mean vectors and term centroids): a story that started
as two groups of differently worded headlines comes together once each group's mean says
what it is about.

The package: ``rules`` (the rules, an article's terms, a decision), ``table`` (StoryTable:
scoring many candidate stories at once), ``kernels`` (its compiled loops) and ``group``
(choose, grow, merge; what a story is found by).
"""
