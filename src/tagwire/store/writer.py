"""Rows in, rows out, inside one write transaction: an article and what hangs on it, entities,
stories. No decision is made here (which copy survives, which entity a name is, what a
story becomes): the callers decide (``tagwire.ingest``: the pipeline, the import,
curation) and hand this writer the rows. So the store imports no stage
(tests/test_imports.py), and ingest and import write through the same methods.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from tagwire.store.curator import Curator
from tagwire.store.lookups import EntityLookups
from tagwire.store.write_articles import ArticleWrites
from tagwire.store.write_base import record_change
from tagwire.store.write_copies import CopyWrites
from tagwire.store.write_entities import EntityWrites
from tagwire.store.write_stories import StoryWrites


class Writer(CopyWrites, EntityWrites, StoryWrites, ArticleWrites):
    """Bound to a connection inside a write transaction (see ``Store.rows``); its rows by
    subject: copies, entities, stories, articles (``write_*.py``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lookups = EntityLookups(conn)

    def changed(self, entity_ids: Iterable[int] | None) -> None:
        """``record_change`` in this transaction."""
        record_change(self.conn, entity_ids)

    def curator(self) -> Curator:
        """Curation's rows on this transaction (an import's learned alias may merge)."""
        return Curator(self.conn)
