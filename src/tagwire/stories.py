"""Online grouping of articles into stories (pure decisions; the pipeline feeds them).

Each new article joins the best recent story or starts a new one. Similarity, after Miranda
et al. 2018 (multilingual streaming news clustering): cosine of title+lead term vectors, plus
the share of entities the article and the story have in common, among stories whose last
article is within a time window. The story keeps a centroid of its articles' terms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

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
    text_similarity: float
    shared_entities: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StoryRules:
    # Measured on the UCI headlines (bench/stories_eval.py, docs/quality.md): text alone
    # must be able to join a story (paraphrased headlines share few words), and shared
    # entities add to shared words but never replace them.
    # The bar depends on how much text the article brings: a headline's few words rarely
    # match a story's centroid well (0.2 was best on the UCI headlines), while title + lead
    # vectors of unrelated articles on one topic reach 0.3 (the demo site's US-China talks
    # against the Geneva summit), so full articles need 0.4. In between, linear.
    threshold_short: float = 0.2
    threshold: float = 0.4
    short_terms: int = 8
    long_terms: int = 30
    text_weight: float = 1.0
    entity_weight: float = 0.4
    # Shared entities count only when the texts share at least this much: one shared place
    # ("United States") joined unrelated stories otherwise.
    min_text_for_entities: float = 0.1
    window: timedelta = timedelta(hours=72)
    # Similarity halves for every this-many hours between the article and the story's
    # nearest article: the same company in two announcements a day apart is two stories.
    half_life: timedelta = timedelta(hours=18)


def threshold_for(rules: StoryRules, vector: dict[str, float]) -> float:
    """The score an article with this many terms needs to join a story."""
    n = len(vector)
    if n <= rules.short_terms:
        return rules.threshold_short
    if n >= rules.long_terms:
        return rules.threshold
    share = (n - rules.short_terms) / (rules.long_terms - rules.short_terms)
    return rules.threshold_short + share * (rules.threshold - rules.threshold_short)


def terms(title: str, lead: str) -> dict[str, float]:
    """Unit-length term vector of a title (counted twice) and its lead."""
    counts: dict[str, float] = {}
    for weight, text in ((2.0, title), (1.0, lead)):
        for word in _WORD.findall(text.casefold()):
            if word not in STOPWORDS:
                counts[word] = counts.get(word, 0.0) + weight
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TERMS_KEPT]
    return _unit(dict(top))


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


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
) -> Decision:
    """The recent story this article belongs to, or a new one when none is close enough."""
    entities = frozenset(entity_ids)
    best = Decision(None, 0.0, 0.0, ())
    for story in candidates:
        gap = max(timedelta(0), story.first_seen - at, at - story.last_seen)
        if gap > rules.window:
            continue
        text = cosine(vector, story.terms)
        shared = entities & story.entity_ids
        overlap = (
            len(shared) / min(len(entities), len(story.entity_ids))
            if shared and text >= rules.min_text_for_entities
            else 0.0
        )
        decay = 0.5 ** (gap / rules.half_life)
        score = (rules.text_weight * text + rules.entity_weight * overlap) * decay
        if score > best.score:
            best = Decision(story.id, score, text, tuple(sorted(shared)))
    if best.score >= threshold_for(rules, vector):
        return best
    return Decision(None, best.score, best.text_similarity, best.shared_entities)


MAX_STORY_ENTITIES = 200


def grow(
    story: StoryCandidate, vector: dict[str, float], entity_ids: Iterable[int], at: datetime
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
    )


def start(
    story_id: int, title: str, vector: dict[str, float], entity_ids: Iterable[int], at: datetime
) -> StoryCandidate:
    entities = sorted(frozenset(entity_ids))[:MAX_STORY_ENTITIES]
    return StoryCandidate(story_id, title, vector, frozenset(entities), at, at, 1)


KEY_TERMS = 8


def index_keys(vector: dict[str, float], entity_ids: Iterable[int]) -> list[str]:
    """What a story is found by: the article's strongest terms and all its entities."""
    top = sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:KEY_TERMS]
    return [f"t:{term}"[:120] for term, _ in top] + [f"e:{e}" for e in sorted(set(entity_ids))]
