"""The import's SQL: bulk inserts at the driver's speed, the batch lookups (known URLs, texts,
countries), explicit ids, story rows and counts, and the near-duplicate keys written at the
import's end. What ``store/bulk`` should own once the store takes bulk writes (issue 27).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, bindparam, func, select, update

from tagwire.embeddings import to_blob
from tagwire.neardup import band_key_array
from tagwire.store import schema as t
from tagwire.store.writer import story_counts
from tagwire.types import StoryCandidate


def story_row(s: StoryCandidate) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "first_seen": s.first_seen,
        "last_seen": s.last_seen,
        "article_count": s.size,
        "publishers": 1,
        "terms": s.terms,
        "entity_ids": sorted(s.entity_ids),
        "meaning": None if s.meaning is None else to_blob(s.meaning),
    }


def update_stories(conn: Connection, stories: list[StoryCandidate], inserted: set[int]) -> None:
    """Each touched story's state (but those just ``inserted`` as they are now), and its
    counts from its listed articles."""
    if not stories:
        return
    s = t.stories.c
    changed = [st for st in stories if st.id not in inserted]
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
            [
                {
                    "sid": st.id,
                    "first": st.first_seen,
                    "last": st.last_seen,
                    "terms": st.terms,
                    "entities": sorted(st.entity_ids),
                    "blob": None if st.meaning is None else to_blob(st.meaning),
                }
                for st in changed
            ],
        )
    counts = story_counts(conn, [st.id for st in stories])
    conn.execute(
        update(t.stories)
        .where(s.id == bindparam("sid"))
        .values(article_count=bindparam("n"), publishers=bindparam("p")),
        [{"sid": sid, "n": n, "p": p} for sid, (n, p) in counts.items()],
    )


def complete_near_keys(conn: Connection, after: datetime, chunk: int = 200_000) -> int:
    """Write the LSH band keys of the articles since ``after`` that have none, derived from
    their stored fingerprints (as ingest's ``ArticleWriter.insert_article`` writes them), in key
    order; return how many articles got keys.

    An import writes these keys at its end, not batch by batch: a batch's 64 keys an
    article land at random places in the key index, so every commit rewrote most of the
    index's pages, and over an archive's last 30 days the keys cost the store more than
    everything else the batches wrote (bench/scale.py). Derived data, so an import cut
    short loses nothing: its next run writes what is missing."""
    a = t.articles.c
    rows = conn.execute(
        select(a.id, a.sort_at, a.fingerprint).where(
            a.listed.in_([True, False]),  # the (listed, sort_at) index, for both
            a.sort_at >= after,
            a.fingerprint.is_not(None),
        )
    ).all()
    keys = [np.unique(band_key_array(bytes(r.fingerprint))) for r in rows]
    # An article's keys are written in one transaction: it has them all if it has its least.
    have = _keyed(conn, [(int(each[0]), r.id) for each, r in zip(keys, rows, strict=True)])
    wanted = [i for i, r in enumerate(rows) if r.id not in have]
    if not wanted:
        return 0
    of_row = np.repeat(wanted, [len(keys[i]) for i in wanted])
    all_keys = np.concatenate([keys[i] for i in wanted])
    order = np.argsort(all_keys, kind="stable")
    ids = np.array([r.id for r in rows])
    times = np.array(_bind(conn, t.near_dup_keys.c.sort_at, [r.sort_at for r in rows]), object)
    for i in range(0, len(order), chunk):
        part = order[i : i + chunk]
        of = of_row[part]
        columns = {
            "key": all_keys[part].tolist(),
            "sort_at": times[of].tolist(),
            "article_id": ids[of].tolist(),
        }
        insert_columns(conn, t.near_dup_keys, columns, bound={"sort_at"})
    return len(wanted)


def _keyed(conn: Connection, pairs: list[tuple[int, int]]) -> set[int]:
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
    values = [columns[n] if n in bound else _bind(conn, table.c[n], columns[n]) for n in names]
    if compiled.positiontup is not None:
        conn.exec_driver_sql(compiled.string, list(zip(*values, strict=True)))
    else:  # named (psycopg's pyformat)
        conn.exec_driver_sql(
            compiled.string, [dict(zip(names, v, strict=True)) for v in zip(*values, strict=True)]
        )


def _bind(conn: Connection, column: Any, values: Sequence[Any]) -> Sequence[Any]:
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
