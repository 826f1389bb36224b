"""Online grouping of articles into stories (pure decisions; the pipeline feeds them).

Each new article joins the best recent story or starts a new one. Similarity, after Miranda
et al. 2018 (multilingual streaming news clustering): the cosine of the headline's meaning
vector (tagwire.embeddings) and the story's mean vector, plus a little of the cosine of
title+lead term vectors and of the share of entities the article and the story have in
common, among stories whose last article is within a time window. A shared entity counts by
how specific it is: its inverse document frequency among the window's candidate stories
(a tag that every recent story carries says little of which event this is). The story keeps
the mean of its articles' vectors and a centroid of their terms. When the story an article
joined has grown close to another recent story, the two become one (choose_merge), judged
on the evidence both have gathered (mean vectors and term centroids): a story that started
as two groups of differently worded headlines comes together once each group's mean says
what it is about.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import filterfalse, repeat
from typing import Any

import numba
import numpy as np

from tagwire import words
from tagwire.embeddings import Vector, embed
from tagwire.entities.knowledge import is_broad_place
from tagwire.types import EntityKind, StoryCandidate

# An article's terms come from its title and this much of its text (its lead).
LEAD_CHARS = 600
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
    # headline's meaning adds half. The bar: 0.45 (0.4 before issue 28). The demo's
    # "US-China trade talks resume in Geneva" scored 0.437 against the Italy-Japan summit in
    # Geneva when it came after two of the summit's articles (0.406 of it the shared word
    # "Geneva" and a headline on trade, the rest Geneva and the United States as shared
    # entities); the summit's own articles score 0.63 to 1.07 (tests/test_stories.py).
    meaning_weight: float = 0.5
    text_weight: float = 1.0
    threshold: float = 0.45
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
    # sits well above the joining one. A merge weighs the evidence the two stories have
    # gathered: their mean vectors' cosine plus merge_text_weight times the cosine of their
    # term centroids (issue 28; before, the mean vectors alone at 0.45: 0.4 merged
    # neighbouring market reports). Chosen on one half of the UCI dev stories and checked on
    # the other (bench/stories_eval.py --halves, docs/quality.md).
    merge_threshold: float = 0.5
    merge_text_weight: float = 0.25


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
    # _WORD.findall(...) compiled (tagwire.words) and counted in C: a word's count is the
    # same whole number as when the title's words added 2.0 and the lead's 1.0.
    found = words.runs(f"{title} {title} {lead}".casefold(), words.LETTER, 3)
    counts = Counter(filterfalse(STOPWORDS.__contains__, found.decode("utf-8").split()))
    # The most counted first, then by word: sorted by word, then stably by count, with a
    # key in C (a lambda building tuples was a third of this function).
    top = sorted(sorted(counts), key=counts.__getitem__, reverse=True)[:TERMS_KEPT]
    return _unit({word: float(counts[word]) for word in top})


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
    # terms), in a fixed order so the sum is the same in every process. Story scoring
    # (StoryTable) adds the same products in the same order.
    return sum(a[k] * b[k] for k in sorted(a.keys() & b.keys()))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """Microseconds since the epoch (an integer: times compared in compiled loops)."""
    return (at - _EPOCH) // MICROSECOND


# -- scoring many stories at once ------------------------------------------------------------


class StoryTable(MutableMapping[int, StoryCandidate]):
    """Stories by key, with what scoring reads of them in arrays, a row per story: their
    term vectors (as ids of the table's own vocabulary, in the terms' sorted order), entity
    ids (sorted), spans and mean vectors. ``choose`` and ``merge`` then score all of an
    article's candidates (up to 30) in one matrix product and a compiled loop. Story by
    story in Python, and then in numpy with each story's arrays joined per call, that was a
    third of an import's decisions (bench/scale.py). The floats are those of one story at a
    time in Python (tests/test_stories.py). An import keeps one table of the stories in its
    window (keyed by story id); ``choose_story`` and ``choose_merge`` build one for their
    candidates (keyed by position). One thread uses a table."""

    VOCABULARY_LIMIT = 2_000_000  # terms numbered; past it, the rows are numbered again

    def __init__(self) -> None:
        self._stories: dict[int, StoryCandidate] = {}
        self._rows: dict[int, int] = {}  # key -> row
        self._free: list[int] = []
        self._vocabulary: dict[str, int] = {}  # the terms of stories put in, numbered
        self._limit = self.VOCABULARY_LIMIT
        self.renumbered = 0
        self._scratch = np.zeros(1024)  # by term id: an article's weights, then zeroed
        # By row: rows are reused, and twice as many made when they run out.
        self._keys = np.zeros(0, np.int64)
        self._ids = np.zeros(0, np.int64)  # story ids
        self._first = np.zeros(0, np.int64)  # microseconds since the epoch
        self._last = np.zeros(0, np.int64)
        self._term_ids = np.zeros((0, TERMS_KEPT), np.int64)  # padded with zeros
        self._term_values = np.zeros((0, TERMS_KEPT))
        self._term_counts = np.zeros(0, np.int64)
        self._entities = np.zeros((0, 8), np.int64)  # sorted, padded; wider when needed
        self._entity_counts = np.zeros(0, np.int64)
        self._meanings: np.ndarray | None = None  # float32, made with the first vector
        self._squares = np.zeros(0, np.float32)  # each mean vector's dot with itself
        self._has_meaning = np.zeros(0, bool)

    @classmethod
    def of(cls, stories: Iterable[StoryCandidate]) -> StoryTable:
        """A table of these stories, keyed by their positions."""
        table = cls()
        for i, story in enumerate(stories):
            table[i] = story
        return table

    # -- the mapping -------------------------------------------------------------------------

    def __getitem__(self, key: int) -> StoryCandidate:
        return self._stories[key]

    def __setitem__(self, key: int, story: StoryCandidate) -> None:
        row = self._rows.get(key)
        if row is None:
            row = self._free.pop() if self._free else self._new_row()
            self._rows[key] = row
            self._keys[row] = key
        self._stories[key] = story
        self._fill(row, story)

    def __delitem__(self, key: int) -> None:
        del self._stories[key]
        self._free.append(self._rows.pop(key))

    def __iter__(self) -> Iterator[int]:
        return iter(self._stories)

    def __len__(self) -> int:
        return len(self._stories)

    def __contains__(self, key: object) -> bool:
        return key in self._stories

    def last_seen_before(self, at: datetime) -> list[int]:
        """The keys of the stories whose last article is older than ``at``."""
        return [key for key, story in self._stories.items() if story.last_seen < at]

    def lacking(self, keys: Iterable[int]) -> list[int]:
        """The keys not in the table (in one comprehension, not a method call each)."""
        stories = self._stories
        return [key for key in keys if key not in stories]

    # -- the rows ----------------------------------------------------------------------------

    def _new_row(self) -> int:
        row = len(self._rows) + len(self._free)
        if row == len(self._keys):  # full
            more = max(64, row)
            self._keys = _longer(self._keys, more)
            self._ids = _longer(self._ids, more)
            self._first = _longer(self._first, more)
            self._last = _longer(self._last, more)
            self._term_ids = _longer(self._term_ids, more)
            self._term_values = _longer(self._term_values, more)
            self._term_counts = _longer(self._term_counts, more)
            self._entities = _longer(self._entities, more)
            self._entity_counts = _longer(self._entity_counts, more)
            self._squares = _longer(self._squares, more)
            self._has_meaning = _longer(self._has_meaning, more)
            if self._meanings is not None:
                self._meanings = _longer(self._meanings, more)
        return row

    def _fill(self, row: int, story: StoryCandidate) -> None:
        self._ids[row] = story.id
        self._first[row] = micros(story.first_seen)
        self._last[row] = micros(story.last_seen)
        self._put_terms(row, story.terms)
        entities = sorted(story.entity_ids)
        self._entities = _wide(self._entities, len(entities))
        self._entities[row, : len(entities)] = entities
        self._entity_counts[row] = len(entities)
        meaning = story.meaning
        self._has_meaning[row] = meaning is not None
        if meaning is not None:
            if self._meanings is None:
                self._meanings = np.zeros((len(self._keys), len(meaning)), np.float32)
            self._meanings[row] = meaning
            # einsum's float, as scoring took it over the candidates' matrix before: it
            # sums each row on its own, so a row alone gives the same.
            vector = self._meanings[row : row + 1]
            self._squares[row] = np.einsum("ij,ij->i", vector, vector)[0]

    def _put_terms(self, row: int, terms: dict[str, float]) -> None:
        keys = sorted(terms)
        if len(self._vocabulary) + len(keys) > self._limit:
            self._renumber()  # this story's terms with the others'
        self._number(row, terms, keys)

    def _number(self, row: int, terms: dict[str, float], keys: list[str]) -> None:
        self._term_ids = _wide(self._term_ids, len(keys))  # a story stored with more terms
        self._term_values = _wide(self._term_values, len(keys))
        vocabulary = self._vocabulary
        for term in keys:
            if term not in vocabulary:
                vocabulary[term] = len(vocabulary)
        n = len(keys)
        self._term_ids[row, :n] = list(map(vocabulary.__getitem__, keys))
        self._term_values[row, :n] = list(map(terms.__getitem__, keys))
        self._term_counts[row] = n
        if len(vocabulary) > len(self._scratch):
            self._scratch = np.zeros(2 * len(vocabulary))

    def _renumber(self) -> None:
        """The vocabulary again, from the stories in the table only (the terms of stories
        that left are dropped); the next time when it has grown to twice that, at least."""
        self._vocabulary = {}
        for key, story in self._stories.items():
            self._number(self._rows[key], story.terms, sorted(story.terms))
        self._limit = max(self.VOCABULARY_LIMIT, 2 * len(self._vocabulary))
        self.renumbered += 1

    def _rows_of(self, keys: Sequence[int]) -> np.ndarray:
        return np.fromiter(map(self._rows.__getitem__, keys), np.int64, len(keys))

    def _story_at(self, row: int) -> StoryCandidate:
        return self._stories[int(self._keys[row])]

    # -- scoring -----------------------------------------------------------------------------

    def choose(
        self,
        vector: dict[str, float],
        entity_ids: Iterable[int],
        at: datetime,
        keys: Sequence[int],
        rules: StoryRules = StoryRules(),
        meaning: Vector | None = None,
        broad: Iterable[int] = (),
    ) -> Decision:
        """``choose_story`` among the stories of these keys."""
        entities = frozenset(entity_ids).difference(broad)
        rows, scores, texts, close = self._score(vector, entities, at, keys, rules, meaning)
        if not len(rows):
            return Decision(None, 0.0, 0.0, ())
        best = int(np.argmax(scores))  # the first of equals, as one at a time kept it
        best_score = float(scores[best])
        if best_score <= 0.0:
            return Decision(None, 0.0, 0.0, ())
        story = self._story_at(rows[best])
        shared = tuple(sorted(entities & story.entity_ids))
        chosen = story.id if best_score >= threshold_for(rules, vector) else None
        return Decision(chosen, best_score, float(texts[best]), shared, float(close[best]))

    def scores(
        self,
        vector: dict[str, float],
        entity_ids: Iterable[int],
        at: datetime,
        keys: Sequence[int],
        rules: StoryRules = StoryRules(),
        meaning: Vector | None = None,
        broad: Iterable[int] = (),
    ) -> dict[int, float]:
        """Every story's score as ``choose`` weighs it, by story id (the stories within the
        window only): what the evaluation reads to see how close the runner-up came."""
        entities = frozenset(entity_ids).difference(broad)
        rows, scores, _, _ = self._score(vector, entities, at, keys, rules, meaning)
        return {int(self._ids[row]): float(s) for row, s in zip(rows, scores, strict=True)}

    def _score(
        self,
        vector: dict[str, float],
        entities: frozenset[int],
        at: datetime,
        keys: Sequence[int],
        rules: StoryRules,
        meaning: Vector | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The rows within the window, and their scores, term cosines and meaning cosines."""
        rows = self._rows_of(keys)
        now = micros(at)
        gaps = _gaps(rows, self._first, self._last, now, now)
        kept = np.flatnonzero(gaps <= rules.window // MICROSECOND)
        if not len(kept):
            return rows[kept], np.zeros(0), np.zeros(0), np.zeros(0)
        rows, gaps = rows[kept], gaps[kept]
        meaning_weight, text_weight = weights_for(rules, vector)
        close = self.closeness(meaning, rows)
        mine = np.array(sorted(entities), np.int64)
        scores, texts = _scores(
            rows,
            close,
            gaps,
            *self._article_terms(vector),
            self._scratch,
            self._term_ids,
            self._term_values,
            self._term_counts,
            mine,
            _specificity(mine, rows, self._entities, self._entity_counts),
            self._entities,
            self._entity_counts,
            meaning_weight,
            text_weight,
            rules.entity_weight,
            rules.min_text_for_entities,
            rules.half_life // MICROSECOND,
            HALF,
        )
        return rows, scores, texts, close

    def merge(
        self, story: StoryCandidate, keys: Sequence[int], rules: StoryRules = StoryRules()
    ) -> Merge | None:
        """``choose_merge`` of ``story`` with the stories of these keys."""
        if story.meaning is None or not keys:
            return None
        rows = self._rows_of(keys)
        rows = rows[(self._ids[rows] != story.id) & self._has_meaning[rows]]
        if not len(rows):
            return None
        first, last = micros(story.first_seen), micros(story.last_seen)
        gaps = _gaps(rows, self._first, self._last, first, last)
        evidence = self.closeness(story.meaning, rows)
        if rules.merge_text_weight:
            evidence = evidence + rules.merge_text_weight * self.term_cosines(story.terms, rows)
        similarities = _decayed(evidence, gaps, rules.half_life // MICROSECOND, HALF)
        similarities[similarities < rules.merge_threshold] = -1.0
        best = int(np.argmax(similarities))  # the first of equals
        if similarities[best] < 0:
            return None
        other = self._story_at(rows[best])
        keep, gone = sorted((story, other), key=lambda s: (-s.size, s.id))
        return Merge(keep.id, gone.id, float(similarities[best]))

    def closeness(self, meaning: Vector | None, rows: np.ndarray) -> np.ndarray:
        """The cosine of one meaning vector with the stories' of these rows (0 where either
        has none): their dots in one matrix product, divided by the norms' product (each
        factor rounded to float32, as numpy multiplies a float32 array by a float)."""
        if meaning is None or self._meanings is None:
            return np.zeros(len(rows))
        have = rows[self._has_meaning[rows]]
        dots = self._meanings[have] @ meaning if len(have) else np.zeros(0, np.float32)
        square = float(meaning @ meaning)
        out: np.ndarray = _cosines(rows, self._has_meaning, dots, self._squares, square)
        return out

    def term_cosines(self, vector: dict[str, float], rows: np.ndarray) -> np.ndarray:
        """``cosine(vector, terms)`` with the stories' of these rows, the same floats."""
        out: np.ndarray = _term_dots(
            *self._article_terms(vector),
            self._scratch,
            self._term_ids,
            self._term_values,
            self._term_counts,
            rows,
        )
        return out

    def _article_terms(self, vector: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """An article's terms as ids of the table's vocabulary (-1: no story has it) and
        weights. The compiled loops set the weights in a scratch array by id, add each
        story's products in its terms' sorted order from 0.0, as ``cosine`` adds them (the
        terms not shared add 0.0, which changes no sum), and zero the scratch again."""
        ids = np.fromiter(map(self._vocabulary.get, vector, repeat(-1)), np.int64, len(vector))
        return ids, np.fromiter(vector.values(), np.float64, len(vector))


def _longer(array: np.ndarray, rows: int) -> np.ndarray:
    return np.concatenate([array, np.zeros((rows, *array.shape[1:]), array.dtype)])


def _wide(array: np.ndarray, width: int) -> np.ndarray:
    """The 2-d array with at least ``width`` columns (zeros added)."""
    if width <= array.shape[1]:
        return array
    return np.pad(array, ((0, 0), (0, width - array.shape[1])))


# The compiled loops. Each product rounded, then added in order (numba contracts no
# multiply-add without fastmath) and the powers by C's pow, as Python's float pow: the floats
# of one story at a time in Python.


@numba.njit(cache=True, nogil=True)
def _gaps(rows: np.ndarray, first: np.ndarray, last: np.ndarray, start: int, end: int) -> Any:
    """Microseconds between each row's span and start..end (0 when they meet)."""
    out = np.empty(len(rows), np.int64)
    for k in range(len(rows)):
        out[k] = max(first[rows[k]] - end, start - last[rows[k]], 0)
    return out


HALF = 0.5  # passed to the loops: with a constant base, LLVM makes pow(0.5, x) exp2(-x),
# which differs from pow in the last bit now and then (58 times in 50,000)


@numba.njit(cache=True, nogil=True)
def _decayed(values: np.ndarray, gaps: np.ndarray, half_life: int, half: float) -> Any:
    """values * 0.5 ** (gap / half_life), each (``half``: HALF)."""
    out = np.empty(len(values))
    for k in range(len(values)):
        out[k] = values[k] * half ** (gaps[k] / half_life)
    return out


@numba.njit(cache=True, nogil=True)
def _cosines(
    rows: np.ndarray,
    has_meaning: np.ndarray,
    dots: np.ndarray,
    squares: np.ndarray,
    square: float,
) -> Any:
    out = np.zeros(len(rows))
    j = 0
    for k in range(len(rows)):
        if has_meaning[rows[k]]:
            norm = np.sqrt(squares[rows[k]] * np.float32(square))
            if norm != 0:
                out[k] = np.float64(dots[j]) / np.float64(norm)
            j += 1
    return out


@numba.njit(cache=True, nogil=True)
def _dot(
    scratch: np.ndarray, ids: np.ndarray, values: np.ndarray, counts: np.ndarray, row: int
) -> float:
    total = 0.0
    for j in range(counts[row]):
        total += scratch[ids[row, j]] * values[row, j]
    return total


@numba.njit(cache=True, nogil=True)
def _weigh(scratch: np.ndarray, ids: np.ndarray, values: np.ndarray) -> None:
    for i in range(len(ids)):
        if ids[i] >= 0:
            scratch[ids[i]] = values[i]


@numba.njit(cache=True, nogil=True)
def _unweigh(scratch: np.ndarray, ids: np.ndarray) -> None:
    for i in range(len(ids)):
        if ids[i] >= 0:
            scratch[ids[i]] = 0.0


@numba.njit(cache=True, nogil=True)
def _term_dots(
    article_ids: np.ndarray,
    article_values: np.ndarray,
    scratch: np.ndarray,
    ids: np.ndarray,
    values: np.ndarray,
    counts: np.ndarray,
    rows: np.ndarray,
) -> Any:
    _weigh(scratch, article_ids, article_values)
    out = np.zeros(len(rows))
    for k in range(len(rows)):
        out[k] = _dot(scratch, ids, values, counts, rows[k])
    _unweigh(scratch, article_ids)
    return out


@numba.njit(cache=True, nogil=True)
def _specificity(
    mine: np.ndarray, rows: np.ndarray, entities: np.ndarray, entity_counts: np.ndarray
) -> Any:
    """How specific each of an article's entities (``mine``, sorted) is among the stories of
    these rows, the window's candidates: an inverse document frequency scaled to 0..1,
    log(1 + n / df) / log(1 + n) for an entity in df of the n stories (1 when one story has
    it, log 2 / log(1 + n) when all do; 0 when none has it, as it is then shared by none)."""
    n = len(rows)
    out = np.zeros(len(mine))
    if n == 0:
        return out
    df = np.zeros(len(mine), np.int64)
    for k in range(n):
        row = rows[k]
        i = j = 0
        count = entity_counts[row]
        while i < len(mine) and j < count:
            if mine[i] == entities[row, j]:
                df[i] += 1
                i += 1
                j += 1
            elif mine[i] < entities[row, j]:
                i += 1
            else:
                j += 1
    for i in range(len(mine)):
        if df[i]:
            out[i] = np.log(1.0 + n / df[i]) / np.log(1.0 + n)
    return out


@numba.njit(cache=True, nogil=True)
def _shared_weight(mine: np.ndarray, weights: np.ndarray, theirs: np.ndarray, n: int) -> float:
    """The summed ``weights`` of the ids two sorted arrays share, in ``mine``'s order (of
    ``theirs``, the first ``n``)."""
    i = j = 0
    total = 0.0
    while i < len(mine) and j < n:
        if mine[i] == theirs[j]:
            total += weights[i]
            i += 1
            j += 1
        elif mine[i] < theirs[j]:
            i += 1
        else:
            j += 1
    return total


@numba.njit(cache=True, nogil=True)
def _scores(
    rows: np.ndarray,
    close: np.ndarray,
    gaps: np.ndarray,
    article_ids: np.ndarray,
    article_values: np.ndarray,
    scratch: np.ndarray,
    term_ids: np.ndarray,
    term_values: np.ndarray,
    term_counts: np.ndarray,
    mine: np.ndarray,
    specificity: np.ndarray,
    entities: np.ndarray,
    entity_counts: np.ndarray,
    meaning_weight: float,
    text_weight: float,
    entity_weight: float,
    min_text: float,
    half_life: int,
    half: float,
) -> Any:
    """Each row's score and term cosine, as ``choose_story`` weighs them (``half``: HALF)."""
    _weigh(scratch, article_ids, article_values)
    scores = np.empty(len(rows))
    texts = np.empty(len(rows))
    for k in range(len(rows)):
        row = rows[k]
        text = _dot(scratch, term_ids, term_values, term_counts, row)
        overlap = 0.0
        if len(mine) and text >= min_text:  # shared entities count only with shared words
            # Each shared entity counts by how specific it is in the window (_specificity).
            shared = _shared_weight(mine, specificity, entities[row], entity_counts[row])
            if shared:
                overlap = shared / min(len(mine), entity_counts[row])
        score = meaning_weight * close[k] + text_weight * text + entity_weight * overlap
        scores[k] = score * half ** (gaps[k] / half_life)
        texts[k] = text
    _unweigh(scratch, article_ids)
    return scores, texts


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
    rules: StoryRules = StoryRules(),
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
    rules: StoryRules = StoryRules(),
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


@dataclass(frozen=True, slots=True)
class Merge:
    """Two stories that became one: ``gone``'s articles move to ``keep``."""

    keep: int
    gone: int
    # The merge's evidence (choose_merge): the mean vectors' cosine plus the weighted term
    # centroids' cosine, after time decay.
    similarity: float


def choose_merge(
    story: StoryCandidate, others: Iterable[StoryCandidate], rules: StoryRules = StoryRules()
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
