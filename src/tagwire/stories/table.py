"""StoryTable: many candidate stories scored at once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from datetime import datetime
from itertools import repeat

import numpy as np

from tagwire.embeddings import Vector
from tagwire.stories.kernels import (
    HALF,
    _cosines,
    _decayed,
    _gaps,
    _scores,
    _specificity,
    _term_dots,
)
from tagwire.stories.rules import (
    DEFAULT_RULES,
    MICROSECOND,
    TERMS_KEPT,
    Decision,
    Merge,
    StoryRules,
    join_rule,
    micros,
    threshold_for,
    weights_for,
)
from tagwire.types import StoryCandidate


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
        self._sizes = np.zeros(0, np.int64)  # articles

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
            self._sizes = _longer(self._sizes, more)
            if self._meanings is not None:
                self._meanings = _longer(self._meanings, more)
        return row

    def _fill(self, row: int, story: StoryCandidate) -> None:
        self._ids[row] = story.id
        self._sizes[row] = story.size
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
        rules: StoryRules = DEFAULT_RULES,
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
        rules: StoryRules = DEFAULT_RULES,
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
        self, story: StoryCandidate, keys: Sequence[int], rules: StoryRules = DEFAULT_RULES
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
        close = self.closeness(story.meaning, rows)
        texts = self.term_cosines(story.terms, rows)
        evidence = close + rules.merge_text_weight * texts  # a new array: _lone writes in it
        bars = np.full(len(rows), rules.merge_threshold)
        if rules.lone_merge:
            self._lone(story, rows, close, texts, evidence, bars, rules)
        similarities = _decayed(evidence, gaps, rules.half_life // MICROSECOND, HALF)
        # The one furthest past its bar (with one bar for all, the most similar).
        margins = np.where(similarities >= bars, similarities - bars, -1.0)
        best = int(np.argmax(margins))  # the first of equals
        if margins[best] < 0:
            return None
        other = self._story_at(rows[best])
        keep, gone = sorted((story, other), key=lambda s: (-s.size, s.id))
        return Merge(keep.id, gone.id, float(similarities[best]))

    def _lone(
        self,
        story: StoryCandidate,
        rows: np.ndarray,
        close: np.ndarray,
        texts: np.ndarray,
        evidence: np.ndarray,
        bars: np.ndarray,
        rules: StoryRules,
    ) -> None:
        """Where one of the two stories is a single article, its evidence and bar become
        those of that article joining the other story (``StoryRules.lone_merge``): in place."""
        lone = np.flatnonzero((self._sizes[rows] == 1) | (story.size == 1))
        for k in lone:
            count = len(story.terms) if story.size == 1 else int(self._term_counts[rows[k]])
            meaning, text, bar = join_rule(rules, count)
            evidence[k] = meaning * close[k] + text * texts[k]
            bars[k] = bar

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
