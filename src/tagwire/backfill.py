"""Backfill: an archive of articles brought into the store in bulk, each article folded
into its near-duplicates and grouped into its story exactly as ingest does it.

Ingest writes one article per transaction and finds near-duplicates and stories through the
store's key tables, so that any number of workers share them (~10 ms an article, most of it
in the store). An archive (an export, a crawl, another aggregator's dump) is a different
job: one writer, millions of articles, in time order. Here the windowed indexes live in
this process's memory, built for it (the LSH keys of the last ``dedup window`` in sorted
numpy segments, the story keys of the last story window in per-segment dicts, both dropped
whole as the archive's clock moves past them, so memory stays flat however long the
archive), exact URL and text matches go to the store for all history (one query per batch),
and the rows are written in batches of ``batch`` articles, one transaction each, by a
process of their own while the next batch is decided (``Backfill.run``). The decisions are
the ingest's own functions (``neardup.best_match_packed``, ``stories.choose_story`` and
``choose_merge`` on a ``StoryTable`` kept for the window, ``grow``/``start``,
``dedup.new_copy_survives``); the pure work (hashes, MinHash, term and meaning vectors)
runs in worker processes.

Run it while no ingest writes to the same store: the in-memory indexes do not see articles
another process writes meanwhile (they would be missed as duplicates, never corrupt the
store). Webhooks are not called for archived articles: they announce news as it arrives.
The key tables are written only for articles recent enough to be candidates for ingest
after the import (within the windows of now); the near-duplicate keys at the import's end,
in key order, from the stored fingerprints (``complete_near_keys``: an ingest running
beside an import meets the imported articles as near-duplicates only after it).

Archive format: JSON lines, one article per line::

    {"url": "...", "title": "...", "text": "...", "source": "https://publisher.example/",
     "published_at": "2026-11-20T08:00:00Z", "summary": "...", "author": "...",
     "image": "...", "category": "Sport", "language": "en",
     "mentions": [{"surface": "...", "name": "...", "kind": "person", "start": 0,
                   "end": 5, "in_title": true}]}

``url``, ``title``, ``text``, ``source`` and ``published_at`` are required; without
``mentions`` the entity stage runs (English texts), without ``category`` the classifier.
A line that is not such an object is reported with its number and skipped; the rest goes on.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import chain, islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol, TextIO
from urllib.parse import urlsplit

import numba
import numpy as np
from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.engine import make_url

from tagwire import dedup, words
from tagwire.analyse import lead
from tagwire.embeddings import Vector, to_blob
from tagwire.entities.ner import salience
from tagwire.entities.places import region_of
from tagwire.neardup import (
    FINGERPRINT_WORDS,
    MIN_WORDS,
    Match,
    band_key_array,
    best_index,
    fingerprint,
    similarities_of,
)
from tagwire.store import Store, search_index
from tagwire.store import schema as t
from tagwire.store.writer import (
    MAX_CANDIDATES,
    MAX_STORY_CANDIDATES,
    Writer,
    mention_row,
    record_change,
    story_counts,
)
from tagwire.stories import (
    LEAD_CHARS,
    MICROSECOND,
    Decision,
    Merge,
    StoryRules,
    StoryTable,
    broad_place_ids,
    entity_keys,
    grow,
    headline_meaning,
    merged,
    micros,
    start,
    term_keys,
    terms,
)
from tagwire.types import (
    EntityKind,
    Mention,
    Source,
    StoryCandidate,
    now_utc,
    quick_pickle,
    utc,
)

log = logging.getLogger(__name__)

BATCH = 2_000  # articles per transaction
FORGET_EVERY = 5  # batches between sweeps of the articles left behind (``Backfill._forget``)
# The workers and the store process run at lower priorities: the decisions are one process,
# the others keep up with them on what is left of the cores (bench/scale.py: on 2 cores, the
# decisions were the critical path and lost a fifth of their time to the others' turns). The
# store before the workers: the decisions wait for its every job, the workers are batches ahead.
STORE_NICENESS = 3
WORKER_NICENESS = 10
FULL_COLLECTION = 50  # batches between the import's full garbage collections (see _Collector)
ENTITY_CACHE = 500_000  # (kind, name) -> id pairs remembered (~100 MB at most)


class ArchiveError(ValueError):
    """A line of an archive that is not an article."""


@quick_pickle
@dataclass(frozen=True, slots=True)
class Record:
    url: str
    title: str
    text: str
    source: str  # the publisher's site URL
    published_at: datetime
    summary: str = ""
    author: str | None = None
    image: str | None = None
    category: str | None = None
    language: str | None = None
    mentions: tuple[Mention, ...] | None = None  # None: find them
    source_name: str | None = None  # the publisher's name, for a source not yet stored


def parse_record(line: str) -> Record:
    """One archive line, or ArchiveError saying what is wrong with it."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"not JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ArchiveError("not a JSON object")
    missing = [k for k in ("url", "title", "text", "source", "published_at") if not raw.get(k)]
    if missing:
        raise ArchiveError(f"missing {', '.join(missing)}")
    for key in ("url", "title", "text", "source", "published_at"):
        if not isinstance(raw[key], str):
            raise ArchiveError(f"{key} is not a string")
    for key in ("url", "source"):
        if urlsplit(raw[key]).scheme not in ("http", "https"):
            raise ArchiveError(f"{key} is not an http(s) URL")
    try:
        published = utc(datetime.fromisoformat(raw["published_at"].replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 has no UTC time
        raise ArchiveError("published_at is not an ISO 8601 time in UTC's range") from None
    return Record(
        url=dedup.canonical_url(raw["url"]),
        title=raw["title"].strip()[:1000],
        text=raw["text"],
        source=raw["source"],
        published_at=published,
        summary=_optional(raw, "summary") or "",
        author=_optional(raw, "author"),
        image=_optional(raw, "image"),
        category=_optional(raw, "category"),
        language=_optional(raw, "language"),
        mentions=_mentions(raw["mentions"]) if "mentions" in raw else None,
        source_name=_optional(raw, "source_name"),
    )


def _optional(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ArchiveError(f"{key} is not a string")
    return value or None


def _mentions(raw: Any) -> tuple[Mention, ...]:
    if not isinstance(raw, list):
        raise ArchiveError("mentions is not a list")
    try:
        return tuple(
            Mention(
                surface=str(m["surface"]),
                name=str(m["name"]),
                kind=EntityKind(m["kind"]),
                start=int(m["start"]),
                end=int(m["end"]),
                in_title=bool(m.get("in_title", False)),
            )
            for m in raw
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"a mention is not valid: {exc}") from None


Line = tuple[int, str]  # an archive's line and its number, parsed by the workers


def read_lines(path: Path) -> Iterator[Line]:
    """The archive's non-blank lines in file order, numbered."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


# -- the pure stages, in worker processes ------------------------------------------------------


@quick_pickle
@dataclass(frozen=True, slots=True)
class Prepared:
    record: Record
    mentions: tuple[Mention, ...]
    summary: str
    category: str | None
    language: str | None
    content_hash: str
    fingerprint: bytes | None
    band_keys: bytes | None  # int64s: a small array's pickle cost 20 times its bytes'
    terms: dict[str, float]
    term_keys: list[str]  # stories.term_keys(terms)
    meaning: Vector | None
    title_key: str
    words: int


def _keys(band_keys: bytes) -> np.ndarray:
    return np.frombuffer(band_keys, dtype="<i8")


def prepare(items: Sequence[Record | Line]) -> tuple[list[Prepared], list[str]]:
    """What ingest's analysis and the store's writer compute from an article alone (an
    archive's lines are parsed first); and what was wrong with the lines that are not
    articles."""
    prepared, problems = [], []
    for item in items:
        if isinstance(item, tuple):
            number, line = item
            try:
                item = parse_record(line)
            except ArchiveError as exc:
                problems.append(f"line {number}: {exc}")
                continue
        prepared.append(_prepare(item))
    return prepared, problems


def _prepare(r: Record) -> Prepared:
    language = r.language
    mentions = r.mentions
    if language is None:
        from tagwire.language import detect_language

        language = detect_language(r.title, r.text, None)
    if mentions is None:
        from tagwire.entities.ner import find_mentions

        mentions = tuple(find_mentions(r.title, r.text, author=r.author, language=language))
    category = r.category
    if category is None:
        from tagwire.categories import categorise

        category = categorise((), None, r.title, r.text, language)
    normalised = dedup.normalised(r.text)
    fp = fingerprint(r.text, normalised)
    vector = terms(r.title, r.text[:LEAD_CHARS])
    packed = fp.to_bytes() if fp else None
    return Prepared(
        record=r,
        mentions=mentions,
        summary=r.summary or lead(r.text)[:1000],
        category=category,
        language=language,
        content_hash=dedup.content_hash(r.text, normalised),
        fingerprint=packed,
        band_keys=band_key_array(packed).tobytes() if packed else None,
        terms=vector,
        term_keys=term_keys(vector),
        meaning=headline_meaning(r.title),
        title_key=dedup.title_key(r.title),
        words=words.count(r.text),  # len(r.text.split()), compiled
    )


# -- the windowed indexes ----------------------------------------------------------------------


class NearDupIndex:
    """LSH band keys and fingerprints of the articles of the last ``window`` (of the
    archive's clock), in arrays that compiled loops search and update.

    Articles are numbered in the order they came (their sequence numbers), their keys
    likewise; both live in rings (an article's or key's row: its number modulo the ring's
    size) that keep the numbers from ``first`` on, and double when full. A key's row links
    to the row of the key before it in the same bucket of a hash table (its low bits: the
    keys are BLAKE2b digests), so an article's candidates are its 64 keys' chains, walked
    newest first down to the oldest key kept, and their fingerprints are compared in the
    same compiled call. Articles leave in the order they came, once older than the window
    of the clock (``forget_before``); one that came out of order may stay a while longer,
    and candidates are filtered by time anyway. It replaced frozen segments of sorted keys
    searched once a batch, a dict for the live one and the candidates gathered in Python:
    a fifth of the decisions' time at a million articles (bench/scale.py)."""

    def __init__(self, window: timedelta, articles: int = 1 << 12, keys_each: int = 64) -> None:
        assert articles & (articles - 1) == 0, "a power of two: rows are numbers masked"
        self.window = window
        self._window = window // MICROSECOND
        self.first = self.end = 0  # the articles kept: numbers first..end-1
        self.keys_end = 0  # the next key's number
        self._stamp = 0  # a search's number, marking the articles it met
        self._found = np.zeros(MAX_CANDIDATES, np.int64)
        self._allocate(articles, articles * keys_each)

    def _allocate(self, articles: int, keys: int) -> None:
        self._ids = np.zeros(articles, np.int64)
        self._times = np.zeros(articles, np.int64)  # microseconds since the epoch
        self._fingerprints = np.zeros((articles, FINGERPRINT_WORDS), np.uint32)
        self._key_start = np.zeros(articles, np.int64)  # the number of each article's first key
        self._marks = np.zeros(articles, np.int64)
        self._keys = np.zeros(keys, np.int64)
        self._key_article = np.zeros(keys, np.int64)  # the number of the key's article
        self._next = np.full(keys, -1, np.int64)  # the number of the bucket's key before
        self._heads = np.full(keys, -1, np.int64)  # bucket -> its newest key's number

    def __len__(self) -> int:
        return self.end - self.first

    @property
    def keys_first(self) -> int:
        """The number of the oldest key kept."""
        if self.first == self.end:
            return self.keys_end
        return int(self._key_start[self.first % len(self._ids)])

    def ids(self) -> np.ndarray:
        """The ids of the articles kept."""
        return self._ids[np.arange(self.first, self.end) % len(self._ids)]

    def add(self, article_id: int, keys: np.ndarray, fp: bytes, at: datetime) -> None:
        articles, stored = len(self._ids), len(self._keys)
        if self.end - self.first == articles or (
            self.keys_end + len(keys) - self.keys_first > stored
        ):
            self._grow()
        slot = self.end % len(self._ids)
        self._ids[slot] = article_id
        self._times[slot] = micros(at)
        self._fingerprints[slot] = np.frombuffer(fp, "<u4")
        self._key_start[slot] = self.keys_end
        of = np.full(len(keys), self.end, np.int64)
        _chain(keys, of, self.keys_end, self._keys, self._key_article, self._next, self._heads)
        self.end += 1
        self.keys_end += len(keys)

    def _grow(self) -> None:
        """Twice the rows, the kept articles and keys moved to theirs, the chains again."""
        before: list[np.ndarray] = [self._ids, self._times, self._fingerprints, self._key_start]
        old_keys, old_articles, keys_first = self._keys, self._key_article, self.keys_first
        self._allocate(2 * len(self._ids), 2 * len(self._keys))
        after: list[np.ndarray] = [self._ids, self._times, self._fingerprints, self._key_start]
        numbers = np.arange(self.first, self.end)
        for new, old in zip(after, before, strict=True):
            new[numbers % len(new)] = old[numbers % len(old)]
        numbers = np.arange(keys_first, self.keys_end)
        keys = old_keys[numbers % len(old_keys)]
        articles = old_articles[numbers % len(old_articles)]
        _chain(keys, articles, keys_first, self._keys, self._key_article, self._next, self._heads)

    def forget_before(self, at: datetime) -> None:
        """Drop the oldest articles while they are older than ``at - window``."""
        horizon = micros(at) - self._window
        times, size = self._times, len(self._ids)
        while self.first < self.end and times[self.first % size] < horizon:
            self.first += 1

    def _search(self, keys: np.ndarray, at: datetime) -> int:
        self._stamp += 1
        return int(
            _candidates(
                keys,
                micros(at),
                self._window,
                self.keys_first,
                self._keys,
                self._key_article,
                self._next,
                self._heads,
                self._times,
                self._marks,
                self._stamp,
                self._found,
            )
        )

    def candidates(self, keys: np.ndarray, at: datetime) -> list[int]:
        """Articles within the window of ``at`` sharing a band key, at most MAX_CANDIDATES
        (as the store's query: the window first, then the limit, so that articles older than
        the window, still kept, never crowd out those within it); each key's newest first."""
        found: list[int] = self._ids[
            self._found[: self._search(keys, at)] % len(self._ids)
        ].tolist()
        return found

    def best_match(self, fp: bytes, keys: np.ndarray, at: datetime) -> Match | None:
        """``best_match_packed`` of the fingerprint among its ``candidates`` (their ids as
        survivors), in one compiled call."""
        n = self._search(keys, at)
        if not n:
            return None
        best, jaccard, containment = _best_of(
            np.frombuffer(fp, "<u4"), self._found[:n], self._fingerprints
        )
        if best < 0:
            return None
        return Match(int(self._ids[self._found[best] % len(self._ids)]), jaccard, containment)


@numba.njit(cache=True, nogil=True)
def _chain(
    keys: np.ndarray,
    articles: np.ndarray,
    first: int,
    stored: np.ndarray,
    article_of: np.ndarray,
    chained: np.ndarray,
    heads: np.ndarray,
) -> None:
    """Keys numbered from ``first`` on (with their articles' numbers) at their rows, each
    at the head of its bucket's chain."""
    rows, buckets = len(stored) - 1, len(heads) - 1  # powers of two, less one: masks
    for j in range(len(keys)):
        row = (first + j) & rows
        bucket = keys[j] & buckets
        stored[row] = keys[j]
        article_of[row] = articles[j]
        chained[row] = heads[bucket]
        heads[bucket] = first + j


@numba.njit(cache=True, nogil=True)
def _candidates(
    keys: np.ndarray,
    at: int,
    window: int,
    first: int,
    stored: np.ndarray,
    article_of: np.ndarray,
    chained: np.ndarray,
    heads: np.ndarray,
    times: np.ndarray,
    marks: np.ndarray,
    stamp: int,
    found: np.ndarray,
) -> int:
    """The numbers of the articles within ``window`` of ``at`` that share a key, each
    once (``marks``), into ``found`` (at most its length); how many."""
    rows, buckets, size = len(stored) - 1, len(heads) - 1, len(times) - 1
    n = 0
    for j in range(len(keys)):
        key = keys[j]
        number = heads[key & buckets]
        while number >= first:  # older keys have left: their rows may hold newer ones
            row = number & rows
            if stored[row] == key:
                article = article_of[row]
                slot = article & size
                if marks[slot] != stamp:
                    marks[slot] = stamp
                    if abs(times[slot] - at) <= window:
                        found[n] = article
                        n += 1
                        if n == len(found):
                            return n
            number = chained[row]
    return n


@numba.njit(cache=True, nogil=True)
def _best_of(mine: np.ndarray, articles: np.ndarray, fingerprints: np.ndarray) -> Any:
    """``neardup._best`` over these articles' fingerprints: its index, Jaccard and
    containment (-1, 0, 0: none is the same article)."""
    jaccard, containment, lead = similarities_of(
        mine, fingerprints[articles & (len(fingerprints) - 1)]
    )
    best = best_index(jaccard, containment, lead)
    if best < 0:
        return -1, 0.0, 0.0
    return best, jaccard[best], containment[best]


class StoryIndex:
    """The story keys of the last story window: key -> story -> time (POSIX seconds) of its
    latest article with that key.

    Entries leave as the archive's clock passes them (``forget_before``), in the order they
    came, through a queue: while the articles came in time order, every entry left is within
    the window of an article at the clock, and ``find`` counts the stories of a key as they
    are, in C. Filtering them by time in Python instead (the index kept until a periodic
    sweep) was a seventh of the decisions' time at a million articles (bench/scale.py). An
    article out of order (later than the window of the clock, or behind an entry that came
    out of order and is still queued) is searched with that filter. One dict for the window,
    not one per segment of it: an article's ~11 keys were looked up in every segment and a
    story's hits merged across them, which cost twice what the search does."""

    def __init__(self, window: timedelta) -> None:
        self.window = window.total_seconds()
        self.index: dict[str, dict[int, float]] = {}
        self.queue: deque[tuple[float, str, int]] = deque()  # (time, key, story) as added
        self.newest = float("-inf")  # the latest time added
        self.added = 0  # entries queued so far
        self.left = 0  # entries taken off the queue so far
        self.disorder = -1  # the number of the last entry queued behind a later one

    def add(self, keys: Iterable[str], story_id: int, at: datetime) -> None:
        when = at.timestamp()
        for key in keys:
            stories = self.index.setdefault(key, {})
            stories[story_id] = max(when, stories.get(story_id, when))
            self.queue.append((when, key, story_id))
            if when < self.newest:
                self.disorder = self.added
            self.added += 1
        self.newest = max(self.newest, when)

    def forget_before(self, at: datetime) -> None:
        """Drop the entries older than ``at - window`` (``at``: the archive's clock)."""
        horizon = at.timestamp() - self.window
        queue, index = self.queue, self.index
        while queue and queue[0][0] < horizon:
            when, key, story_id = queue.popleft()
            self.left += 1
            stories = index[key]
            if stories.get(story_id) == when:  # not since renewed by a later article
                del stories[story_id]
                if not stories:
                    del index[key]

    def __len__(self) -> int:
        return sum(map(len, self.index.values()))

    def find(self, keys: Iterable[str], at: datetime) -> list[int]:
        """Stories with an article within the window sharing a key, most shared distinct
        keys first, then the newest story (as ``Writer.story_candidates``)."""
        when = at.timestamp()
        low, high = when - self.window, when + self.window
        found = [stories for key in set(keys) if (stories := self.index.get(key))]
        in_order = self.left > self.disorder  # the queue is in time order: so is the index
        if in_order and self.newest <= high and (not self.queue or self.queue[0][0] >= low):
            met: Iterable[int] = chain.from_iterable(found)  # every entry is within the window
            count = sum(map(len, found))
        else:
            within = [s for stories in found for s, last in stories.items() if low <= last <= high]
            met, count = within, len(within)
        return most_shared(np.fromiter(met, np.int64, count), MAX_STORY_CANDIDATES)


_ID_BITS = 40  # story ids below 2^40, shared-key counts below 2^23: both in one int64


def most_shared(met: np.ndarray, n: int) -> list[int]:
    """The ``n`` story ids met most often in ``met`` (int64: a story once per key it
    shares), then the highest ids, best first."""
    ids: list[int] = _most_shared(met, n).tolist()
    return ids


@numba.njit(cache=True, nogil=True)
def _most_shared(met: np.ndarray, n: int) -> np.ndarray:
    """Compiled, on (count, id) packed into one integer: counting the ~300 stories an
    article meets in a Counter and ranking them in numpy was a tenth of the decisions' time
    (bench/scale.py), sorting them in Python (by a key function, or heapq's loop) more."""
    met = np.sort(met)
    packed = np.empty(len(met), np.int64)
    m = i = 0
    while i < len(met):
        j = i + 1
        while j < len(met) and met[j] == met[i]:
            j += 1
        packed[m] = ((j - i) << _ID_BITS) | met[i]
        m += 1
        i = j
    best = np.sort(packed[:m])[::-1][:n]
    return best & ((1 << _ID_BITS) - 1)


# -- the writer's side -------------------------------------------------------------------------


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


@dataclass
class _Batch:
    articles: list[dict[str, Any]] = field(default_factory=list)
    urls: list[dict[str, Any]] = field(default_factory=list)
    story_keys: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    tag_counts: Counter[int] = field(default_factory=Counter)
    name_forms: dict[int, Counter[str]] = field(default_factory=dict)
    new_stories: set[int] = field(default_factory=set)
    touched_stories: set[int] = field(default_factory=set)
    merges: list[Merge] = field(default_factory=list)
    gone: dict[int, StoryCandidate] = field(default_factory=dict)  # started, then merged away
    folds: list[tuple[int, int]] = field(default_factory=list)  # (old survivor, new one)
    urls_seen: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Lookups:
    """What a batch's decisions need from the store, read before them."""

    known_urls: set[str]
    hash_rows: dict[str, int]  # content hash -> the first article with it
    entity_ids: dict[tuple[str, str], int]  # (kind, name) -> id
    blocked: set[int]
    countries: dict[int, str]  # place entity -> its country
    sources: dict[str, tuple[int, str | None]]  # every source's site URL -> id, region


@dataclass(frozen=True, slots=True)
class _Wanted:
    """What a batch's lookups ask for, in the order of its articles."""

    urls: list[str]
    hashes: list[str]
    names: list[tuple[str, str]]  # (kind, name), first use first
    sources: dict[str, str]  # site URL -> the publisher's name, for sources maybe new


def _wanted(prepared: list[Prepared]) -> _Wanted:
    records = [p.record for p in prepared]
    return _Wanted(
        urls=[r.url for r in records],
        hashes=[p.content_hash for p in prepared],
        # In the order ingest would meet them: which of two same-named entities is created
        # first decides which one keeps the plain slug.
        names=list(dict.fromkeys((m.kind.value, m.name) for p in prepared for m in p.mentions)),
        sources={
            r.source: r.source_name or urlsplit(r.source).hostname or r.source for r in records
        },
    )


@dataclass(frozen=True, slots=True)
class _Decided:
    """A decided batch as the store's side writes it (nothing in it changes after)."""

    batch: _Batch
    new_stories: list[StoryCandidate]
    moves: list[tuple[Merge, int]]  # a merge and the story its articles end in
    live_stories: list[StoryCandidate]  # every story the batch touched, as it is now
    # The import's last batch: then the near-duplicate keys of the articles since this time
    # that have none are written (complete_near_keys).
    keys_after: datetime | None = None


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
        self.pending = _Batch()  # the batch decided last: being written
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
        meanwhile (docs/design.md)."""
        began = time.perf_counter()
        batches = _prepared(_chunks(records, self.batch_size), pool, ahead)
        with _channel(self.store) as side, _collected_by_batch() as collect:
            current = next(batches, None)
            look = None
            if current is not None:
                side.submit(_wanted(current[0]), None)
                look = side.result()
            decided: _Decided | None = None
            while current is not None:
                upcoming = next(batches, None)
                side.submit(_wanted(upcoming[0]) if upcoming else None, decided)
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

    def _decide(self, prepared: list[Prepared], look: _Lookups) -> _Decided:
        """A batch's decisions, in memory; the few reads they need (stories and articles
        stored before the import, which the store has committed) through a connection of
        their own, each in a short transaction (``_read_done``). What the batch before
        decided may not be written yet: its URLs and texts are looked up in memory
        (``self.pending``), and ids are counted on from its last."""
        b = _Batch()
        self.sources = look.sources
        self.regions = dict(look.sources.values())
        with self.store.engine.connect() as conn:
            reader = Writer(conn)
            article_ids = iter(self._reserve(conn, "articles", len(prepared)))
            story_ids = iter(self._reserve(conn, "stories", len(prepared)))
            _read_done(reader)
            seen = self.pending.urls_seen
            for p in prepared:
                url = p.record.url
                if url in look.known_urls or url in seen or url in b.urls_seen:
                    self.report.known += 1
                    continue
                if self.clock is None:
                    self._seed(reader, p.record.published_at)
                self._advance(p.record.published_at)
                scores: dict[int, float] = {}
                for key, score in salience(p.mentions).items():
                    entity_id = look.entity_ids[key]
                    if entity_id not in look.blocked:
                        scores[entity_id] = scores.get(entity_id, 0.0) + score
                self._one(reader, b, p, next(article_ids), scores, look, story_ids)
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

    def _seed(self, w: Writer, at: datetime) -> None:
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

    def _forget(self, b: _Batch) -> None:
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
        w: Writer,
        b: _Batch,
        p: Prepared,
        article_id: int,
        scores: dict[int, float],
        look: _Lookups,
        story_ids: Iterator[int],
    ) -> None:
        r = p.record
        at = r.published_at
        source_id, _ = self.sources[r.source]
        survivor = self._same_article(w, b, p, source_id, look.hash_rows)
        replaces = survivor is not None and dedup.new_copy_survives(
            at, p.words, self.known[survivor].sort_at, self.known[survivor].words
        )
        listed = survivor is None or replaces
        decision: Decision | None = None
        story_id: int | None = None
        candidates: list[int] = []
        if survivor is None:
            keys = p.term_keys + entity_keys(scores)  # index_keys, its terms found before
            merged = self.merged_into
            found = [self._final(s) if s in merged else s for s in self.story_index.find(keys, at)]
            candidates = list(dict.fromkeys(found))
            for s in self.stories.lacking(candidates):
                self._story(w, s)  # into the table
            broad = broad_place_ids(
                ((m.kind.value, m.name), look.entity_ids[m.kind.value, m.name]) for m in p.mentions
            )
            decision = self.stories.choose(
                p.terms, scores, at, candidates, self.rules, p.meaning, broad
            )
            story_id = self._join(b, decision, r.title, p, scores, story_ids)
            if keys:
                self.story_index.add(keys, story_id, at)
                if at >= self.keys_after:
                    b.story_keys.extend({"key": k, "story_id": story_id, "at": at} for k in keys)
        else:
            story_id = self.known[survivor].story_id
            if replaces and story_id is not None:
                story_id = self._final(story_id)
                decision = Decision(story_id, 1.0, 1.0, ())
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
            merge = self.stories.merge(self.stories[story_id], candidates, self.rules)
            if merge is not None:
                self._merge(b, merge)
        if listed:
            self.report.new += 1
        else:
            self.report.duplicates += 1

    def _same_article(
        self, w: Writer, b: _Batch, p: Prepared, source_id: int, hash_rows: dict[str, int]
    ) -> int | None:
        """As ``Pipeline._same_article``: same text (all history), near-same text (within
        the window), or a publisher's same title when a text is too short to fingerprint."""
        at = p.record.published_at
        if p.fingerprint is not None:
            # The store has the earliest; then the batch before, which it may not have yet.
            h = p.content_hash
            same = hash_rows.get(h) or self.pending.hashes.get(h) or b.hashes.get(h)
            if same is not None:
                return self._survivor(self._ensure_known(w, same))
            assert p.band_keys is not None
            # The matched article's survivor is found below: one walk, not one per candidate.
            match = self.near.best_match(p.fingerprint, _keys(p.band_keys), at)
            if match is not None:
                return self._survivor(match.survivor_id)
        title = self.titles.get((source_id, p.title_key))
        if title is not None and abs(title[1] - at) <= dedup.TITLE_WINDOW:
            same_title = self._survivor(title[0])
            if p.fingerprint is None or self.known[same_title].words < MIN_WORDS:
                return same_title
        return None

    def _ensure_known(self, w: Writer, article_id: int) -> int:
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

    def _survivor(self, article_id: int | None) -> int:
        assert article_id is not None
        while (up := self.known[article_id].duplicate_of) is not None:
            article_id = up
        return article_id

    def _final(self, story_id: int) -> int:
        while story_id in self.merged_into:
            story_id = self.merged_into[story_id]
        return story_id

    def _story(self, w: Writer, story_id: int) -> StoryCandidate:
        if story_id not in self.stories:  # stored before the import, or left memory
            self.stories[story_id] = w.story(story_id)
            _read_done(w)
        return self.stories[story_id]

    def _join(
        self,
        b: _Batch,
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

    def _merge(self, b: _Batch, merge: Merge) -> None:
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
        b: _Batch,
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
        b.articles.append(
            {
                "id": article_id,
                "source_id": source_id,
                "feed_id": None,
                "url": r.url,
                "title": r.title,
                "summary": p.summary,
                "text": r.text,
                "author": r.author,
                "image": r.image,
                "category": p.category,
                "language": p.language,
                "published_at": r.published_at,
                "first_seen_at": r.published_at,
                "sort_at": r.published_at,
                "content_hash": p.content_hash,
                "extraction": "archive",
                "story_id": story_id,
                "story_score": decision.score if decision else None,
                "story_shared": list(decision.shared_entities) if decision else None,
                "duplicate_of": None if listed else survivor,
                "listed": listed,
                "words": p.words,
                "story_text": decision.text_similarity if decision else None,
                "story_meaning": decision.meaning_similarity if decision else None,
                "story_origin": story_id,
                "story_started": decision.story_id is None if decision else None,
                "title_key": p.title_key,
                "fingerprint": p.fingerprint,
            }
        )
        b.urls.append({"url": r.url, "article_id": article_id})
        if not listed:
            return
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        b.tags.extend(
            {
                "entity_id": entity_id,
                "article_id": article_id,
                "sort_at": r.published_at,
                "salience": score,
                "rank": rank,
            }
            for rank, (entity_id, score) in enumerate(ranked)
        )
        b.tag_counts.update(scores.keys())

    def _remember(
        self,
        b: _Batch,
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
            self.near.add(article_id, _keys(p.band_keys), p.fingerprint, at)
        forms: dict[int, set[str]] = {}
        for m in p.mentions:
            entity_id = entity_ids[(m.kind.value, m.name)]
            b.mentions.append(mention_row(article_id, entity_id, m))
            forms.setdefault(entity_id, set()).add(m.name[:300])
        if b.articles[-1]["listed"]:
            for entity_id, names in forms.items():
                b.name_forms.setdefault(entity_id, Counter()).update(names)

    def _regions(
        self,
        b: _Batch,
        row: dict[str, Any],
        scores: dict[int, float],
        countries: dict[int, str],
    ) -> None:
        if not row["listed"]:
            return
        places = {region_of(countries[e]) for e in scores if e in countries}
        for region in sorted(r for r in places | {self.regions[row["source_id"]]} if r):
            b.regions.append({"region": region, "article_id": row["id"], "sort_at": row["sort_at"]})

    # -- the batch's writes ----------------------------------------------------------------

    def _decided(self, b: _Batch) -> _Decided:
        """The batch as the store's side writes it, with every story id final (a story
        merged away later in the batch is no home)."""
        for row in b.articles:
            if row["story_id"] is not None:
                row["story_id"] = self._final(row["story_id"])
        live = {self._final(s) for s in b.touched_stories | b.new_stories}
        return _Decided(
            batch=b,
            new_stories=[b.gone.get(s) or self.stories[s] for s in sorted(b.new_stories)],
            moves=[(merge, self._final(merge.keep)) for merge in b.merges],
            live_stories=[self.stories[s] for s in sorted(live) if s in self.stories],
        )


class _Collector:
    """Python's cyclic garbage collector, run by an import's processes between batches
    instead of by allocation counts (``_collected_by_batch``). The decisions' process holds
    millions of objects (the windows' articles and stories) and allocates millions more a
    batch, nearly all freed at once by their reference counts; the automatic collector
    still went through the whole heap every few batches: a seventh of that process's time
    at 100,000 articles, and more as the heap grows (bench/scale.py; a tenth of the store
    process's, a twentieth of the workers'). Here everything is collected every
    FULL_COLLECTION batches, so cyclic garbage cannot pile up: a batch leaves about 70
    objects of it (bench/scale.py, 20,000 articles), and collecting the young generations
    after every batch as well cost 34 ms a batch for them, five times what the full
    collections cost at 100,000 articles."""

    def __init__(self) -> None:
        self.batches = 0

    def __call__(self) -> None:
        self.batches += 1
        if self.batches % FULL_COLLECTION == 0:
            gc.collect()


@contextmanager
def _collected_by_batch() -> Iterator[_Collector]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield _Collector()
    finally:
        if enabled:
            gc.enable()


def _read_done(w: Writer) -> None:
    """End the decisions' read transaction. Held through a batch's decisions while the store
    process wrote, SQLite could never restart its write-ahead log: 4 GB of it at 160,000
    articles (bench/scale.py), every read searching it."""
    w.conn.rollback()


# -- the store's side ---------------------------------------------------------------------


class _StoreSide:
    """What an import asks of the store and writes to it, batch after batch, one transaction
    a job (see ``Backfill.run``); in a process of its own (or in line: ``_channel``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sources: dict[str, tuple[int, str | None]] = {}  # site URL -> id, region
        self.entities: dict[tuple[str, str], int] = {}  # (kind, name) -> id

    def job(self, wanted: _Wanted | None, decided: _Decided | None) -> _Lookups | None:
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
    def _writer(self) -> Iterator[Writer]:
        with self.store.writer() as w:
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

    def _lookups(self, w: Writer, wanted: _Wanted) -> _Lookups:
        entity_ids = self._entity_ids(w, wanted.names)
        return _Lookups(
            known_urls=_known_urls(w.conn, wanted.urls),
            hash_rows=_by_hash(w.conn, wanted.hashes),
            entity_ids=entity_ids,
            blocked=w.blocked(entity_ids.values()),
            countries=_countries(w.conn, set(entity_ids.values())),
            sources=self.sources,
        )

    def _entity_ids(self, w: Writer, names: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """``Writer.entity_ids``, remembered: an archive names the same people and places
        over and over, and asking the store for a batch's few thousand names was a tenth of
        the writer's time. Only this import writes entities meanwhile (see above)."""
        if len(self.entities) + len(names) > ENTITY_CACHE:
            self.entities.clear()
        new = [n for n in names if n not in self.entities]
        if new:
            self.entities.update(w.entity_ids(new))
        return {n: self.entities[n] for n in names}

    @staticmethod
    def _write(w: Writer, decided: _Decided) -> None:
        conn, b = w.conn, decided.batch
        if decided.new_stories:
            insert_many(conn, t.stories, [_story_row(s) for s in decided.new_stories])
        for table, rows in (
            (t.articles, b.articles),
            (t.article_urls, b.urls),
            (t.story_keys, b.story_keys),
            (t.mentions, b.mentions),
            (t.article_tags, b.tags),
            (t.article_regions, b.regions),
        ):
            insert_many(conn, table, rows)
        # As ingest does when it writes an article's mentions, but for merging an entity
        # known only by the abbreviation: the decisions keep entity ids across batches.
        w.learn_aliases(b.mentions, merge=False)
        for merge, final in decided.moves:  # articles of earlier batches follow their story
            conn.execute(
                update(t.articles).where(t.articles.c.story_id == merge.gone).values(story_id=final)
            )
            conn.execute(
                update(t.stories)
                .where(t.stories.c.id == merge.gone)
                .values(merged_into=merge.keep, merge_similarity=merge.similarity, article_count=0)
            )
        _update_stories(conn, decided.live_stories, {s.id for s in decided.new_stories})
        if b.tag_counts:
            e = t.entities.c
            conn.execute(
                update(t.entities)
                .where(e.id == bindparam("e"))
                .values(article_count=e.article_count + bindparam("n")),
                [{"e": k, "n": n} for k, n in b.tag_counts.items()],
            )
        if b.name_forms:
            w.count_name_forms(b.name_forms)
        search_index.add_many(conn, [r["id"] for r in b.articles if r["listed"]])
        for old, new_id in b.folds:
            w.fold(old, into=new_id)
        record_change(conn, None)


class _Channel(Protocol):
    """The decisions' end of the store's side: one job at a time."""

    def submit(self, wanted: _Wanted | None, decided: _Decided | None) -> None: ...

    def result(self) -> _Lookups | None: ...


@contextmanager
def _channel(store: Store) -> Iterator[_Channel]:
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
        self.job: tuple[_Wanted | None, _Decided | None] = (None, None)

    def submit(self, wanted: _Wanted | None, decided: _Decided | None) -> None:
        self.job = (wanted, decided)

    def result(self) -> _Lookups | None:
        return self.side.job(*self.job)


class _InProcess:
    def __init__(self, conn: Any, process: Any) -> None:
        self.conn, self.process = conn, process

    def submit(self, wanted: _Wanted | None, decided: _Decided | None) -> None:
        self.conn.send((wanted, decided))

    def result(self) -> _Lookups | None:
        try:
            ok, value = self.conn.recv()
        except EOFError:
            raise RuntimeError(
                f"the import's store process ended (exit code {self.process.exitcode})"
            ) from None
        if not ok:
            raise RuntimeError(f"the import's store process failed: {value}")
        found: _Lookups | None = value
        return found


def _serve(url: str, conn: Any) -> None:
    """The store's side in its own process: jobs from ``conn`` until None, each answered
    with (True, its lookups) or (False, the error that stopped it). When the import's
    process is gone (EOF), the transaction under way is rolled back."""
    _helper(STORE_NICENESS)
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


def _story_row(s: StoryCandidate) -> dict[str, Any]:
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


def _update_stories(conn: Connection, stories: list[StoryCandidate], inserted: set[int]) -> None:
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
    their stored fingerprints (as ingest's ``Writer.insert_article`` writes them), in key
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


def _known_urls(conn: Connection, urls: list[str]) -> set[str]:
    u = t.article_urls.c
    found: set[str] = set()
    for chunk in _slices(urls, 500):
        found.update(conn.execute(select(u.url).where(u.url.in_(chunk))).scalars())
    return found


def _by_hash(conn: Connection, hashes: list[str]) -> dict[str, int]:
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


def _countries(conn: Connection, ids: set[int]) -> dict[int, str]:
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


def _chunks(records: Iterable[Record | Line], size: int) -> Iterator[list[Record | Line]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _prepared(
    chunks: Iterator[list[Record | Line]], pool: Executor | None, depth: int
) -> Iterator[tuple[list[Prepared], list[str]]]:
    """Prepared batches in order; with a pool, up to ``depth`` batches are prepared while
    one is written (no more, so memory stays bounded)."""
    if pool is None:
        yield from (prepare(c) for c in chunks)
        return
    ahead: deque[Future[tuple[list[Prepared], list[str]]]] = deque()
    for chunk in chunks:
        ahead.append(pool.submit(_prepare_collected, chunk))
        if len(ahead) > depth:
            yield ahead.popleft().result()
    while ahead:
        yield ahead.popleft().result()


_worker_collector = _Collector()  # a worker process's own


def _prepare_collected(items: Sequence[Record | Line]) -> tuple[list[Prepared], list[str]]:
    """``prepare`` in a worker, then its garbage collection (``_Collector``: the pool's
    workers run with the automatic collector off)."""
    prepared = prepare(items)
    _worker_collector()
    return prepared


def _helper(niceness: int = WORKER_NICENESS) -> None:
    """A worker's or the store process's start: behind the decisions (at a lower priority:
    STORE_NICENESS, WORKER_NICENESS), without the automatic garbage collector
    (``_Collector``)."""
    with suppress(AttributeError, OSError):  # no os.nice (Windows), or not allowed
        os.nice(niceness)
    gc.disable()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for ``Backfill.run``."""
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_helper)


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


def export_archive(store: Store, out: TextIO, chunk: int = 1000) -> int:
    """Write every stored article, in the order it was stored, as an archive that
    ``tagwire import`` reads back (with its mentions, so no entity stage runs again);
    the number of articles written. A copy's time is the one it was ordered by."""
    a, s, m, e = t.articles.c, t.sources.c, t.mentions.c, t.entities.c
    written, after = 0, 0
    with store.engine.connect() as conn:
        while True:
            rows = conn.execute(
                select(t.articles, s.url.label("site"), s.name.label("site_name"))
                .join(t.sources, s.id == a.source_id)
                .where(a.id > after)
                .order_by(a.id)
                .limit(chunk)
            ).all()
            if not rows:
                return written
            mentions: dict[int, list[dict[str, Any]]] = {}
            found = conn.execute(
                select(m.article_id, m.surface, m.name, e.kind, m.start, m.end, m.in_title)
                .join(t.entities, e.id == m.entity_id)
                .where(m.article_id.in_([r.id for r in rows]))
                .order_by(m.article_id, m.id)
            )
            for row in found:
                mentions.setdefault(int(row.article_id), []).append(
                    {
                        "surface": row.surface,
                        "name": row.name,
                        "kind": row.kind,
                        "start": row.start,
                        "end": row.end,
                        "in_title": bool(row.in_title),
                    }
                )
            for r in rows:
                record = {
                    "url": r.url,
                    "title": r.title,
                    "text": r.text,
                    "source": r.site,
                    "source_name": r.site_name,
                    "published_at": utc(r.sort_at).isoformat(),
                    "summary": r.summary,
                    "author": r.author,
                    "image": r.image,
                    "category": r.category,
                    "language": r.language,
                    "mentions": mentions.get(int(r.id), []),
                }
                out.write(json.dumps({k: v for k, v in record.items() if v is not None}) + "\n")
            written += len(rows)
            after = int(rows[-1].id)
