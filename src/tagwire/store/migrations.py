"""Ordered schema migrations. Each runs once, in order, in its own transaction, and is
recorded in ``schema_version``; a new change is a new function appended to MIGRATIONS,
never an edit of an old one."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select

from tagwire.store import schema
from tagwire.types import now_utc


def _v1_initial(conn: Connection) -> None:
    tables = [t for t in schema.metadata.sorted_tables if t.name != "schema_version"]
    schema.metadata.create_all(conn, tables=tables)


MIGRATIONS: tuple[tuple[int, Callable[[Connection], None]], ...] = ((1, _v1_initial),)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(conn: Connection) -> list[int]:
    """Apply the migrations not yet applied; return their numbers."""
    schema.schema_version.create(conn, checkfirst=True)
    done = current_version(conn)
    applied = []
    for version, step in MIGRATIONS:
        if version > done:
            step(conn)
            conn.execute(
                schema.schema_version.insert().values(version=version, applied_at=now_utc())
            )
            applied.append(version)
    return applied
