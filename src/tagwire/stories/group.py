"""The story steps: choose a story for an article, grow or start one, merge two; and
what a story is found by (its index keys)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np

from tagwire.embeddings import Vector
from tagwire.entities.knowledge import is_broad_place
from tagwire.stories.rules import DEFAULT_RULES, TERMS_KEPT, Decision, Merge, StoryRules, _unit
from tagwire.stories.table import StoryTable
from tagwire.types import EntityKind, StoryCandidate


def term_cosines(vector: dict[str, float], stories: Sequence[StoryCandidate]) -> np.ndarray:
    """``cosine(vector, s.terms)`` for each story, the same floats (StoryTable)."""
    return StoryTable.of(stories).term_cosines(vector, np.arange(len(stories)))


def merge_terms(centroid: dict[str, float], size: int, new: dict[str, float]) -> dict[str, float]:
    """The centroid after adding one article to a story of ``size`` articles."""
    merged = {k: v * size for k, v in centroid.items()}
    for k, v in new.items():
        merged[k] = merged.get(k, 0.0) + v
    top = sorted(merged, key=merged.__getitem__, reverse=True)[:TERMS_KEPT]  # ties: as met
    return _unit({k: merged[k] for k in top})


def choose_story(
    vector: dict[str, float],
    entity_ids: Iterable[int],
    at: datetime,
    candidates: Iterable[StoryCandidate],
    rules: StoryRules = DEFAULT_RULES,
    meaning: Vector | None = None,
    broad: Iterable[int] = (),
) -> Decision:
    """The recent story this article belongs to, or a new one when none is close enough.

    ``vector`` is the article's term vector, ``meaning`` its headline's meaning vector.
    ``broad``: the ids among ``entity_ids`` that are broad places (``broad_place_ids``):
    they say nothing of which event an article tells, so they are never shared entities of a
    decision (a continent, a world region: "Asia", "Europe"); they stay the story's
    entities, and its index keys. Each other shared entity counts by its specificity among
    the candidates within the window (``_specificity``): 1 when one of them has it, less the
    more of them do, so that ingest and an import, which score the same candidates, weigh
    it alike."""
    table = StoryTable.of(candidates)
    return table.choose(vector, entity_ids, at, range(len(table)), rules, meaning, broad)


def candidate_scores(
    vector: dict[str, float],
    entity_ids: Iterable[int],
    at: datetime,
    candidates: Sequence[StoryCandidate],
    rules: StoryRules = DEFAULT_RULES,
    meaning: Vector | None = None,
    broad: Iterable[int] = (),
) -> dict[int, float]:
    """Each candidate's score as ``choose_story`` weighs it, by story id (those within the
    window): how close the stories it did not choose came."""
    table = StoryTable.of(candidates)
    return table.scores(vector, entity_ids, at, range(len(table)), rules, meaning, broad)


def broad_place_ids(entities: Iterable[tuple[tuple[str, str], int]]) -> frozenset[int]:
    """The ids of the broad places among ((kind, name), id) pairs
    (``tagwire.entities.knowledge.is_broad_place``): what ``choose_story`` does not count."""
    place = EntityKind.PLACE.value
    return frozenset(i for (kind, name), i in entities if kind == place and is_broad_place(name))


def closeness(meaning: Vector | None, stories: Sequence[StoryCandidate]) -> list[float]:
    """The cosine of one meaning vector with each story's (0 where either has none)."""
    found: list[float] = StoryTable.of(stories).closeness(meaning, np.arange(len(stories))).tolist()
    return found


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


def choose_merge(
    story: StoryCandidate, others: Iterable[StoryCandidate], rules: StoryRules = DEFAULT_RULES
) -> Merge | None:
    """Whether ``story``, just grown by an article, is now one with another recent story
    (``others``: the candidates the article was scored against): the cosine of their mean
    vectors plus ``rules.merge_text_weight`` x the cosine of their term centroids, decayed
    by the time between them, at least ``rules.merge_threshold``. The larger story is kept,
    so fewer articles move; of two equal ones the older (lower id)."""
    table = StoryTable.of(others)
    return table.merge(story, range(len(table)), rules)


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
    return term_keys(vector) + entity_keys(entity_ids)


def term_keys(vector: dict[str, float]) -> list[str]:
    """``index_keys``' terms: what the text alone decides (an import's workers find them)."""
    top = sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:KEY_TERMS]
    return [f"t:{term}"[:120] for term, _ in top]


def entity_keys(entity_ids: Iterable[int]) -> list[str]:
    return [f"e:{e}" for e in sorted(set(entity_ids))]
