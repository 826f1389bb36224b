"""The import's store process: a job is one transaction, the rows of the batch decided last,
then the lookups of the next batch (``Backfill.run`` says why a process, not a thread).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing import get_context
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import make_url

from tagwire.backfill.batches import Decided, Lookups, Wanted
from tagwire.backfill.bulk import (
    complete_near_keys,
    countries_of,
    first_by_hash,
    insert_many,
    known_urls_of,
    story_row,
    update_stories,
)
from tagwire.backfill.processes import STORE_NICENESS, _collected_by_batch, start_helper
from tagwire.ingest import tagging
from tagwire.ingest.writer import ArticleWriter, writing
from tagwire.store import Store, search_index
from tagwire.store import schema as t
from tagwire.types import Source

log = logging.getLogger("tagwire.backfill")


ENTITY_CACHE = 500_000  # (kind, name) -> id pairs remembered (~100 MB at most)


class _StoreSide:
    """What an import asks of the store and writes to it, batch after batch, one transaction
    a job (see ``Backfill.run``); in a process of its own (or in line: ``store_channel``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sources: dict[str, tuple[int, str | None]] = {}  # site URL -> id, region
        self.entities: dict[tuple[str, str], int] = {}  # (kind, name) -> id

    def job(self, wanted: Wanted | None, decided: Decided | None) -> Lookups | None:
        """Write the batch decided last (one transaction), then look up what the batch to
        decide next needs (another: the entities it names are created). Entity names are
        resolved against display names as the batches written so far left them: one batch
        later than when each batch is written before the next is read (ingest, article by
        article, is later still: a batch's names are all resolved before any is counted)."""
        if decided is not None:
            with self._writer() as w:
                self._write(w, decided)
            if decided.keys_after is not None:
                with self._writer() as w:
                    complete_near_keys(w.conn, decided.keys_after)
        if wanted is None:
            return None
        self._upsert_sources(wanted.sources)
        with self._writer() as w:
            return self._lookups(w, wanted)

    @contextmanager
    def _writer(self) -> Iterator[ArticleWriter]:
        with writing(self.store) as w:
            if w.conn.dialect.name == "sqlite":
                # 256 MB of page cache instead of 2: the indexes of a growing store (URLs,
                # hashes, tags) are written at random places, and past the cache every
                # insert reads pages back (bench/scale.py's rate fell by a third over 1M).
                # 1 GB gave the same time at 1M (the store's CPU an article still rose from
                # 0.28 to 0.41 ms over the run) for 0.8 GB more memory.
                w.conn.exec_driver_sql("PRAGMA cache_size=-262144")
                # A checkpoint copies the pages the WAL holds into the database; SQLite's
                # every 1,000 pages copied the same index pages after every batch. Every
                # 50,000 (a WAL of ~200 MB): 60 instead of 63.5 s of the store's CPU over
                # 200,000 articles of bench/scale.py's archive.
                w.conn.exec_driver_sql("PRAGMA wal_autocheckpoint=50000")
            yield w

    def _upsert_sources(self, sites: dict[str, str]) -> None:
        if not self.sources:
            self._load_sources()
        new = [Source(name=n, url=u, feeds=()) for u, n in sites.items() if u not in self.sources]
        if new:
            self.store.upsert_sources(new)
            self._load_sources()

    def _load_sources(self) -> None:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t.sources.c.id, t.sources.c.url, t.sources.c.region))
            self.sources = {str(r.url): (int(r.id), r.region) for r in rows}

    def _lookups(self, w: ArticleWriter, wanted: Wanted) -> Lookups:
        entity_ids = self._entity_ids(w, wanted)
        return Lookups(
            known_urls=known_urls_of(w.conn, wanted.urls),
            hash_rows=first_by_hash(w.conn, wanted.hashes),
            entity_ids=entity_ids,
            blocked=w.blocked(entity_ids.values()),
            countries=countries_of(w.conn, set(entity_ids.values())),
            sources=self.sources,
        )

    def _entity_ids(self, w: ArticleWriter, wanted: Wanted) -> dict[tuple[str, str], int]:
        """``ArticleWriter.entity_ids``, remembered: an archive names the same people and
        places over and over, and asking the store for a batch's few thousand names was a
        tenth of the writer's time. Only this import writes entities meanwhile (see above).
        The new names are asked in ``tagging.resolution_rounds``, so that two articles of a
        batch naming one entity differently (another kind, a nickname) get one entity, as
        in ingest, not one each."""
        names = wanted.names
        if len(self.entities) + len(names) > ENTITY_CACHE:
            self.entities.clear()
        new = [[n for n in article if n not in self.entities] for article in wanted.by_article]
        for names_at_once in tagging.resolution_rounds(new):
            self.entities.update(w.entity_ids(names_at_once))
        return {n: self.entities[n] for n in names}

    @staticmethod
    def _write(w: ArticleWriter, decided: Decided) -> None:
        conn, b = w.conn, decided.batch
        if decided.new_stories:
            insert_many(conn, t.stories, [story_row(s) for s in decided.new_stories])
        for table, rows in (
            (t.articles, b.articles),
            (t.article_urls, b.urls),
            (t.story_keys, b.story_keys),
            (t.mentions, b.mentions),
            (t.article_tags, b.tags),
            (t.article_regions, b.regions),
        ):
            insert_many(conn, table, rows)
        # What ingest does when it writes an article's mentions (the abbreviations they
        # teach, the kinds they vote for, the name forms of listed articles), by the same
        # function, but for merging an entity known only by the abbreviation: the decisions
        # keep entity ids across batches.
        listed = {r["id"] for r in b.articles if r["listed"]}
        tagging.after_mentions(w, b.mentions, listed, merge=False)
        for merge, final in decided.moves:  # articles of earlier batches follow their story
            conn.execute(
                update(t.articles).where(t.articles.c.story_id == merge.gone).values(story_id=final)
            )
            conn.execute(
                update(t.stories)
                .where(t.stories.c.id == merge.gone)
                .values(merged_into=merge.keep, merge_similarity=merge.similarity, article_count=0)
            )
        update_stories(conn, decided.live_stories, {s.id for s in decided.new_stories})
        if b.tag_counts:
            e = t.entities.c
            conn.execute(
                update(t.entities)
                .where(e.id == bindparam("e"))
                .values(article_count=e.article_count + bindparam("n")),
                [{"e": k, "n": n} for k, n in b.tag_counts.items()],
            )
        search_index.add_many(conn, [r["id"] for r in b.articles if r["listed"]])
        for old, new_id in b.folds:
            w.fold(old, into=new_id)
        w.changed(None)


class _Channel(Protocol):
    """The decisions' end of the store's side: one job at a time."""

    def submit(self, wanted: Wanted | None, decided: Decided | None) -> None: ...

    def result(self) -> Lookups | None: ...


@contextmanager
def store_channel(store: Store) -> Iterator[_Channel]:
    """The store's side in a process of its own; in line, job after decisions, for SQLite
    in memory, which no other process (nor thread: each has its own) can open. On the way
    out (an error included) the process finishes the job under way, never cuts it; in line,
    a job not yet run is dropped. Either way the store holds whole batches."""
    url = make_url(store.url)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        yield _InLine(_StoreSide(store))
        return
    ctx = get_context("spawn")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(store.url, theirs), name="tagwire-import-store")
    process.start()
    theirs.close()
    try:
        yield _InProcess(ours, process)
    finally:
        with suppress(OSError):
            ours.send(None)  # after the job under way
        process.join()
        ours.close()


class _InLine:
    def __init__(self, side: _StoreSide) -> None:
        self.side = side
        self.job: tuple[Wanted | None, Decided | None] = (None, None)

    def submit(self, wanted: Wanted | None, decided: Decided | None) -> None:
        self.job = (wanted, decided)

    def result(self) -> Lookups | None:
        return self.side.job(*self.job)


class _InProcess:
    def __init__(self, conn: Any, process: Any) -> None:
        self.conn, self.process = conn, process

    def submit(self, wanted: Wanted | None, decided: Decided | None) -> None:
        self.conn.send((wanted, decided))

    def result(self) -> Lookups | None:
        try:
            ok, value = self.conn.recv()
        except EOFError:
            raise RuntimeError(
                f"the import's store process ended (exit code {self.process.exitcode})"
            ) from None
        if not ok:
            raise RuntimeError(f"the import's store process failed: {value}")
        found: Lookups | None = value
        return found


def _serve(url: str, conn: Any) -> None:
    """The store's side in its own process: jobs from ``conn`` until None, each answered
    with (True, its lookups) or (False, the error that stopped it). When the import's
    process is gone (EOF), the transaction under way is rolled back."""
    start_helper(STORE_NICENESS)
    store = Store(url)
    side = _StoreSide(store)
    try:
        with _collected_by_batch() as collect:
            while (job := conn.recv()) is not None:
                try:
                    found = side.job(*job)
                except Exception as exc:
                    log.exception("import: the store's side failed")
                    conn.send((False, f"{type(exc).__name__}: {exc}"))
                    continue
                conn.send((True, found))
                collect()
    except (EOFError, BrokenPipeError):
        pass
    finally:
        store.close()
