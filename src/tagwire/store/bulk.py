"""Bulk writes and batch lookups at the driver's speed: what an import (``tagwire.backfill``)
writes batch by batch and asks before each batch. Rows in, rows out, as the rest of the
store: the import decides every row (``backfill.bulk`` turns its decisions into these).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, bindparam, func, select, update

from tagwire.store import schema as t
from tagwire.store.write_stories import story_counts


def update_stories(conn: Connection, changed: list[dict[str, Any]], story_ids: list[int]) -> None:
    """The state of each ``changed`` story (keys sid, first, last, terms, entities, blob), then
    the counts of each of ``story_ids`` from its listed articles."""
    s = t.stories.c
    if changed:
        conn.execute(
            update(t.stories)
            .where(s.id == bindparam("sid"))
            .values(
                first_seen=bindparam("first"),
                last_seen=bindparam("last"),
                terms=bindparam("terms"),
                entity_ids=bindparam("entities"),
                meaning=bindparam("blob"),
            ),
            changed,
        )
    if not story_ids:
        return
    counts = story_counts(conn, story_ids)
    conn.execute(
        update(t.stories)
        .where(s.id == bindparam("sid"))
        .values(article_count=bindparam("n"), publishers=bindparam("p")),
        [{"sid": sid, "n": n, "p": p} for sid, (n, p) in counts.items()],
    )


def fingerprinted_since(conn: Connection, after: datetime) -> list[Any]:
    """(id, sort_at, fingerprint) of the articles since ``after`` that have a fingerprint."""
    a = t.articles.c
    return list(
        conn.execute(
            select(a.id, a.sort_at, a.fingerprint).where(
                a.listed.in_([True, False]),  # the (listed, sort_at) index, for both
                a.sort_at >= after,
                a.fingerprint.is_not(None),
            )
        ).all()
    )


def insert_near_keys(
    conn: Connection,
    keys: np.ndarray,
    of_row: np.ndarray,
    article_ids: np.ndarray,
    times: Sequence[datetime],
    chunk: int = 200_000,
) -> None:
    """Near-duplicate keys written in key order (``backfill.bulk.complete_near_keys`` says
    why): key i belongs to row ``of_row[i]``, whose article and time are ``article_ids`` and
    ``times`` at that row (each time bound once, not once a key)."""
    order = np.argsort(keys, kind="stable")
    bound = np.array(bind_values(conn, t.near_dup_keys.c.sort_at, list(times)), object)
    for i in range(0, len(order), chunk):
        part = order[i : i + chunk]
        of = of_row[part]
        columns = {
            "key": keys[part].tolist(),
            "sort_at": bound[of].tolist(),
            "article_id": article_ids[of].tolist(),
        }
        insert_columns(conn, t.near_dup_keys, columns, bound={"sort_at"})


def keyed(conn: Connection, pairs: list[tuple[int, int]]) -> set[int]:
    """The articles of these (key, article id) pairs that have that key stored."""
    k = t.near_dup_keys.c
    found: set[int] = set()
    for part in _slices(pairs, 500):
        wanted = set(part)
        rows = conn.execute(select(k.key, k.article_id).where(k.key.in_([p[0] for p in part])))
        found.update(int(r.article_id) for r in rows if (r.key, r.article_id) in wanted)
    return found


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``conn.execute(table.insert(), rows)`` for many rows, at a fraction of its cost
    (``insert_columns``). SQLAlchemy's generic path per row was a third of the writer's
    time in bench/scale.py."""
    if rows:
        insert_columns(conn, table, {n: [row[n] for row in rows] for n in rows[0]})


def insert_columns(
    conn: Connection,
    table: Table,
    columns: dict[str, Sequence[Any]],
    bound: Collection[str] = (),
) -> None:
    """Insert the rows whose values ``columns`` gives column by column: each column's bind
    processor (for the store's UTC times, JSON and booleans) applied once per distinct
    value where values can be hashed (a time recurs in an article's tags, regions and
    keys), except to the columns named in ``bound`` (their values are bound already),
    then the driver's executemany."""
    names = list(columns)
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=names)
    if compiled.positiontup is not None:  # qmark (SQLite): in the statement's order
        names = list(compiled.positiontup)
    values = [
        columns[n] if n in bound else bind_values(conn, table.c[n], columns[n]) for n in names
    ]
    if compiled.positiontup is not None:
        conn.exec_driver_sql(compiled.string, list(zip(*values, strict=True)))
    else:  # named (psycopg's pyformat)
        conn.exec_driver_sql(
            compiled.string, [dict(zip(names, v, strict=True)) for v in zip(*values, strict=True)]
        )


def bind_values(conn: Connection, column: Any, values: Sequence[Any]) -> Sequence[Any]:
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if process is None:
        return values
    try:
        distinct = {v: process(v) for v in set(values)}
    except TypeError:  # unhashable (JSON lists and objects)
        return list(map(process, values))
    return list(map(distinct.__getitem__, values))


def known_urls_of(conn: Connection, urls: list[str]) -> set[str]:
    u = t.article_urls.c
    found: set[str] = set()
    for chunk in _slices(urls, 500):
        found.update(conn.execute(select(u.url).where(u.url.in_(chunk))).scalars())
    return found


def first_by_hash(conn: Connection, hashes: list[str]) -> dict[str, int]:
    """Content hash -> the first stored article with it (as ``Writer.survivor_for_hash``)."""
    a = t.articles.c
    found: dict[str, int] = {}
    for chunk in _slices(sorted(set(hashes)), 500):
        rows = conn.execute(
            select(a.content_hash, func.min(a.id))
            .where(a.content_hash.in_(chunk))
            .group_by(a.content_hash)
        )
        found.update({str(h): int(i) for h, i in rows})
    return found


def countries_of(conn: Connection, ids: set[int]) -> dict[int, str]:
    e = t.entities.c
    found: dict[int, str] = {}
    for chunk in _slices(sorted(ids), 500):
        rows = conn.execute(select(e.id, e.country).where(e.id.in_(chunk), e.country.is_not(None)))
        found.update({int(i): str(c) for i, c in rows})
    return found


def reserve_ids(conn: Connection, table: str, n: int, after: int = 0) -> list[int]:
    """``n`` ids for rows of ``table`` written with explicit ids: past the largest stored
    and ``after`` on SQLite (where only the import writes meanwhile), from the table's
    sequence on PostgreSQL (where other writers draw from it too)."""
    if n == 0:
        return []
    if conn.dialect.name == "sqlite":
        stored = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one()
        top = max(int(stored), after)
        return list(range(top + 1, top + 1 + n))
    rows = conn.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {n})"
    )
    return [int(r[0]) for r in rows]


def _slices(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
