"""Moving a whole installation from one database to another (``tagwire db copy``), e.g. a
one-file SQLite store to PostgreSQL when one machine is not enough.

Both ends are brought to the current schema first; the target must hold no articles. Rows
go table by table in foreign-key order, in batches, inside one transaction on the target
(a failure leaves it as it was). Self-references (a folded copy's ``duplicate_of`` can point
to a later row) are written in a second step. Then the target's id sequences and search
index are brought up to date, and every table is compared on both sides by row count and
by a checksum of its rows in key order: the copy is reported only when all agree. The two
sides are read at once, the target's in a second process: on a million articles each side
is minutes of reading, encoding and hashing, which one process would do one after the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, text, update

from tagwire.errors import ConfigError
from tagwire.store import Store, search_index
from tagwire.store import schema as t
from tagwire.store.engine import WRITE

BATCH = 2000


@dataclass(frozen=True)
class TableCopy:
    name: str
    rows: int
    checksum: str


def copy_store(source_url: str, target_url: str) -> list[TableCopy]:
    source, target = Store(source_url), Store(target_url)  # both migrated on open
    try:
        tables = [table for table in t.metadata.sorted_tables if table.name != "schema_version"]
        with (
            source.engine.connect() as src,
            target.engine.connect().execution_options(**{WRITE: True}) as dst,
            dst.begin(),
        ):
            if dst.execute(select(func.count()).select_from(t.articles)).scalar_one():
                raise ConfigError(f"{target_url}: the target already holds articles")
            for table in reversed(tables):  # what migrations seeded, children first
                dst.execute(table.delete())
            for table in tables:
                _copy_table(src, dst, table)
            _reset_sequences(dst, tables)
            search_index.rebuild(dst)
        analyse(target)
        return _verify(source_url, target_url, [table.name for table in tables])
    finally:
        source.close()
        target.close()


def analyse(store: Store) -> None:
    """Statistics and visibility for PostgreSQL after a bulk load. Its planner goes by
    statistics, which a copy leaves empty until autovacuum comes, if it is on at all (it is
    off on some servers, as on the one the benchmark ran on): without them the tag
    pages of a million copied articles took seconds instead of milliseconds. VACUUM also
    sets the visibility map (index-only scans) and the rows' hint bits, which the first
    reads would otherwise write. SQLite needs neither."""
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))


def _verify(source_url: str, target_url: str, names: list[str]) -> list[TableCopy]:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        target_side = pool.submit(fingerprints, target_url, names)
        mine = fingerprints(source_url, names)
        theirs = target_side.result()
    for name, a, b in zip(names, mine, theirs, strict=True):
        if a != b:
            raise ConfigError(
                f"copy check failed on {name}: {a[0]} rows ({a[1][:12]}) "
                f"in the source, {b[0]} ({b[1][:12]}) in the target"
            )
    return [TableCopy(name, rows, digest) for name, (rows, digest) in zip(names, mine, strict=True)]


def fingerprints(url: str, names: Sequence[str]) -> list[tuple[int, str]]:
    """Row count and checksum of each named table of the store at ``url``."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return [_fingerprint(conn, t.metadata.tables[name]) for name in names]
    finally:
        store.close()


def _self_references(table: Table) -> list[str]:
    return [c.name for c in table.c if any(fk.column.table is table for fk in c.foreign_keys)]


def _copy_table(src: Connection, dst: Connection, table: Table) -> None:
    later = _self_references(table)
    keys = list(table.primary_key.columns)
    pending: list[dict[str, Any]] = []
    for batch in _batches(src, table):
        rows = [dict(r) for r in batch]
        for row in rows:
            if any(row.get(name) is not None for name in later):
                pending.append(
                    {f"k_{k.name}": row[k.name] for k in keys} | {n: row[n] for n in later}
                )
                row.update(dict.fromkeys(later))
        dst.execute(table.insert(), rows)
    if pending:
        statement = (
            update(table)
            .where(*(k == bindparam(f"k_{k.name}") for k in keys))
            .values({name: bindparam(name) for name in later})
        )
        dst.execute(statement, pending)


def _batches(conn: Connection, table: Table) -> Iterator[list[Any]]:
    result = conn.execution_options(yield_per=BATCH).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    for partition in result.mappings().partitions(BATCH):
        yield list(partition)


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL's serial sequences continue after the copied ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def _fingerprint(conn: Connection, table: Table) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for batch in _batches(conn, table):
        for row in batch:
            digest.update(json.dumps([_plain(v) for v in row.values()], default=str).encode())
            count += 1
    return count, digest.hexdigest()


def _plain(value: Any) -> Any:
    """One form per value whatever the backend stored it as."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, memoryview | bytearray):
        return bytes(value).hex()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value
