"""The UCI dev headlines replayed through tagwire's story stage as the pipeline and the
store feed it (``cluster``), and the stories interleaved (``interleave``); what
``bench/stories_eval.py`` measures."""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from tagwire.embeddings import Vector
from tagwire.store.write_stories import MAX_STORY_CANDIDATES  # the store's cap on candidate stories
from tagwire.stories.group import (
    broad_place_ids,
    candidate_scores,
    choose_merge,
    choose_story,
    grow,
    index_keys,
    merged,
    start,
)
from tagwire.stories.rules import (
    Decision,
    Merge,
    StoryRules,
    headline_meaning,
    terms,
    threshold_for,
)
from tagwire.types import StoryCandidate

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "news-aggregator-uci"
    / "uci_news_aggregator_head_dev.csv"
)
DEFAULT_RULES = StoryRules()


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    title: str
    publisher: str
    story: str
    at: datetime  # aware, UTC


def load_uci(path: Path = DATA) -> list[Row]:
    """The headlines of the UCI CSV, in the order they arrived (timestamp, then id)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [
            Row(
                id=int(r["ID"]),
                title=r["TITLE"],
                publisher=r["PUBLISHER"],
                story=r["STORY"],
                at=datetime.fromtimestamp(int(r["TIMESTAMP"]) / 1000, tz=UTC),
            )
            for r in csv.DictReader(f)
        ]
    return sorted(rows, key=lambda r: (r.at, r.id))


# --- tagwire's story stage, replayed ---------------------------------------------------------


@cache
def title_entities(title: str) -> tuple[tuple[str, str], ...]:
    """The (kind, name key) of every entity NER finds in a headline (cached: spaCy is slow).

    The store identifies an entity by its kind and ``name_key(name)``
    (ingest.writer.ArticleWriter.entity_id)."""
    from tagwire.entities.names import name_key
    from tagwire.entities.ner import find_mentions

    keys = ((m.kind.value, name_key(m.name)) for m in find_mentions(title, ""))
    return tuple(dict.fromkeys(keys))


@cache
def title_meaning(title: str) -> Vector | None:
    """The headline's meaning vector, as the pipeline computes it (cached across runs)."""
    return headline_meaning(title)


class KeyIndex:
    """The store's ``story_keys`` table in memory: which stories an article's index keys
    find, most shared keys first (ingest.writer.ArticleWriter.story_candidates)."""

    def __init__(self) -> None:
        # key -> story id -> time of the story's latest article with that key
        self.latest: dict[str, dict[int, datetime]] = {}

    def add(self, keys: Iterable[str], story_id: int, at: datetime) -> None:
        for key in keys:
            stories = self.latest.setdefault(key, {})
            stories[story_id] = max(at, stories.get(story_id, at))

    def find(self, keys: Iterable[str], at: datetime, window: timedelta) -> list[int]:
        """Stories with an article within ``window`` of ``at`` sharing a key, most shared
        distinct keys first, then the newest story; at most MAX_STORY_CANDIDATES."""
        shared: Counter[int] = Counter()
        for key in set(keys):
            for story_id, last in self.latest.get(key, {}).items():
                if last >= at - window:  # rows arrive in time order: the latest decides
                    shared[story_id] += 1
        ranked = sorted(shared.items(), key=lambda kv: (-kv[1], -kv[0]))
        return [story_id for story_id, _ in ranked[:MAX_STORY_CANDIDATES]]


def cluster(
    rows: Sequence[Row],
    rules: StoryRules = DEFAULT_RULES,
    use_entities: bool = True,
    use_meaning: bool = True,
    merges: list[Merge] | None = None,
    trace: list[Step] | None = None,
) -> dict[int, int]:
    """Row id -> predicted story id, from one pass over ``rows`` in their order.

    As the pipeline and the store do it: headline terms, entity ids (one int per kind + name
    key) and meaning vector; candidates from the index of story keys within
    ``rules.window``, a merged story standing for the one it became part of;
    ``choose_story`` then ``grow`` or ``start``; then ``choose_merge`` against the same
    candidates. A merged story's articles take the kept story's id. The merges are added to
    ``merges`` when it is given, and each row's step to ``trace``."""
    entity_ids: dict[tuple[str, str], int] = {}
    stories: dict[int, StoryCandidate] = {}
    index = KeyIndex()
    merged_into: dict[int, int] = {}
    predicted: dict[int, int] = {}
    last_of_gold: dict[str, int] = {}  # gold story -> predicted story of its latest row
    for row in rows:
        vector = terms(row.title, "")
        ids: list[int] = []
        broad: frozenset[int] = frozenset()
        if use_entities:
            found_keys = title_entities(row.title)
            ids = [entity_ids.setdefault(key, len(entity_ids)) for key in found_keys]
            broad = broad_place_ids(zip(found_keys, ids, strict=True))
        meaning = title_meaning(row.title) if use_meaning else None
        keys = index_keys(vector, ids)
        found = (final_id(i, merged_into) for i in index.find(keys, row.at, rules.window))
        candidates = [stories[i] for i in dict.fromkeys(found)]
        decision = choose_story(vector, ids, row.at, candidates, rules, meaning, broad)
        joined_terms = stories[decision.story_id].terms if decision.story_id is not None else {}
        if decision.story_id is None:
            story = start(len(predicted) + 1, row.title, vector, ids, row.at, meaning)
        else:
            story = grow(stories[decision.story_id], vector, ids, row.at, meaning)
        stories[story.id] = story
        index.add(keys, story.id, row.at)
        predicted[row.id] = story.id
        merge = choose_merge(story, candidates, rules)
        if trace is not None:
            home = last_of_gold.get(row.story)
            home = None if home is None else final_id(home, merged_into)
            at_home = None
            if home is not None and home != story.id:
                home_story = stories[home]
                scored = choose_story(vector, ids, row.at, [home_story], rules, meaning)
                level = max(home_story.first_seen, min(row.at, home_story.last_seen))
                undecayed = choose_story(vector, ids, level, [home_story], rules, meaning)
                at_home = HomeScore(
                    home,
                    home in {c.id for c in candidates},
                    row.at - home_story.last_seen,
                    scored.score,
                    undecayed.score,
                    threshold_for(rules, vector),
                )
            # How close the runner-up came, and what the row shared with the story it joined
            # (the --joins breakdown); scored apart so the replay's decisions do not change.
            scores = candidate_scores(vector, ids, row.at, candidates, rules, meaning, broad)
            runner_up = sorted(scores.values(), reverse=True)[1:2] or [0.0]
            trace.append(
                Step(
                    row,
                    decision,
                    story.id,
                    merge,
                    at_home,
                    runner_up[0],
                    len(vector.keys() & joined_terms.keys()),
                    story.size - 1,
                )
            )
            last_of_gold[row.story] = story.id
        if merge is not None:
            stories[merge.keep] = merged(stories[merge.keep], stories.pop(merge.gone))
            merged_into[merge.gone] = merge.keep
            if merges is not None:
                merges.append(merge)
    return {row_id: final_id(story_id, merged_into) for row_id, story_id in predicted.items()}


@dataclass(frozen=True, slots=True)
class Step:
    """One row's decision in a replay (``cluster(..., trace=...)``)."""

    row: Row
    decision: Decision
    story_id: int  # the story the row joined or started
    merge: Merge | None
    home: HomeScore | None  # when the row's gold story was elsewhere at the time
    runner_up: float = 0.0  # the second-best candidate's score (0 with fewer than two)
    shared_terms: int = 0  # terms the row shared with the story it joined (as it was)
    joined_size: int = 0  # articles in the story it joined, before it (0: it started one)


@dataclass(frozen=True, slots=True)
class HomeScore:
    """How a row scored against the predicted story of its gold story's latest row."""

    story_id: int
    found: bool  # among the candidates the index of story keys gave
    gap: timedelta  # since that story's latest article
    score: float
    score_without_gap: float  # as if the row came within the story's span
    threshold: float


def final_id(story_id: int, merged_into: Mapping[int, int]) -> int:
    while story_id in merged_into:
        story_id = merged_into[story_id]
    return story_id


def interleave(rows: Sequence[Row], seed: int = 1) -> list[Row]:
    """The same headlines with the stories shuffled together, as in a stream where they all
    run at once: each story keeps its own order, the next headline comes from a story drawn
    at random (weighted by the headlines it has left), and the times are spread evenly over
    the original span, so that when a headline arrives says nothing about its story.

    In time order this data has each story as one burst (see data_shape), where even a rule
    that only looks at the gap since the last headline scores well."""
    by_story: dict[str, list[Row]] = {}
    for row in rows:
        by_story.setdefault(row.story, []).append(row)
    draws = [row.story for row in rows]
    random.Random(seed).shuffle(draws)
    queues = {story: iter(members) for story, members in by_story.items()}
    mixed = [next(queues[story]) for story in draws]
    first, last = rows[0].at, rows[-1].at
    step = (last - first) / max(1, len(rows) - 1)
    return [replace(row, at=first + step * i) for i, row in enumerate(mixed)]
