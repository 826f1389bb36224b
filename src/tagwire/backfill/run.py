"""The import's orchestrator: batches prepared in workers, decided here in archive order
against the windows in memory, written by the store process one batch behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from tagwire.backfill.archive import Line, Record, read_lines
from tagwire.backfill.batches import Batch, Decided, Lookups, wanted_for
from tagwire.backfill.bulk import reserve_ids
from tagwire.backfill.copies import WindowCopies
from tagwire.backfill.near_index import NearDupIndex
from tagwire.backfill.prepare import Prepared, in_batches, key_array, prepared_ahead, process_pool
from tagwire.backfill.processes import _collected_by_batch
from tagwire.backfill.store_side import store_channel
from tagwire.backfill.story_index import StoryIndex
from tagwire.dedup import exact as dedup
from tagwire.dedup.near import band_key_array
from tagwire.embeddings import Vector
from tagwire.ingest.decide import decide, story_step
from tagwire.ingest.rows import article_row, entity_scores, regions, tag_rows
from tagwire.ingest.writer import ArticleWriter
from tagwire.store import Store
from tagwire.store import schema as t
from tagwire.store.write_articles import mention_row
from tagwire.stories.group import broad_place_ids, grow, merged, start
from tagwire.stories.rules import Decision, Merge, StoryRules
from tagwire.stories.table import StoryTable
from tagwire.types import StoryCandidate, now_utc, utc

BATCH = 2_000  # articles per transaction
FORGET_EVERY = 5  # batches between sweeps of the articles left behind (``Backfill._forget``)


@dataclass(slots=True)
class _Known:
    """An article the decisions may meet again: a survivor or a copy of one."""

    sort_at: datetime
    words: int
    story_id: int | None
    duplicate_of: int | None


@dataclass
class Report:
    read: int = 0
    new: int = 0
    duplicates: int = 0
    known: int = 0
    stories: int = 0
    merges: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.read} read: {self.new} new, {self.duplicates} duplicates folded, "
            f"{self.known} already stored; {self.stories} stories started, {self.merges} "
            f"merged; {len(self.problems)} bad lines; {self.seconds:.1f} s"
        )


class Backfill:
    """One import into one store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        *,
        dedup_window: timedelta = timedelta(days=30),
        rules: StoryRules | None = None,
        batch: int = BATCH,
        now: datetime | None = None,
    ) -> None:
        self.store = store
        self.rules = rules or StoryRules()
        self.batch_size = batch
        self.dedup_window = dedup_window
        self.near = NearDupIndex(dedup_window)
        self.story_index = StoryIndex(self.rules.window)
        self.stories = StoryTable()  # the window's stories, and what scoring reads of them
        self.merged_into: dict[int, int] = {}
        self.known: dict[int, _Known] = {}
        self.titles: dict[tuple[int, str], tuple[int, datetime]] = {}
        self.sources: dict[str, tuple[int, str | None]] = {}  # site URL -> id, region
        self.regions: dict[int, str | None] = {}  # source id -> region
        self.clock: datetime | None = None  # the archive's time so far
        self.pending = Batch()  # the batch decided last: being written
        self.reserved: dict[str, int] = {}  # table -> the last id the batch before took
        now = now or now_utc()
        self.keys_after = now - max(dedup_window, self.rules.window)  # older keys serve no ingest
        self.report = Report()
        self.decided = 0  # batches

    # -- the run ---------------------------------------------------------------------------

    def run(
        self,
        records: Iterable[Record | Line],
        pool: Executor | None = None,
        progress: Callable[[Report], None] | None = None,
        ahead: int = 2,
    ) -> Report:
        """Import ``records`` (in time order, or nearly: the windows tolerate some disorder);
        with a pool, ``ahead`` batches are prepared while one is decided.

        The store's side (``_StoreSide``) runs in a process of its own, a batch behind and a
        batch ahead: while batch k is decided here, it writes batch k-1 (one transaction)
        and then looks up what batch k+1's decisions will need (known URLs and texts, entity
        ids, created where new). So the store holds whole batches only, an import cut short
        anywhere is completed by running it again, and the decisions wait for the store
        only when it is the slower. What batch k+1 meets of batch k, not yet written, is in
        this process's memory (``_decide``). A process, not a thread: the writes bind their
        rows in Python between SQLite's steps, and a thread waiting for the GIL got it once
        per switch interval (5 ms) while the decisions ran, so it wrote next to nothing
        meanwhile (docs/decisions.md, "The import writes in a process of its own")."""
        began = time.perf_counter()
        batches = prepared_ahead(in_batches(records, self.batch_size), pool, ahead)
        with store_channel(self.store) as side, _collected_by_batch() as collect:
            current = next(batches, None)
            look = None
            if current is not None:
                side.submit(wanted_for(current[0]), None)
                look = side.result()
            decided: Decided | None = None
            while current is not None:
                upcoming = next(batches, None)
                side.submit(wanted_for(upcoming[0]) if upcoming else None, decided)
                batch, problems = current
                self.report.read += len(batch) + len(problems)
                self.report.problems += problems
                assert look is not None  # a batch's lookups come before it
                decided = self._decide(batch, look)
                collect()
                self.report.seconds = time.perf_counter() - began
                if progress is not None:
                    progress(self.report)
                found = side.result()  # the batch before written, the next one's lookups
                if found is not None:
                    look = found
                current = upcoming
            if decided is not None:
                side.submit(None, replace(decided, keys_after=self.keys_after))
                side.result()
        self.report.seconds = time.perf_counter() - began
        return self.report

    # -- the decisions ---------------------------------------------------------------------

    def _decide(self, prepared: list[Prepared], look: Lookups) -> Decided:
        """A batch's decisions, in memory; the few reads they need (stories and articles
        stored before the import, which the store has committed) through a connection of
        their own, each in a short transaction (``_read_done``). What the batch before
        decided may not be written yet: its URLs and texts are looked up in memory
        (``self.pending``), and ids are counted on from its last."""
        b = Batch()
        self.sources = look.sources
        self.regions = dict(look.sources.values())
        with self.store.engine.connect() as conn:
            reader = ArticleWriter(conn)
            article_ids = iter(self._reserve(conn, "articles", len(prepared)))
            story_ids = iter(self._reserve(conn, "stories", len(prepared)))
            _read_done(reader)
            seen = self.pending.urls_seen
            copies = WindowCopies(
                self.known,
                lambda a: self._ensure_known(reader, a),
                look.hash_rows,
                self.pending.hashes,
                b.hashes,
                self.near,
                self.titles,
            )
            window = WindowStories(self, reader)
            for p in prepared:
                url = p.record.url
                if url in look.known_urls or url in seen or url in b.urls_seen:
                    self.report.known += 1
                    continue
                if self.clock is None:
                    self._seed(reader, p.record.published_at)
                self._advance(p.record.published_at)
                scores = entity_scores(p.mentions, look.entity_ids, look.blocked)
                self._one(reader, b, p, next(article_ids), scores, look, story_ids, copies, window)
                self._regions(b, b.articles[-1], scores, look.countries)
        # The ids the batch used (the next one goes on from there, as from the store).
        self.reserved["articles"] = max([r["id"] for r in b.articles], default=0)
        self.reserved["stories"] = max(b.new_stories, default=0)
        decided = self._decided(b)
        self.decided += 1
        self._forget(b)
        self.pending = b
        return decided

    def _reserve(self, conn: Connection, table: str, n: int) -> list[int]:
        return reserve_ids(conn, table, n, after=self.reserved.get(table, 0))

    def _seed(self, w: ArticleWriter, at: datetime) -> None:
        """Load the windows around the first new article from the store: what an earlier
        import (cut short, say) or ingest stored there is met as if this run had seen it."""
        a, k, s = t.articles.c, t.story_keys.c, t.stories.c
        rows = w.conn.execute(
            select(a.id, a.sort_at, a.words, a.story_id, a.duplicate_of, a.fingerprint)
            .add_columns(a.source_id, a.title_key)
            .where(a.sort_at >= at - self.dedup_window)
            .order_by(a.sort_at, a.id)
        )
        for row in rows:
            when = utc(row.sort_at)
            self.known[int(row.id)] = _Known(
                when, int(row.words or 0), row.story_id, row.duplicate_of
            )
            if row.title_key:
                self.titles[(int(row.source_id), str(row.title_key))] = (int(row.id), when)
            if row.fingerprint:
                fp = bytes(row.fingerprint)
                keys = band_key_array(fp)
                self.near.add(int(row.id), keys, fp, when)
        story_keys = w.conn.execute(
            select(k.key, k.story_id, k.at).where(k.at >= at - self.rules.window).order_by(k.at)
        )
        for key, story_id, when in story_keys:
            self.story_index.add([str(key)], int(story_id), utc(when))
        merges = w.conn.execute(select(s.id, s.merged_into).where(s.merged_into.is_not(None)))
        self.merged_into.update({int(gone): int(keep) for gone, keep in merges})
        copied = {k.duplicate_of for k in self.known.values() if k.duplicate_of is not None}
        for survivor in copied - self.known.keys():  # stored before the window
            self._ensure_known(w, survivor)
        _read_done(w)

    def _advance(self, at: datetime) -> None:
        if self.clock is None or at > self.clock:
            self.clock = at
            self.near.forget_before(at)
            self.story_index.forget_before(at)

    def _forget(self, b: Batch) -> None:
        """After a batch: drop what no later article can meet (stories, titles and articles
        older than their windows), so memory stays flat. What the batch wrote is kept
        whatever its time, until the next: it may not be in the store yet. The titles and
        articles only every FORGET_EVERY batches: what is kept longer is what the store
        would give (the stories every batch: one read back from the store has its meaning
        vector in float16, and a story's decisions would then depend on when it left)."""
        if self.clock is None:
            return
        at = self.clock
        horizon = at - self.rules.window
        written = b.touched_stories | b.new_stories
        for gone in self.stories.last_seen_before(horizon):
            if gone not in written:
                del self.stories[gone]
        if self.decided % FORGET_EVERY:
            return
        self.titles = {k: v for k, v in self.titles.items() if at - v[1] <= dedup.TITLE_WINDOW}
        near = set(self.near.ids().tolist())
        kept = {
            a for a, k in self.known.items() if a in near or at - k.sort_at <= dedup.TITLE_WINDOW
        }
        kept.update(row["id"] for row in b.articles)
        for a in list(kept):  # and the survivors of the copies kept
            while (up := self.known[a].duplicate_of) is not None and up not in kept:
                kept.add(up)
                a = up
        self.known = {a: self.known[a] for a in kept}
        # merged_into stays whole: a copy may meet its survivor's story, merged away days
        # ago, and merges are few (about one story in 200).

    # -- one article -----------------------------------------------------------------------

    def _one(
        self,
        w: ArticleWriter,
        b: Batch,
        p: Prepared,
        article_id: int,
        scores: dict[int, float],
        look: Lookups,
        story_ids: Iterator[int],
        copies: WindowCopies,
        stories: WindowStories,
    ) -> None:
        r = p.record
        at = r.published_at
        source_id, _ = self.sources[r.source]
        fingerprint = p if p.fingerprint is not None else None
        verdict = decide(copies, fingerprint, p.content_hash, source_id, p.title_key, at, p.words)
        survivor, replaces, listed = verdict.survivor, verdict.replaces, verdict.listed
        broad = frozenset[int]()
        if survivor is None:
            broad = broad_place_ids(
                ((m.kind.value, m.name), look.entity_ids[m.kind.value, m.name]) for m in p.mentions
            )
        survivor_story = self.known[survivor].story_id if survivor is not None else None
        step = story_step(
            stories, verdict, survivor_story, p.term_keys, p.terms, scores, at, p.meaning, broad
        )
        decision, candidates = step.decision, step.candidates
        story_id: int | None = survivor_story
        if survivor is None:
            assert decision is not None  # a new article always has a story decision
            story_id = self._join(b, decision, r.title, p, scores, story_ids)
            if step.keys:
                self.story_index.add(step.keys, story_id, at)
                if at >= self.keys_after:
                    b.story_keys.extend(
                        {"key": k, "story_id": story_id, "at": at} for k in step.keys
                    )
        elif decision is not None:  # a copy that replaces its survivor joins its story
            story_id = decision.story_id
            assert story_id is not None
            story = self._story(w, story_id)
            self.stories[story_id] = grow(story, p.terms, scores, at, p.meaning)
            b.touched_stories.add(story_id)
        self.known[article_id] = _Known(at, p.words, story_id, None if listed else survivor)
        if survivor is not None and replaces:
            self.known[survivor].duplicate_of = article_id
            b.folds.append((survivor, article_id))
        self._rows(b, p, article_id, source_id, survivor, listed, decision, story_id, scores)
        self._remember(b, p, article_id, source_id, look.entity_ids)
        if candidates and story_id is not None:
            # The candidates as scored: only the story joined has changed since, and it is
            # not its own candidate.
            merge = stories.converged(story_id, candidates)
            if merge is not None:
                self._merge(b, merge)
        if listed:
            self.report.new += 1
        else:
            self.report.duplicates += 1

    def _ensure_known(self, w: ArticleWriter, article_id: int) -> int:
        """An article from before this import (an exact copy of a new one): read it."""
        if article_id not in self.known:
            a = t.articles.c
            row = w.conn.execute(
                select(a.sort_at, a.words, a.story_id, a.duplicate_of).where(a.id == article_id)
            ).one()
            _read_done(w)
            self.known[article_id] = _Known(
                utc(row.sort_at), int(row.words or 0), row.story_id, row.duplicate_of
            )
            if row.duplicate_of is not None:
                self._ensure_known(w, int(row.duplicate_of))
        return article_id

    def _final(self, story_id: int) -> int:
        while story_id in self.merged_into:
            story_id = self.merged_into[story_id]
        return story_id

    def _story(self, w: ArticleWriter, story_id: int) -> StoryCandidate:
        if story_id not in self.stories:  # stored before the import, or left memory
            self.stories[story_id] = w.story(story_id)
            _read_done(w)
        return self.stories[story_id]

    def _join(
        self,
        b: Batch,
        decision: Decision,
        title: str,
        p: Prepared,
        scores: dict[int, float],
        story_ids: Iterator[int],
    ) -> int:
        at = p.record.published_at
        if decision.story_id is None:
            story_id = next(story_ids)
            self.stories[story_id] = start(story_id, title, p.terms, scores, at, p.meaning)
            b.new_stories.add(story_id)
            self.report.stories += 1
        else:
            story_id = decision.story_id
            self.stories[story_id] = grow(self.stories[story_id], p.terms, scores, at, p.meaning)
            b.touched_stories.add(story_id)
        return story_id

    def _merge(self, b: Batch, merge: Merge) -> None:
        gone = self.stories.pop(merge.gone)
        self.stories[merge.keep] = merged(self.stories[merge.keep], gone)
        if merge.gone in b.new_stories:
            b.gone[merge.gone] = gone
        self.merged_into[merge.gone] = merge.keep
        b.merges.append(merge)
        b.touched_stories.add(merge.keep)
        self.report.merges += 1

    def _rows(
        self,
        b: Batch,
        p: Prepared,
        article_id: int,
        source_id: int,
        survivor: int | None,
        listed: bool,
        decision: Decision | None,
        story_id: int | None,
        scores: dict[int, float],
    ) -> None:
        r = p.record
        row = article_row(
            source_id=source_id,
            feed_id=None,
            url=r.url,
            title=r.title,
            summary=p.summary,
            text=r.text,
            author=r.author,
            image=r.image,
            category=p.category,
            language=p.language,
            published_at=r.published_at,
            first_seen_at=r.published_at,
            content_hash=p.content_hash,
            extraction="archive",
            words=p.words,
            title_key=p.title_key,
            fingerprint=p.fingerprint,
            story_id=story_id,
            decision=decision,
            duplicate_of=None if listed else survivor,
        )
        row["id"] = article_id
        b.articles.append(row)
        b.urls.append({"url": r.url, "article_id": article_id})
        if not listed:
            return
        b.tags.extend(tag_rows(article_id, r.published_at, scores))
        b.tag_counts.update(scores.keys())

    def _remember(
        self,
        b: Batch,
        p: Prepared,
        article_id: int,
        source_id: int,
        entity_ids: dict[tuple[str, str], int],
    ) -> None:
        at = p.record.published_at
        b.urls_seen[p.record.url] = article_id
        b.hashes.setdefault(p.content_hash, article_id)
        self.titles[(source_id, p.title_key)] = (article_id, at)
        if p.fingerprint is not None and p.band_keys is not None:
            self.near.add(article_id, key_array(p.band_keys), p.fingerprint, at)
        b.mentions.extend(
            mention_row(article_id, entity_ids[(m.kind.value, m.name)], m) for m in p.mentions
        )

    def _regions(
        self,
        b: Batch,
        row: dict[str, Any],
        scores: dict[int, float],
        countries: dict[int, str],
    ) -> None:
        if not row["listed"]:
            return
        found = regions(
            self.regions[row["source_id"]], (countries[e] for e in scores if e in countries)
        )
        for region in found:
            b.regions.append({"region": region, "article_id": row["id"], "sort_at": row["sort_at"]})

    # -- the batch's writes ----------------------------------------------------------------

    def _decided(self, b: Batch) -> Decided:
        """The batch as the store's side writes it, with every story id final (a story
        merged away later in the batch is no home)."""
        for row in b.articles:
            if row["story_id"] is not None:
                row["story_id"] = self._final(row["story_id"])
        live = {self._final(s) for s in b.touched_stories | b.new_stories}
        return Decided(
            batch=b,
            new_stories=[b.gone.get(s) or self.stories[s] for s in sorted(b.new_stories)],
            moves=[(merge, self._final(merge.keep)) for merge in b.merges],
            live_stories=[self.stories[s] for s in sorted(live) if s in self.stories],
        )


class WindowStories:
    """``decide.StoryLookups`` answered by the import's story window in memory (its key
    index and ``StoryTable``), stories stored before the import read on demand."""

    def __init__(self, backfill: Backfill, reader: ArticleWriter) -> None:
        self.b = backfill
        self.reader = reader

    def candidates(self, keys: list[str], at: datetime) -> list[int]:
        b, merged = self.b, self.b.merged_into
        found = [b._final(s) if s in merged else s for s in b.story_index.find(keys, at)]
        candidates = list(dict.fromkeys(found))
        for s in b.stories.lacking(candidates):
            b._story(self.reader, s)  # into the table
        return candidates

    def choose(
        self,
        vector: dict[str, float],
        scores: dict[int, float],
        at: datetime,
        candidates: list[int],
        meaning: Vector | None,
        broad: frozenset[int],
    ) -> Decision:
        return self.b.stories.choose(vector, scores, at, candidates, self.b.rules, meaning, broad)

    def final(self, story_id: int) -> int:
        return self.b._final(story_id)

    def converged(self, story_id: int, candidates: list[int]) -> Merge | None:
        # The candidates as scored: only the story joined has changed since, and it is not
        # its own candidate.
        return self.b.stories.merge(self.b.stories[story_id], candidates, self.b.rules)


def _read_done(w: ArticleWriter) -> None:
    """End the decisions' read transaction. Held through a batch's decisions while the store
    process wrote, SQLite could never restart its write-ahead log: 4 GB of it at 160,000
    articles (bench/scale.py), every read searching it."""
    w.conn.rollback()


def run_file(
    store: Store,
    path: Path,
    *,
    workers: int = 1,
    dedup_window: timedelta = timedelta(days=30),
    progress: Callable[[Report], None] | None = None,
) -> Report:
    """Import the JSON-lines archive at ``path`` (``tagwire import``)."""
    backfill = Backfill(store, dedup_window=dedup_window)
    if workers < 1:
        return backfill.run(read_lines(path), None, progress)
    with process_pool(workers) as pool:
        return backfill.run(read_lines(path), pool, progress, ahead=2 * workers)
