"""The import's near-duplicate window: LSH band keys and fingerprints of the articles of the
last dedup window, in arrays that compiled loops (numba) search and update.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numba
import numpy as np

from tagwire.dedup.near import FINGERPRINT_WORDS, Match, best_index, similarities_of
from tagwire.store.write_copies import MAX_CANDIDATES
from tagwire.stories.rules import MICROSECOND, micros


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
    """``dedup.near.best_match_packed``'s choice over these articles' fingerprints: its index,
    Jaccard and containment (-1, 0, 0: none is the same article)."""
    jaccard, containment, lead = similarities_of(
        mine, fingerprints[articles & (len(fingerprints) - 1)]
    )
    best = best_index(jaccard, containment, lead)
    if best < 0:
        return -1, 0.0, 0.0
    return best, jaccard[best], containment[best]
