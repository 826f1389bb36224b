"""The store: one interface over SQLite (default) and PostgreSQL.

``Store`` reads and keeps sources and feeds; ``Store.rows()`` opens the one transaction in
which an article and its mentions, tags and story are written (see ``writer.Writer``): rows
in, rows out, the decisions made by the callers (``tagwire.ingest``).
"""

from __future__ import annotations

import weakref

from sqlalchemy import func, select

from tagwire.store import schema as t
from tagwire.store.articles import (
    _TAG_LIST,
    _TAG_LIST_AFTER,
    MAX_SEARCH_RESULTS,
    Articles,
    BadCursor,
    Page,
    decode_cursor,
    decode_offset,
    encode_cursor,
    encode_offset,
)
from tagwire.store.base import MAX_TAGS_PER_CARD
from tagwire.store.changes import ChangeFeed
from tagwire.store.engine import WRITE, make_engine, read_engine
from tagwire.store.migrations import migrate
from tagwire.store.records import (
    ArticleRecord,
    CardRecord,
    EntityRecord,
    FeedHealth,
    FeedRecord,
    SourceRecord,
    StoryRecord,
)
from tagwire.store.sources import DOCUMENT_PROBLEMS, Sources
from tagwire.store.stories import Stories
from tagwire.store.tags import RELATED_ARTICLES, Tags
from tagwire.store.webhooks import Webhooks
from tagwire.store.writer import Writer

__all__ = [
    "DOCUMENT_PROBLEMS",
    "MAX_SEARCH_RESULTS",
    "MAX_TAGS_PER_CARD",
    "RELATED_ARTICLES",
    "_TAG_LIST",
    "_TAG_LIST_AFTER",
    "ArticleRecord",
    "BadCursor",
    "CardRecord",
    "EntityRecord",
    "FeedHealth",
    "FeedRecord",
    "Page",
    "SourceRecord",
    "Store",
    "StoryRecord",
    "Writer",
    "decode_cursor",
    "decode_offset",
    "encode_cursor",
    "encode_offset",
]


class Store(Sources, Webhooks, Articles, Stories, Tags):
    """The facade: one object for the front ends, the pipeline and the import, its reads
    and writes split by what they are about (``sources``, ``webhooks``, ``articles``,
    ``stories``, ``tags``; ``base``: what they share)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._reads = read_engine(self.engine)
        self._feeds: weakref.WeakSet[ChangeFeed] = weakref.WeakSet()
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            migrate(conn)

    def close(self) -> None:
        for feed in list(self._feeds):
            feed.close()
        self.engine.dispose()

    def change_feed(self) -> ChangeFeed:
        """A reader of what writes changed, on a connection of its own (response caches);
        closed with the store."""
        feed = ChangeFeed(self.engine)
        self._feeds.add(feed)
        return feed

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                "articles": conn.execute(
                    select(func.count())
                    .select_from(t.articles)
                    .where(t.articles.c.listed.is_(True))
                ).scalar_one(),
                "duplicates": conn.execute(
                    select(func.count())
                    .select_from(t.articles)
                    .where(t.articles.c.listed.is_(False))
                ).scalar_one(),
                "stories": conn.execute(
                    select(func.count())
                    .select_from(t.stories)
                    .where(t.stories.c.merged_into.is_(None))  # a merged one lives on in another
                ).scalar_one(),
                "entities": conn.execute(select(func.count()).select_from(t.entities)).scalar_one(),
                "sources": conn.execute(select(func.count()).select_from(t.sources)).scalar_one(),
            }
