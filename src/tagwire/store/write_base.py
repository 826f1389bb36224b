"""What every write of the store's writer shares: the transaction's connection, the id of an
inserted row, and the change log that tells the web processes' caches what a write
changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import Connection, CursorResult

from tagwire.store import schema as t
from tagwire.types import now_utc

CHANGES_KEPT = timedelta(days=1)  # longer than any cache's time to live
CHANGES_PRUNE_EVERY = 1000  # rows; the prune is one indexed delete


class WriteBase:
    """A part of ``writer.Writer``: its methods run on ``conn``, inside one write
    transaction."""

    conn: Connection


def record_change(conn: Connection, entity_ids: Iterable[int] | None) -> None:
    """Tell the web processes' response caches what a write changed: the pages of these tags
    (and every page not about a tag), or with None everything. In the writer's transaction,
    so a cache learns of a change exactly when its rows become visible."""
    ids = None if entity_ids is None else sorted(set(entity_ids))
    change_id = conn.execute(
        t.changes.insert().values(entity_ids=ids, at=now_utc())
    ).inserted_primary_key
    if change_id and int(change_id[0]) % CHANGES_PRUNE_EVERY == 0:
        conn.execute(t.changes.delete().where(t.changes.c.at < now_utc() - CHANGES_KEPT))


def new_id(result: CursorResult[object]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
