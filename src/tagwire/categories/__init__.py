"""An article's category: ``taxonomy`` (the 17 IPTC Media Topics, publishers' categories
mapped onto them, ``categorise``) and ``classify`` (the topic classifier ``categorise``
falls back on for an English article; its lexicon and label descriptions are the data file
``data/classify.toml``). See docs/categories.md.
"""
