"""What ingest and the import decide before the store writes, in one place for both.

The store (``tagwire.store``) reads and writes rows and imports no stage; the decisions that
turn an analysed article into rows live here, called by the pipeline article by article and
by the import (``tagwire.backfill``) batch by batch, so the two agree by construction:

- ``rows``: the rows of an article (its ``articles`` row, tags, editions) and of a story
  (the story stage's ``StoryCandidate`` as the store keeps it);
- ``tagging``: which entity each name is (``entities.identity`` over the store's lookups),
  the columns a new entity gets (slug, aliases, family name, country), the abbreviations an
  article teaches, the kinds its mentions vote for, the display names that follow the
  press, and curation's splits;
- ``writer``: ``ArticleWriter``, one article's transaction as the pipeline writes it.
"""
