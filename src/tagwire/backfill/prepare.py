"""What the import computes from an article alone, in worker processes: the stages a pass
runs in its analysis and its writer (language, mentions, category, hashes, MinHash, term and
meaning vectors), batches of them prepared ahead of the decisions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context

import numpy as np

from tagwire import words
from tagwire.backfill.archive import ArchiveError, Line, Record, parse_record
from tagwire.backfill.processes import Collector, start_helper
from tagwire.dedup import exact as dedup
from tagwire.dedup.near import band_key_array, fingerprint
from tagwire.embeddings import Vector
from tagwire.ingest.analyse import lead
from tagwire.stories.group import term_keys
from tagwire.stories.rules import LEAD_CHARS, headline_meaning, terms
from tagwire.types import Mention, quick_pickle


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


def key_array(band_keys: bytes) -> np.ndarray:
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
        from tagwire.categories.taxonomy import categorise

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


def in_batches(records: Iterable[Record | Line], size: int) -> Iterator[list[Record | Line]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def prepared_ahead(
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


_worker_collector = Collector()  # a worker process's own


def _prepare_collected(items: Sequence[Record | Line]) -> tuple[list[Prepared], list[str]]:
    """``prepare`` in a worker, then its garbage collection (``Collector``: the pool's
    workers run with the automatic collector off)."""
    prepared = prepare(items)
    _worker_collector()
    return prepared


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for ``Backfill.run``."""
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=start_helper)
