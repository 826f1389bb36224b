"""What every part of the store's interface shares: the engines, a read connection, a
write transaction of rows, and the entity columns cards and pages read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, func

from tagwire.store import schema as t
from tagwire.store.engine import WRITE
from tagwire.store.records import EntityRecord
from tagwire.store.writer import Writer

MAX_TAGS_PER_CARD = 10
# What an EntityRecord holds: selecting whole rows also parsed a datetime per tag of a card.
ENTITY = (
    t.entities.c.id,
    t.entities.c.slug,
    t.entities.c.name,
    t.entities.c.kind,
    t.entities.c.article_count,
)


class Base:
    """The engines (``Store.__init__`` makes them) and what every part reads through."""

    engine: Engine
    _reads: Engine

    def _read(self) -> Connection:
        """A connection for reading (see ``engine.read_engine``)."""
        return self._reads.connect()

    def _rows(self, query: Any) -> list[Any]:
        with self._read() as conn:
            return list(conn.execute(query).all())

    @contextmanager
    def rows(self) -> Iterator[Writer]:
        """One write transaction: rows in, rows out (``writer.Writer``)."""
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            yield Writer(conn)

    def _utc_day(self, column: Any) -> Any:
        if self.engine.dialect.name == "sqlite":
            return func.substr(column, 1, 10)  # stored as "YYYY-MM-DD HH:MM:SS[.ffffff]", UTC
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def entity_record(row: Any) -> EntityRecord:
    m = row._mapping
    return EntityRecord(
        id=m["id"], slug=m["slug"], name=m["name"], kind=m["kind"], article_count=m["article_count"]
    )
