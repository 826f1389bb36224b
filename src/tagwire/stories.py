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
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
    # The most counted first, then by word: sorted by word, then stably by count, with a
    # key in C (a lambda building tuples was a third of this function).
    top = sorted(sorted(counts), key=counts.__getitem__, reverse=True)[:TERMS_KEPT]
    return _unit({word: counts[word] for word in top})


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


# -- what scoring derives from a story, once per state of it ---------------------------------


@dataclass(frozen=True, slots=True)
class _Derived:
    generation: int  # of the vocabulary its term ids come from
    term_ids: np.ndarray  # the story's terms as vocabulary ids, in the terms' sorted order
    term_values: np.ndarray
    first: int  # first_seen and last_seen in microseconds since the epoch
    last: int


class _Vocabulary:
    """Terms numbered in this process, so that term vectors meet in numpy; a number only
    says which terms are equal, so no result depends on it. Bounded: past LIMIT terms it
    starts again, and what was numbered before is numbered again when next used."""

    LIMIT = 2_000_000

    def __init__(self) -> None:
        # The numbering and its generation, swapped together (ingest's threads share them).
        self.state: tuple[int, dict[str, int]] = (0, {})
        self.lock = threading.Lock()

    @property
    def generation(self) -> int:
        return self.state[0]

    def of(self, terms: list[str]) -> tuple[np.ndarray, int]:
        """The terms' ids, and the generation they belong to."""
        generation, ids = self.state
        try:  # nearly always: every term numbered already (a test of each first cost more)
            return np.fromiter(map(ids.__getitem__, terms), np.int64, len(terms)), generation
        except KeyError:
            with self.lock:
                generation, ids = self.state
                missing = [term for term in terms if term not in ids]
                if len(ids) + len(missing) > self.LIMIT:  # start again
                    generation, ids = generation + 1, {}
                    missing = terms
                for term in missing:
                    ids.setdefault(term, len(ids))
                self.state = (generation, ids)
        return np.fromiter(map(ids.__getitem__, terms), np.int64, len(terms)), generation


_vocabulary = _Vocabulary()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def _derive(story: StoryCandidate) -> _Derived:
    derived: _Derived | None = story.derived
    if derived is None or derived.generation != _vocabulary.generation:
        keys = sorted(story.terms)
        ids, generation = _vocabulary.of(keys)
        derived = _Derived(
            generation,
            ids,
            np.fromiter(map(story.terms.__getitem__, keys), np.float64, len(keys)),
            _micros(story.first_seen),
            _micros(story.last_seen),
        )
        object.__setattr__(story, "derived", derived)
    return derived


def term_cosines(vector: dict[str, float], stories: Sequence[StoryCandidate]) -> np.ndarray:
    """``cosine(vector, s.terms)`` for each story, the same floats, in a few numpy calls for
    all the stories, on their term vectors as arrays kept with each story (``_derive``).
    Term by term in Python, this was a sixth of an import's decisions (bench/scale.py):
    ~30 candidate stories of up to 40 terms an article."""
    derived = [_derive(s) for s in stories]
    return _term_cosines(vector, stories, derived)


class _Scratch(threading.local):
    """A zeroed array over the vocabulary, one per thread: an article's term weights are
    set in it, read at the stories' terms, and zeroed again."""

    def __init__(self) -> None:
        self.array = np.zeros(1 << 16)

    def at_least(self, n: int) -> np.ndarray:
        if len(self.array) < n:
            self.array = np.zeros(2 * n)
        return self.array


_scratch = _Scratch()


def _term_cosines(
    vector: dict[str, float], stories: Sequence[StoryCandidate], derived: list[_Derived]
) -> np.ndarray:
    if not vector or not stories:
        return np.zeros(len(stories))
    mine, generation = _vocabulary.of(list(vector))
    if any(d.generation != generation for d in derived):  # numbered across a restart
        return np.array(cosines(vector, [s.terms for s in stories]))
    theirs = np.concatenate([d.term_ids for d in derived])
    weights = np.concatenate([d.term_values for d in derived])
    scratch = _scratch.at_least(int(max(mine.max(), theirs.max(initial=0))) + 1)
    scratch[mine] = np.fromiter(vector.values(), np.float64, len(vector))
    products = scratch[theirs] * weights  # 0.0 where the article lacks the term
    scratch[mine] = 0.0
    story = np.repeat(np.arange(len(stories)), [len(d.term_ids) for d in derived])
    # bincount adds each story's products one after the other, in its terms' sorted order,
    # from 0.0: as ``cosine``, whose sum the zeros of the terms not shared leave unchanged.
    out: np.ndarray = np.bincount(story, weights=products, minlength=len(stories))
    return out


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
    rules: StoryRules = StoryRules(),
    meaning: Vector | None = None,
) -> Decision:
    """The recent story this article belongs to, or a new one when none is close enough.

    ``vector`` is the article's term vector, ``meaning`` its headline's meaning vector."""
    entities = frozenset(entity_ids)
    stories = list(candidates)
    derived = [_derive(s) for s in stories]
    gaps = _gaps(derived, _micros(at), _micros(at))
    kept = np.flatnonzero(gaps <= rules.window // _MICROSECOND).tolist()
    if not kept:
        return Decision(None, 0.0, 0.0, ())
    recent = [stories[i] for i in kept]
    # All the candidates at once, in numpy, in the order of operations (and so to the same
    # floats) of one candidate at a time: ~30 candidates an article (bench/scale.py).
    meaning_weight, text_weight = weights_for(rules, vector)
    close = np.array(closeness(meaning, recent))
    texts = _term_cosines(vector, recent, [derived[i] for i in kept])
    overlap = np.array(
        [_overlap(entities, s.entity_ids) for s in recent] if entities else np.zeros(len(recent))
    )
    overlap[texts < rules.min_text_for_entities] = 0.0
    scores = meaning_weight * close + text_weight * texts + rules.entity_weight * overlap
    scores *= _decay(gaps[kept], rules)
    best = int(np.argmax(scores))  # the first of equals, as one at a time kept it
    best_score = float(scores[best])
    if best_score <= 0.0:
        return Decision(None, 0.0, 0.0, ())
    story = recent[best]
    shared = tuple(sorted(entities & story.entity_ids))
    chosen = story.id if best_score >= threshold_for(rules, vector) else None
    return Decision(chosen, best_score, float(texts[best]), shared, float(close[best]))


def _overlap(entities: frozenset[int], theirs: frozenset[int]) -> float:
    shared = len(entities & theirs)
    return shared / min(len(entities), len(theirs)) if shared else 0.0


def _gaps(derived: Sequence[_Derived], start: int, end: int) -> np.ndarray:
    """Microseconds between each story's span and the span start..end (microseconds since
    the epoch; 0 when they meet), in integers: exact, as timedelta's."""
    first = np.fromiter((d.first for d in derived), np.int64, len(derived))
    last = np.fromiter((d.last for d in derived), np.int64, len(derived))
    return np.maximum(np.maximum(first - end, start - last), 0)


def _decay(gaps: np.ndarray, rules: StoryRules) -> np.ndarray:
    """0.5 ** (gap / half_life) for each gap (microseconds). The powers by Python's float
    pow (C's pow): numpy's own may differ in the last bit, and a score then with it."""
    halves = gaps / (rules.half_life // _MICROSECOND)  # int / int: exact as timedelta's
    return np.array([0.5**h for h in halves.tolist()])


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
    if not scored:
        return None
    mine = _derive(story)
    gaps = _gaps([_derive(o) for o in scored], mine.first, mine.last)
    similarities = np.array(closeness(story.meaning, scored)) * _decay(gaps, rules)
    similarities[similarities < rules.merge_threshold] = -1.0
    best = int(np.argmax(similarities))  # the first of equals
    if similarities[best] < 0:
        return None
    similarity, other = float(similarities[best]), scored[best]
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
