"""The import's in-memory indexes: story candidates ranked by shared keys, windows that drop
what is older than they are, and near-duplicate and story indexes that find what a search
of every article finds (tests moved out of test_backfill.py)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tagwire.backfill import (
    NearDupIndex,
    StoryIndex,
    most_shared,
)
from tagwire.dedup.near import FINGERPRINT_WORDS, band_key_array, best_match_packed, fingerprint
from tagwire.store.write_copies import MAX_CANDIDATES


def _met(shared: Counter[int]) -> np.ndarray:
    """Each story once per key it shares, as ``StoryIndex.find`` meets them."""
    return np.fromiter(shared.elements(), np.int64)


@pytest.mark.parametrize("stories", [0, 1, 29, 30, 31, 400])
def test_story_candidates_rank_by_shared_keys_then_newest(stories: int) -> None:
    """The ranking of ``ArticleWriter.story_candidates`` (most shared keys, then the highest id),
    as the import computes it in numpy."""
    rng = np.random.default_rng(stories)
    ids = rng.choice(2**39, size=stories, replace=False).tolist()
    shared = Counter(dict(zip(ids, rng.integers(1, 5, size=stories).tolist(), strict=True)))
    expected = sorted(shared, key=lambda s: (-shared[s], -s))[:30]
    assert most_shared(_met(shared), 30) == expected


FP = bytes(4 * FINGERPRINT_WORDS)  # a fingerprint's size; its values matter only to best_match
SOME = 4_096  # articles: the index's first rings, grown in the tests below


def test_windows_drop_what_is_older_than_they_are() -> None:
    near = NearDupIndex(timedelta(days=1))
    stories = StoryIndex(timedelta(hours=72))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    keys = np.arange(64, dtype=np.int64)
    count = 4 * SOME + 10  # ~11 days, a minute apart
    for i in range(count):
        at = start + timedelta(minutes=i)
        near.forget_before(at)
        stories.forget_before(at)
        near.add(i, keys + 64 * i, FP, at)
        stories.add([f"t:{i}"], i, at)
    per_day = 24 * 60
    assert len(near) == per_day + 1  # one window, its ends included
    assert sorted(near.ids().tolist()) == list(range(count - per_day - 1, count))
    assert len(stories) <= 3 * per_day + SOME  # one key an article: one window's
    last, newest, older = start + timedelta(minutes=count - 1), count - 1, count - per_day
    assert near.candidates(keys + 64 * newest, last) == [newest]
    assert near.candidates(keys + 64 * older, last) == [older]
    assert near.candidates(keys, last) == []  # the first article's keys left with it
    assert stories.find([f"t:{newest}"], last) == [newest]
    assert stories.find(["t:0"], last) == []


@pytest.mark.parametrize("disorder", [timedelta(0), timedelta(hours=36)])
def test_near_duplicate_index_finds_what_a_search_of_every_article_finds(
    disorder: timedelta,
) -> None:
    """As the rings fill and double and old articles leave: every article of the window
    that shares a key, each once, each key's newest first; out of order too (an article
    behind the clock is kept while an older one is, and found only within the window)."""
    window = timedelta(days=30)
    near = NearDupIndex(window, articles=64, keys_each=2)  # rings grown many times
    rng = np.random.default_rng(4)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    added: list[tuple[int, list[int], datetime]] = []
    for i in range(16 * SOME):  # ~45 days, a minute apart
        at = start + timedelta(minutes=i) - disorder * float(rng.random() < 0.1)
        near.forget_before(max(at, added[-1][2]) if added else at)
        keys = rng.integers(0, 60_000, size=int(rng.integers(1, 5)))
        near.add(i, keys, FP, at)
        added.append((i, keys.tolist(), at))
        if i % 1000 == 999:
            last = max(a for _, _, a in added)
            kept = set(near.ids().tolist())
            assert {i for i, _, a in added if last - a <= window} <= kept
            assert len(kept) < 30 * 24 * 60 + 500  # a window, and what came out of order
            for n in (4, 1):
                query = rng.integers(0, 60_000, size=n)
                expected = [
                    j
                    for key in query.tolist()
                    for j, k, a in reversed(added)
                    if key in k and abs(a - last) <= window and j in kept
                ]
                assert near.candidates(query, last) == list(dict.fromkeys(expected))


def test_near_duplicate_candidates_are_limited_after_the_window() -> None:
    # As the store's query: articles older than the window, still in memory (one that came
    # late keeps those after it), do not count towards MAX_CANDIDATES.
    near = NearDupIndex(timedelta(days=1))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    key = np.array([7], dtype=np.int64)
    near.add(0, np.array([8], dtype=np.int64), FP, start + timedelta(days=2))
    for i in range(1, MAX_CANDIDATES + 100):
        near.add(i, key, FP, start + timedelta(seconds=i))
    recent = start + timedelta(days=2)
    near.add(10_000, key, FP, recent)
    near.forget_before(recent)
    assert len(near) == MAX_CANDIDATES + 101
    assert near.candidates(key, recent) == [10_000]


def _variant(words: list[str], share: float, rng: random.Random) -> str:
    """The words with about ``share`` of them replaced."""
    return " ".join(f"x{rng.randrange(10**6)}" if rng.random() < share else w for w in words)


def test_near_duplicate_index_matches_as_best_match_packed() -> None:
    """``best_match``: the most similar candidate that is the same article, as
    ``best_match_packed`` finds it among the same candidates in the same order; among
    texts in families of versions edited more and less, so that candidates compete."""
    rng = random.Random(3)
    near = NearDupIndex(timedelta(days=30), articles=16)  # grown on the way
    at = datetime(2026, 1, 1, tzinfo=UTC)
    packed: dict[int, bytes] = {}
    bases = [[f"w{rng.randrange(3000)}" for _ in range(150)] for _ in range(100)]
    for family, words in enumerate(bases):
        for k, share in enumerate((0.0, 0.02, 0.08, 0.3)):
            fp = fingerprint(_variant(words, share, rng))
            assert fp is not None
            packed[4 * family + k] = fp.to_bytes()
            near.add(4 * family + k, band_key_array(fp), fp.to_bytes(), at)
    outcomes: Counter[bool] = Counter()
    competed = 0
    for family, words in enumerate(bases):
        fp = fingerprint(_variant(words, 0.03, rng))
        assert fp is not None
        mine, keys = fp.to_bytes(), band_key_array(fp)
        found = near.candidates(keys, at)
        assert 4 * family in found
        competed += len(found) > 1
        expected = best_match_packed(mine, [packed[a] for a in found], found)
        match = near.best_match(mine, keys, at)
        assert match == expected
        outcomes[match is not None and match.survivor_id // 4 == family] += 1
    assert outcomes == {True: 100}
    assert competed >= 50


def test_story_index_finds_what_a_search_of_every_key_finds() -> None:
    index = StoryIndex(timedelta(hours=72))
    rng = np.random.default_rng(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    latest: dict[tuple[str, int], datetime] = {}
    for i in range(3 * SOME):
        at = start + timedelta(minutes=2 * i)
        index.forget_before(at)
        keys = [f"k{k}" for k in rng.integers(0, 300, size=5).tolist()]
        story = int(rng.integers(0, 2_000))
        index.add(keys, story, at)
        for key in keys:
            latest[(key, story)] = at
        if i % 500 == 0:
            wanted = [f"k{k}" for k in rng.integers(0, 300, size=8).tolist()]
            shared = Counter(
                s
                for (key, s), when in latest.items()
                if key in set(wanted) and at - when <= timedelta(hours=72)
            )
            assert index.find(wanted, at) == most_shared(_met(shared), 30)


def test_story_index_finds_the_same_when_articles_come_out_of_order() -> None:
    """Times jittered by up to a day against a 72-hour window: each search at the archive's
    clock finds every story with a key's latest article within the window, out-of-order
    entries still queued or not."""
    window = timedelta(hours=72)
    index = StoryIndex(window)
    rng = np.random.default_rng(6)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    latest: dict[tuple[str, int], datetime] = {}
    clock = start
    slow = fast = 0
    for i in range(6_000):
        at = start + timedelta(minutes=2 * i) - timedelta(minutes=int(rng.integers(0, 1440)))
        if at > clock:
            clock = at
            index.forget_before(at)
        keys = [f"k{k}" for k in rng.integers(0, 300, size=5).tolist()]
        story = int(rng.integers(0, 2_000))
        index.add(keys, story, at)
        for key in keys:
            latest[(key, story)] = max(at, latest.get((key, story), at))
        if i % 250 == 0:
            wanted = {f"k{k}" for k in rng.integers(0, 300, size=8).tolist()}
            shared = Counter(
                s for (key, s), when in latest.items() if key in wanted and clock - when <= window
            )
            in_order = index.left > index.disorder
            slow, fast = slow + (not in_order), fast + in_order
            assert index.find(wanted, clock) == most_shared(_met(shared), 30)
    assert slow and fast  # both ways of searching were taken
    assert len(index) <= len({k for k, when in latest.items() if clock - when <= window}) + 5 * 720
