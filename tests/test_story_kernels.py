"""The stories' compiled scoring against a reference written one candidate at a time: the
same decisions to the last bit, kept tables, the decay, widened tables (moved out of
test_stories.py)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tagwire.stories import kernels
from tagwire.stories.group import (
    choose_merge,
    choose_story,
    closeness,
    term_cosines,
)
from tagwire.stories.rules import (
    Decision,
    Merge,
    StoryRules,
    cosine,
    threshold_for,
    weights_for,
)
from tagwire.stories.table import StoryTable
from tagwire.types import StoryCandidate

NOW = datetime(2025, 7, 11, 12, tzinfo=UTC)


# -- the numpy scoring against one candidate at a time ---------------------------------------


def reference_choice(
    vector: dict[str, float],
    entities: frozenset[int],
    at: datetime,
    candidates: list[StoryCandidate],
    rules: StoryRules,
    meaning: np.ndarray | None,
) -> Decision:
    """``choose_story`` one candidate at a time, as it was written before it ran in numpy."""
    recent = []
    for s in candidates:
        gap = max(timedelta(0), s.first_seen - at, at - s.last_seen)
        if gap <= rules.window:
            recent.append((s, gap))
    close = closeness(meaning, [s for s, _ in recent])
    meaning_weight, text_weight = weights_for(rules, vector)
    specificity = reference_specificity(entities, [s for s, _ in recent])
    best, best_score = -1, 0.0
    for i, (s, gap) in enumerate(recent):
        text = cosine(vector, s.terms)
        overlap = 0.0
        if text >= rules.min_text_for_entities:
            shared = 0.0
            for e in sorted(entities & s.entity_ids):
                shared += specificity[e]
            if shared:
                overlap = shared / min(len(entities), len(s.entity_ids))
        score = meaning_weight * close[i] + text_weight * text + rules.entity_weight * overlap
        score *= 0.5 ** (gap / rules.half_life)
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        return Decision(None, 0.0, 0.0, ())
    s = recent[best][0]
    chosen = s.id if best_score >= threshold_for(rules, vector) else None
    shared_ids = tuple(sorted(entities & s.entity_ids))
    return Decision(chosen, best_score, cosine(vector, s.terms), shared_ids, close[best])


def reference_specificity(
    entities: frozenset[int], recent: list[StoryCandidate]
) -> dict[int, float]:
    """Each entity's inverse document frequency among the window's candidates, 0..1."""
    n = len(recent)
    out = {}
    for e in entities:
        df = sum(1 for s in recent if e in s.entity_ids)
        out[e] = math.log(1.0 + n / df) / math.log(1.0 + n) if df else 0.0
    return out


def reference_merge(
    story: StoryCandidate, others: list[StoryCandidate], rules: StoryRules
) -> Merge | None:
    scored = [o for o in others if o.id != story.id and o.meaning is not None]
    if story.meaning is None or not scored:
        return None
    best: tuple[float, float, StoryCandidate] | None = None  # (margin, similarity, story)
    for other, close in zip(scored, closeness(story.meaning, scored), strict=True):
        gap = max(
            timedelta(0), other.first_seen - story.last_seen, story.first_seen - other.last_seen
        )
        text = cosine(story.terms, other.terms)
        evidence, bar = close + rules.merge_text_weight * text, rules.merge_threshold
        lone = story if story.size == 1 else other if other.size == 1 else None
        if rules.lone_merge and lone is not None:  # the lone article's joining rule
            meaning_weight, text_weight = weights_for(rules, lone.terms)
            evidence, bar = (
                meaning_weight * close + text_weight * text,
                threshold_for(rules, lone.terms),
            )
        similarity = evidence * 0.5 ** (gap / rules.half_life)
        if similarity >= bar and (best is None or similarity - bar > best[0]):
            best = (similarity - bar, similarity, other)
    if best is None:
        return None
    keep, gone = sorted((story, best[2]), key=lambda s: (-s.size, s.id))
    return Merge(keep.id, gone.id, best[1])


def random_vector(rng: np.random.Generator, words: list[str], most: int = 40) -> dict[str, float]:
    picked = rng.choice(words, size=int(rng.integers(0, most + 1)), replace=False)
    return {str(w): float(v) for w, v in zip(picked, rng.random(len(picked)), strict=True)}


def random_story(rng: np.random.Generator, sid: int, words: list[str]) -> StoryCandidate:
    first = NOW - timedelta(microseconds=int(rng.integers(0, 200 * 3600 * 10**6)))
    last = first + timedelta(microseconds=int(rng.integers(0, 30 * 3600 * 10**6)))
    meaning = None if rng.random() < 0.2 else rng.standard_normal(16).astype(np.float32)
    entities = frozenset(rng.choice(12, size=int(rng.integers(0, 5)), replace=False).tolist())
    terms_ = random_vector(rng, words)
    return StoryCandidate(sid, "t", terms_, entities, last, first, int(rng.integers(1, 9)), meaning)


@pytest.mark.parametrize("seed", range(6))
def test_numpy_scoring_decides_as_one_candidate_at_a_time_to_the_last_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    words = [f"term{i}" for i in range(60)]  # few words: stories share many terms
    rules = StoryRules()
    for case in range(60):
        candidates = [random_story(rng, i, words) for i in range(int(rng.integers(0, 31)))]
        vector = random_vector(rng, words)
        entities = frozenset(rng.choice(12, size=int(rng.integers(0, 4)), replace=False).tolist())
        meaning = None if case % 7 == 0 else rng.standard_normal(16).astype(np.float32)
        at = NOW - timedelta(hours=float(rng.uniform(0, 150)))
        got = choose_story(vector, entities, at, candidates, rules, meaning)
        assert got == reference_choice(vector, entities, at, candidates, rules, meaning)
        if candidates:
            grown = candidates[0]
            assert choose_merge(grown, candidates, rules) == reference_merge(
                grown, candidates, rules
            )
        texts = term_cosines(vector, candidates).tolist()
        assert texts == [cosine(vector, s.terms) for s in candidates]


def test_a_kept_table_scores_as_the_candidates_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # An import keeps one table for its window: stories put in, replaced as they grow, taken
    # out (their rows reused), its vocabulary numbered again past its limit. Each article's
    # choice and merge must be those of its candidates alone.
    monkeypatch.setattr(StoryTable, "VOCABULARY_LIMIT", 150)
    rng = np.random.default_rng(11)
    words = [f"word{i}" for i in range(300)]
    rules = StoryRules()
    table = StoryTable()
    next_id = 0
    for step in range(300):
        if len(table) < 90 or rng.random() < 0.5:
            table[next_id] = random_story(rng, next_id, words)
            next_id += 1
        if rng.random() < 0.3:
            sid = int(rng.choice(list(table)))
            table[sid] = random_story(rng, sid, words)  # grown
        if rng.random() < 0.4 and len(table) > 1:
            del table[int(rng.choice(list(table)))]
        keys = [int(k) for k in rng.choice(list(table), size=min(30, len(table)), replace=False)]
        candidates = [table[k] for k in keys]
        vector = random_vector(rng, words)
        entities = frozenset(rng.choice(12, size=int(rng.integers(0, 4)), replace=False).tolist())
        meaning = None if step % 9 == 0 else rng.standard_normal(16).astype(np.float32)
        at = NOW - timedelta(hours=float(rng.uniform(0, 150)))
        assert table.choose(vector, entities, at, keys, rules, meaning) == choose_story(
            vector, entities, at, candidates, rules, meaning
        )
        grown = table[keys[0]]
        assert table.merge(grown, keys, rules) == choose_merge(grown, candidates, rules)
        rows = np.array([table._rows[k] for k in keys], dtype=np.int64)
        texts = table.term_cosines(vector, rows).tolist()
        assert texts == [cosine(vector, s.terms) for s in candidates]
    assert table.renumbered > 0 and len(table._keys) < next_id  # numbered again, rows reused


def test_the_compiled_decay_is_pythons_float_pow() -> None:
    # A constant base of 0.5 let the compiler use exp2, off by a bit now and then.
    gaps = np.random.default_rng(2).integers(0, 400 * 3600 * 10**6, 200_000)
    half_life = StoryRules().half_life // timedelta(microseconds=1)
    ones = np.ones(len(gaps))
    got = kernels._decayed(ones, gaps, half_life, kernels.HALF).tolist()
    assert got == [0.5 ** (g / half_life) for g in gaps.tolist()]


def test_a_story_with_more_terms_than_kept_widens_the_table() -> None:
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(100)]
    wide = StoryCandidate(
        1, "t", random_vector(rng, words, most=90) | {"w0": 0.5}, frozenset(), NOW, NOW
    )
    others = [random_story(rng, i, words) for i in range(2, 6)]
    vector = random_vector(rng, words)
    texts = term_cosines(vector, [*others, wide]).tolist()
    assert texts == [cosine(vector, s.terms) for s in [*others, wide]]
