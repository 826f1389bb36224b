"""Online grouping of articles into stories (pure decisions; the pipeline feeds them).

Each new article joins the best recent story or starts a new one. Similarity, after Miranda
et al. 2018 (multilingual streaming news clustering): the cosine of the headline's meaning
vector (tagwire.embeddings) and the story's mean vector, plus a little of the cosine of
title+lead term vectors and of the share of entities the article and the story have in
common, among stories whose last article is within a time window. The story keeps the mean
of its articles' vectors and a centroid of their terms. When the story an article joined has
grown close to another recent story, the two become one (choose_merge): a story that started
as two groups of differently worded headlines comes together once each group's mean says
what it is about.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from operator import mul

import numpy as np

from tagwire.embeddings import Vector, embed
from tagwire.types import StoryCandidate

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
STOPWORDS = frozenset(
    """
    about above after again against all also among and any are around because been before
    being below between both but can could did does doing down during each even ever every
    few for from further had has have having her here hers herself him himself his how
    however into its itself just last least less like made make many may more most much
    must near new news not now off once one only other our ours out over own per said same
    says she should since some still such than that the their theirs them then there these
    they this those though three through thus too two under until upon very via was way we
    were what when where whether which while who whom whose why will with within without
    would year years yet you your today week day days monday tuesday wednesday thursday
    friday saturday sunday told say according report reports reported people time first
    second back get got take
    """.split()
)
TERMS_KEPT = 40


@dataclass(frozen=True, slots=True)
class Decision:
    """Which story an article joins, and why (kept so a grouping can be explained)."""

    story_id: int | None  # None: start a new story
    score: float
    text_similarity: float  # cosine of the term vectors
    shared_entities: tuple[int, ...]
    meaning_similarity: float = 0.0  # cosine of the headline's and the story's vectors


@dataclass(frozen=True, slots=True)
class StoryRules:
    # How much an article's words say depends on how many it brings, so headlines (at most
    # short_terms terms) and full articles (title + lead, long_terms or more) are scored with
    # different weights and bars, linear in between.
    # Headlines, measured on the UCI headlines (bench/stories_eval.py, docs/quality.md) in
    # time order and with the stories interleaved: the meaning vectors decide, since
    # paraphrased headlines share few words; shared words and entities add a little (0.25
    # and 0.4 were best) but never decide alone. The bar: 0.25 to 0.3 were best in both
    # orders; the merges win back the recall a higher bar loses.
    meaning_weight_short: float = 1.0
    text_weight_short: float = 0.25
    threshold_short: float = 0.3
    # Full articles (no gold stories with text to measure on; the demo site's cases): the
    # meaning vector is still the headline's, and two headlines on one topic are close
    # (the demo site's US-China talks in Geneva and the Geneva summit: 0.33), while title +
    # lead terms and entities tell events apart, so they weigh as before schema 7 and the
    # headline's meaning adds half.
    meaning_weight: float = 0.5
    text_weight: float = 1.0
    threshold: float = 0.4
    entity_weight: float = 0.4
    short_terms: int = 8
    long_terms: int = 30
    # Shared entities count only when the texts share at least this much: one shared place
    # ("United States") joined unrelated stories otherwise.
    min_text_for_entities: float = 0.1
    window: timedelta = timedelta(hours=72)
    # Similarity halves for every this-many hours between the article and the story's
    # nearest article: the same company in two announcements a day apart is two stories.
    half_life: timedelta = timedelta(hours=18)
    # Two stories whose mean vectors are this close (after the same time decay) are one:
    # the mean of a few headlines is far steadier than one headline's vector, so this bar
    # sits well above the joining one. 0.45 on the UCI headlines; 0.4 merged neighbouring
    # market reports.
    merge_threshold: float = 0.45


def _length_share(rules: StoryRules, vector: dict[str, float]) -> float:
    """0 for a headline's few terms, 1 for a full article's, linear in between."""
    span = rules.long_terms - rules.short_terms
    return min(1.0, max(0.0, (len(vector) - rules.short_terms) / span))


def threshold_for(rules: StoryRules, vector: dict[str, float]) -> float:
    """The score an article with this many terms needs to join a story."""
    share = _length_share(rules, vector)
    return rules.threshold_short + share * (rules.threshold - rules.threshold_short)


def weights_for(rules: StoryRules, vector: dict[str, float]) -> tuple[float, float]:
    """The weights of the meaning and of the term similarity for an article this long."""
    share = _length_share(rules, vector)
    meaning = rules.meaning_weight_short + share * (
        rules.meaning_weight - rules.meaning_weight_short
    )
    text = rules.text_weight_short + share * (rules.text_weight - rules.text_weight_short)
    return meaning, text


def terms(title: str, lead: str) -> dict[str, float]:
    """Unit-length term vector of a title (counted twice) and its lead."""
    counts: dict[str, float] = {}
    for weight, text in ((2.0, title), (1.0, lead)):
        for word in _WORD.findall(text.casefold()):
            if word not in STOPWORDS:
                counts[word] = counts.get(word, 0.0) + weight
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TERMS_KEPT]
    return _unit(dict(top))


def headline_meaning(title: str) -> Vector | None:
    """The meaning vector of a headline; None when it has no words (it would only dilute a
    story's mean). The headline alone, not the lead: the weights and thresholds were measured
    on headlines, and the lead already speaks through the terms and entities."""
    return embed(title) if _WORD.search(title) else None


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    # The shared terms first (a set operation in C: two vectors share few of their up to 40
    # terms), in a fixed order so the sum is the same in every process. Story scoring uses
    # ``cosines``, the same floats for many stories at once.
    return sum(a[k] * b[k] for k in sorted(a.keys() & b.keys()))


def cosines(a: dict[str, float], others: Sequence[dict[str, float]]) -> list[float]:
    """``cosine(a, b)`` for each b of ``others``, the same floats: every term of ``a`` in
    sorted order, a missing one adding 0.0 (which changes no sum), all in C iterators;
    a fifth cheaper than a set intersection and a sort per pair."""
    keys = sorted(a)
    values = [a[k] for k in keys]
    zeros = [0.0] * len(keys)
    out: list[float] = [sum(map(mul, values, map(b.get, keys, zeros))) for b in others]
    return out


def merge_terms(centroid: dict[str, float], size: int, new: dict[str, float]) -> dict[str, float]:
    """The centroid after adding one article to a story of ``size`` articles."""
    merged = {k: v * size for k, v in centroid.items()}
    for k, v in new.items():
        merged[k] = merged.get(k, 0.0) + v
    top = sorted(merged.items(), key=lambda kv: kv[1], reverse=True)[:TERMS_KEPT]
    return _unit(dict(top))


def choose_story(
    vector: dict[str, float],
    entity_ids: Iterable[int],
    at: datetime,
    candidates: Iterable[StoryCandidate],
    rules: StoryRules = StoryRules(),
    meaning: Vector | None = None,
) -> Decision:
    """The recent story this article belongs to, or a new one when none is close enough.

    ``vector`` is the article's term vector, ``meaning`` its headline's meaning vector."""
    entities = frozenset(entity_ids)
    gaps = [(s, _gap(s.first_seen, s.last_seen, at, at)) for s in candidates]
    recent = [(s, gap) for s, gap in gaps if gap <= rules.window]
    weights = weights_for(rules, vector)
    close = closeness(meaning, [s for s, _ in recent])
    texts = cosines(vector, [s.terms for s, _ in recent])
    # Scores first, one Decision for the best: with ~30 candidates an article, building one
    # per candidate cost more than the arithmetic (bench/scale.py).
    best, best_score = -1, 0.0
    for i, (story, gap) in enumerate(recent):
        score = _score(texts[i], entities, close[i], story, rules, weights)
        score *= 0.5 ** (gap / rules.half_life)
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        return Decision(None, 0.0, 0.0, ())
    story = recent[best][0]
    text = texts[best]
    shared = tuple(sorted(entities & story.entity_ids))
    chosen = story.id if best_score >= threshold_for(rules, vector) else None
    return Decision(chosen, best_score, text, shared, close[best])


def _gap(first: datetime, last: datetime, start: datetime, end: datetime) -> timedelta:
    """The time between the span first..last and the span start..end (0 when they meet)."""
    return max(timedelta(0), first - end, start - last)


def closeness(meaning: Vector | None, stories: Sequence[StoryCandidate]) -> list[float]:
    """The cosine of one meaning vector with each story's (0 where either has none), in one
    matrix product: one numpy call per story cost more than its arithmetic, with ~17
    candidate stories an article at a million articles (bench/scale.py)."""
    out = [0.0] * len(stories)
    have = [(i, s.meaning) for i, s in enumerate(stories) if s.meaning is not None]
    if meaning is None or not have:
        return out
    matrix = np.array([v for _, v in have])  # np.stack checks each row first: 3x slower
    dots = (matrix @ meaning).tolist()
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix) * float(meaning @ meaning)).tolist()
    for (i, _), dot, norm in zip(have, dots, norms, strict=True):
        out[i] = dot / norm if norm else 0.0
    return out


def _score(
    text: float,
    entities: frozenset[int],
    close: float,
    story: StoryCandidate,
    rules: StoryRules,
    weights: tuple[float, float],
) -> float:
    """How close an article is to a story, before time decay (``text`` and ``close``: the
    cosines of the term and the meaning vectors; ``weights``: ``weights_for`` the article)."""
    overlap = 0.0
    if text >= rules.min_text_for_entities:
        shared = len(entities & story.entity_ids)
        if shared:
            overlap = shared / min(len(entities), len(story.entity_ids))
    meaning_weight, text_weight = weights
    return meaning_weight * close + text_weight * text + rules.entity_weight * overlap


MAX_STORY_ENTITIES = 200


def grow(
    story: StoryCandidate,
    vector: dict[str, float],
    entity_ids: Iterable[int],
    at: datetime,
    meaning: Vector | None = None,
) -> StoryCandidate:
    """The story after an article joins it (the store persists what this returns)."""
    entities = sorted(story.entity_ids | frozenset(entity_ids))[:MAX_STORY_ENTITIES]
    return replace(
        story,
        terms=merge_terms(story.terms, story.size, vector),
        entity_ids=frozenset(entities),
        first_seen=min(story.first_seen, at),
        last_seen=max(story.last_seen, at),
        size=story.size + 1,
        meaning=_mean(story.meaning, story.size, meaning, 1),
    )


def _mean(a: Vector | None, a_size: int, b: Vector | None, b_size: int) -> Vector | None:
    """The mean vector of two groups of articles. A story stored before stories had vectors
    has none: its mean starts with the articles that join it from then on."""
    if a is None or b is None:
        return b if a is None else a
    mean = (a * a_size + b * b_size) / (a_size + b_size)
    return mean.astype(np.float32)


def start(
    story_id: int,
    title: str,
    vector: dict[str, float],
    entity_ids: Iterable[int],
    at: datetime,
    meaning: Vector | None = None,
) -> StoryCandidate:
    entities = sorted(frozenset(entity_ids))[:MAX_STORY_ENTITIES]
    return StoryCandidate(story_id, title, vector, frozenset(entities), at, at, 1, meaning)


@dataclass(frozen=True, slots=True)
class Merge:
    """Two stories that became one: ``gone``'s articles move to ``keep``."""

    keep: int
    gone: int
    similarity: float  # cosine of the two stories' mean vectors, after time decay


def choose_merge(
    story: StoryCandidate, others: Iterable[StoryCandidate], rules: StoryRules = StoryRules()
) -> Merge | None:
    """Whether ``story``, just grown by an article, is now one with another recent story
    (``others``: the candidates the article was scored against). The larger story is kept,
    so fewer articles move; of two equal ones the older (lower id)."""
    if story.meaning is None:
        return None
    scored = [o for o in others if o.id != story.id and o.meaning is not None]
    best: tuple[float, StoryCandidate] | None = None
    for other, close in zip(scored, closeness(story.meaning, scored), strict=True):
        gap = _gap(other.first_seen, other.last_seen, story.first_seen, story.last_seen)
        similarity = close * 0.5 ** (gap / rules.half_life)
        if similarity >= rules.merge_threshold and (best is None or similarity > best[0]):
            best = (similarity, other)
    if best is None:
        return None
    similarity, other = best
    keep, gone = sorted((story, other), key=lambda s: (-s.size, s.id))
    return Merge(keep.id, gone.id, similarity)


def merged(keep: StoryCandidate, gone: StoryCandidate) -> StoryCandidate:
    """One story from two (the store persists what this returns under ``keep``'s id)."""
    weights = {k: v * keep.size for k, v in keep.terms.items()}
    for k, v in gone.terms.items():
        weights[k] = weights.get(k, 0.0) + v * gone.size
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TERMS_KEPT]
    entities = sorted(keep.entity_ids | gone.entity_ids)[:MAX_STORY_ENTITIES]
    return replace(
        keep,
        terms=_unit(dict(top)),
        entity_ids=frozenset(entities),
        first_seen=min(keep.first_seen, gone.first_seen),
        last_seen=max(keep.last_seen, gone.last_seen),
        size=keep.size + gone.size,
        meaning=_mean(keep.meaning, keep.size, gone.meaning, gone.size),
    )


KEY_TERMS = 8


def index_keys(vector: dict[str, float], entity_ids: Iterable[int]) -> list[str]:
    """What a story is found by: the article's strongest terms and all its entities."""
    top = sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:KEY_TERMS]
    return [f"t:{term}"[:120] for term, _ in top] + [f"e:{e}" for e in sorted(set(entity_ids))]
