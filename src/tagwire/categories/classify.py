"""A topic classifier for English articles whose publisher gives no usable category.

It reads hand-written evidence (the data file ``data/classify.toml``): for each of the 17
labels, words and phrases that a news editor would take as a sign of that topic, each with
a weight chosen by hand (3 = nearly decisive, 2 = a good sign, 1 = a hint, below 1 = a faint
hint). Nothing in it was fitted by
an algorithm to labelled data, and no data set's text is in it. The lists were written from
general knowledge of news and revised by hand after reading misclassified articles of the
tune halves of BBC News and AG News (never of their report halves); the tune halves also
chose the settings below (bench/categories_eval.py, docs/quality.md).

The lexicon is topic vocabulary: it names no particular person, company, product, title
(film, band, show, game), team, stadium, country, city or story. Such names fit the
evaluation sets' news of 2004-2005 and not a reader's news of today, so a review (issue 6)
took them out. The proper nouns kept are lasting institutions of a topic: leagues and
governing bodies, recurring championships, festivals and awards, central banks and
exchanges, parliaments and parties, international organisations, long-standing armed
movements (the Taliban, Hamas), and the places that stand for one (Wall Street, Downing
Street, Hollywood, Wimbledon). A deployment's own names are learnt at run time instead
(``DeploymentExamples``).

An article's score for a label is the sum, over the label's terms found in the title and
text, of ``weight * (1 + ln(count))``, where an occurrence in the title counts
``TITLE_BOOST`` times, times the label's weight (``LABEL_WEIGHTS``, 1 unless named). The
label with the highest score wins when that score reaches
``MIN_SCORE``; otherwise the article is unclear and gets no label.

Matching: text is split into runs of letters and digits, lower-cased and reduced by a light
singular rule (``_norm``), so "elections" matches "election". A term is one to three such
words. A term written ``=Word`` matches only that exact spelling and case ("=Labour" is the
British party, "labour" the topic); a term ending in ``*`` matches any word it starts.

When the lexicon is unsure (its runner-up scores at least ``EMBEDDING_GATE`` of its best,
or its best is under twice ``MIN_SCORE``), sentence embeddings are consulted
(``embeddings_text``: all-MiniLM-L6-v2, shipped in a package, run offline): the
article's lead is compared with a few sentences per label written by hand from the IPTC
definitions (``DESCRIPTIONS``), and ``EMBEDDING_WEIGHT`` times the label's similarity (the
mean of its two best cosines) is added to the label's score; the best label then wins. An
article the lexicon finds unclear is labelled so only at a similarity of at least
``EMBEDDING_MIN_COSINE``. Nothing is fitted to labelled data here either; the weight, the
gate and the minimum were chosen on the tune halves. Without the model installed the
lexicon decides alone (a warning is logged once).

At run time a deployment may also learn from its own articles whose feeds carry a clear
category (``DeploymentExamples``): per-label centroids of hashed word counts, consulted in
addition to the lexicon once a label has enough examples. The evaluation runs without it.
"""

from __future__ import annotations

import math
import re
import threading
import tomllib
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tagwire.categories.embeddings_text import TextEmbedder, lead, text_embedder

# --- settings (chosen on the tune halves of BBC and AG News, see bench/categories_eval.py)

TITLE_BOOST = 2.0  # an occurrence in the title counts as this many in the body
MIN_SCORE = 2.0  # below this best score an article is unclear: no label
MAX_CHARS = 6000  # only the start of a long text is read (the lead carries the topic)
MIN_WORDS = 5  # title and text together shorter than this: no label
# A label's lexicon score is multiplied by its weight here (1.0 when not named). Technology
# news is told in the words of the business it is about ("company", "sales", "deal") while
# its own vocabulary is largely product and company names, which the lexicon does not hold:
# on both tune halves Science & Technology had the lowest recall, lost mostly to Business &
# Economy. Chosen on the tune halves (1.5-2.0 all better on both sets; the middle taken).
LABEL_WEIGHTS: Mapping[str, float] = {"Science & Technology": 1.7}
# The sentence-embedding step (``embeddings_text``), consulted only when the lexicon
# is unsure: its runner-up scores at least EMBEDDING_GATE times its best, or its best is
# below twice the minimum score.
EMBEDDING_WEIGHT = 48.0  # label score += this x the article's similarity to the label
EMBEDDING_GATE = 0.8
EMBEDDING_MIN_COSINE = 0.3  # an article the lexicon finds unclear needs this much similarity

# --- the lexicon and the label descriptions: a data file ----------------------------------
# data/classify.toml: per label, its terms (lines of "weight: term, term, ...") and the
# sentences that say what it is about. Read once per process: the descriptions at import
# (a few kilobytes, and tests and benches read them as a mapping), the terms compiled on
# first use (``lexicon``).

DATA = Path(__file__).with_name("data") / "classify.toml"


def _read_data() -> dict[str, dict[str, Any]]:
    with DATA.open("rb") as file:
        return tomllib.load(file)


_DATA = _read_data()
DESCRIPTIONS: dict[str, list[str]] = {label: list(v["descriptions"]) for label, v in _DATA.items()}


def _norm(word: str) -> str:
    """A light singular: 'elections' -> 'election', 'matches' -> 'match', 'cities' -> 'city'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_WEIGHT = re.compile(r"(?:^| )(\d+(?:\.\d+)?): ")
MAX_TERM_WORDS = 3


def words(text: str) -> list[str]:
    """The words of a text, as the lexicon sees them: runs of letters and digits."""
    return _WORD.findall(text)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The compiled lexicon: normalised term -> ((label index, weight), ...)."""

    labels: tuple[str, ...]
    terms: Mapping[str, tuple[tuple[int, float], ...]]
    exact: Mapping[str, tuple[tuple[int, float], ...]]  # case-sensitive single words
    prefixes: Mapping[str, tuple[tuple[int, float], ...]]
    prefix_lengths: tuple[int, ...]


def parse_lexicon(blocks: Mapping[str, str]) -> Lexicon:
    """Compile ``{label: "weight: term, term\\n..."}``. A term listed under one label at
    two weights keeps the higher."""
    labels = tuple(blocks)
    terms: dict[str, dict[int, float]] = {}
    exact: dict[str, dict[int, float]] = {}
    prefixes: dict[str, dict[int, float]] = {}
    for index, label in enumerate(labels):
        lines = (line for line in blocks[label].splitlines() if not line.lstrip().startswith("#"))
        parts = _WEIGHT.split(" ".join(" ".join(lines).split()))
        if parts[0].strip():
            raise ValueError(f"{label}: terms before the first weight: {parts[0]!r}")
        for head, line in zip(parts[1::2], parts[2::2], strict=True):
            weight = float(head)
            for raw_term in line.split(","):
                term = raw_term.strip()
                if not term:
                    continue
                if weight <= 0:
                    raise ValueError(f"{label}: term {term!r} has no weight")
                if term.startswith("="):
                    table, key = exact, term[1:]
                elif term.endswith("*"):
                    table, key = prefixes, term[:-1].casefold()
                else:
                    parts = [_norm(w) for w in words(term.casefold())]
                    if not parts or len(parts) > MAX_TERM_WORDS:
                        raise ValueError(f"{label}: term {term!r} is empty or too long")
                    table, key = terms, " ".join(parts)
                slot = table.setdefault(key, {})
                slot[index] = max(slot.get(index, 0.0), weight)

    def freeze(table: dict[str, dict[int, float]]) -> dict[str, tuple[tuple[int, float], ...]]:
        return {key: tuple(sorted(hits.items())) for key, hits in table.items()}

    return Lexicon(
        labels,
        freeze(terms),
        freeze(exact),
        freeze(prefixes),
        tuple(sorted({len(p) for p in prefixes})),
    )


@cache
def lexicon() -> Lexicon:
    """The built-in lexicon, compiled once per process on first use."""
    return parse_lexicon({label: str(v["terms"]) for label, v in _DATA.items()})


def term_counts(lex: Lexicon, text: str) -> Counter[str]:
    """How often each lexicon term (key of terms, exact or prefixes) occurs in ``text``."""
    found: Counter[str] = Counter()
    original = words(text)
    lowered = [_norm(w.casefold()) for w in original]
    n = len(lowered)
    covered = 0  # words before this index are part of a longer term already counted
    for i in range(n):
        if i >= covered:
            for size in range(min(MAX_TERM_WORDS, n - i), 0, -1):
                key = " ".join(lowered[i : i + size])
                if key in lex.terms:
                    found[key] += 1
                    covered = i + size
                    break
        if original[i] in lex.exact:
            found["=" + original[i]] += 1
        raw = original[i].casefold()
        for size in lex.prefix_lengths:
            if size < len(raw) and raw[:size] in lex.prefixes:
                found[raw[:size] + "*"] += 1
    return found


def _hits(lex: Lexicon, key: str) -> tuple[tuple[int, float], ...]:
    if key.startswith("="):
        return lex.exact.get(key[1:], ())
    if key.endswith("*"):
        return lex.prefixes.get(key[:-1], ())
    return lex.terms.get(key, ())


def lexicon_scores(
    title: str, text: str, lex: Lexicon | None = None, title_boost: float = TITLE_BOOST
) -> npt.NDArray[np.float64]:
    """One score per label (in ``lex.labels`` order) from the lexicon's evidence."""
    lex = lex or lexicon()
    counts: dict[str, float] = {}
    for key, count in term_counts(lex, title).items():
        counts[key] = count * title_boost
    for key, count in term_counts(lex, text[:MAX_CHARS]).items():
        counts[key] = counts.get(key, 0.0) + count
    scores = np.zeros(len(lex.labels))
    for key, weighted in counts.items():
        strength = 1.0 + math.log(weighted) if weighted >= 1 else weighted
        for index, weight in _hits(lex, key):
            scores[index] += weight * strength
    return scores * _label_weights(lex.labels)


@cache
def _label_weights(labels: tuple[str, ...]) -> npt.NDArray[np.float64]:
    return np.array([LABEL_WEIGHTS.get(label, 1.0) for label in labels])


@dataclass(frozen=True, slots=True)
class Decision:
    """A classifier's answer: the label (None when unclear), its score, and every score."""

    label: str | None
    score: float
    scores: Mapping[str, float]


class LabelVectors:
    """Each label's description sentences embedded once: ``similarities`` gives, per label,
    the mean of the article's two highest cosines with that label's sentences."""

    def __init__(self, embedder: TextEmbedder, labels: Iterable[str]) -> None:
        self.embedder = embedder
        self.labels = tuple(labels)
        self._sentences = [embedder.embed(DESCRIPTIONS[label]) for label in self.labels]

    def similarities(self, title: str, text: str) -> npt.NDArray[np.float64]:
        vector = self.embedder.embed([lead(title, text)])[0]
        result = np.zeros(len(self.labels))
        for index, sentences in enumerate(self._sentences):
            cosines = np.sort(sentences @ vector)
            result[index] = float(cosines[-2:].mean())
        return result


_label_vectors_lock = threading.Lock()
_label_vectors: LabelVectors | None = None


def label_vectors() -> LabelVectors | None:
    """The process's label vectors, built on first use; None without the embedding model."""
    global _label_vectors
    if _label_vectors is None:
        embedder = text_embedder()
        if embedder is None:
            return None
        with _label_vectors_lock:
            if _label_vectors is None or _label_vectors.embedder is not embedder:
                _label_vectors = LabelVectors(embedder, lexicon().labels)
    return _label_vectors


def label_similarities(title: str, text: str) -> npt.NDArray[np.float64] | None:
    """The article's similarity to each label (``lexicon().labels`` order), or None
    without the embedding model."""
    vectors = label_vectors()
    return None if vectors is None else vectors.similarities(title, text)


def classify(
    title: str,
    text: str,
    *,
    min_score: float = MIN_SCORE,
    title_boost: float = TITLE_BOOST,
    examples: DeploymentExamples | None = None,
    embeddings: bool = True,
) -> Decision:
    """The best label for an English article, or ``label=None`` when it is too short or
    unclear. ``examples``: a deployment's own categorised articles, consulted when given.
    ``embeddings``: consult the sentence-embedding model when the lexicon is unsure (and
    the model is installed); the decision's scores then include its share."""
    lex = lexicon()
    scores = lexicon_scores(title, text, lex, title_boost)
    if examples is not None:
        scores = scores + examples.scores(title, text, lex.labels)
    if len(words(title)) + len(words(text[:400])) < MIN_WORDS:
        return Decision(None, 0.0, _table(lex, scores))
    ranked = np.sort(scores)
    top, second = float(ranked[-1]), float(ranked[-2])
    if embeddings and (second >= EMBEDDING_GATE * top or top < 2 * min_score):
        similarities = label_similarities(title, text)
        if similarities is not None:
            if top < min_score and float(similarities.max()) < EMBEDDING_MIN_COSINE:
                return Decision(None, top, _table(lex, scores))
            scores = scores + EMBEDDING_WEIGHT * similarities
            best = int(np.argmax(scores))
            return Decision(lex.labels[best], float(scores[best]), _table(lex, scores))
    best = int(np.argmax(scores))
    score = float(scores[best])
    return Decision(lex.labels[best] if score >= min_score else None, score, _table(lex, scores))


def _table(lex: Lexicon, scores: npt.NDArray[np.float64]) -> dict[str, float]:
    return {label: float(s) for label, s in zip(lex.labels, scores, strict=True)}


# --- learning from the deployment's own categorised articles ------------------------------

_DIM = 1 << 14


def _hashed(title: str, text: str) -> npt.NDArray[np.float64]:
    """Unit-length hashed counts of an article's normalised words (title counted twice)."""
    vector = np.zeros(_DIM)
    for word in words(title) * 2 + words(text[:MAX_CHARS]):
        key = _norm(word.casefold())
        if len(key) > 2 and key not in _STOP:
            vector[zlib.crc32(key.encode()) % _DIM] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


_STOP = frozenset(
    "the and for that with was were are has have had not but from this they their there "
    "his her she him its will would said says say who which what when where been being "
    "than then also after before over into about more most other some such only one two "
    "new can could may might should out all any our you your yet very just".split()
)


class DeploymentExamples:
    """Per-label centroids of the deployment's own articles whose feeds carried a clear
    category. Thread-safe; kept in memory (a fresh process starts empty).

    ``scores`` adds ``weight * cosine(article, centroid)`` for each label with at least
    ``min_examples`` examples, so that a deployment's own sections teach the classifier its
    vocabulary (local teams, politicians, firms) that the hand-written lexicon lacks."""

    def __init__(self, min_examples: int = 20, weight: float = 6.0) -> None:
        self.min_examples = min_examples
        self.weight = weight
        self._sums: dict[str, npt.NDArray[np.float64]] = {}
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, label: str, title: str, text: str) -> None:
        vector = _hashed(title, text)
        if not vector.any():
            return
        with self._lock:
            if label in self._sums:
                self._sums[label] += vector
            else:
                self._sums[label] = vector.copy()
            self._counts[label] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def scores(self, title: str, text: str, labels: Iterable[str]) -> npt.NDArray[np.float64]:
        labels = tuple(labels)
        result = np.zeros(len(labels))
        with self._lock:
            ready = {
                label: self._sums[label]
                for label in labels
                if self._counts[label] >= self.min_examples
            }
            if not ready:
                return result
            centroids = {
                label: total / float(np.linalg.norm(total)) for label, total in ready.items()
            }
        vector = _hashed(title, text)
        for i, label in enumerate(labels):
            if label in centroids:
                result[i] = self.weight * max(0.0, float(centroids[label] @ vector))
        return result
