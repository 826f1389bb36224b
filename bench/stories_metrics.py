"""Clustering metrics against gold stories (B-cubed, pairwise, ARI, NMI) and the naive
TF-IDF centroid baseline, for ``bench/stories_eval.py``."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bench.stories_replay import Row
from tagwire.stories.rules import STOPWORDS

K = TypeVar("K", bound=Hashable)  # an item
G = TypeVar("G", bound=Hashable)  # a gold cluster label
P = TypeVar("P", bound=Hashable)  # a predicted cluster label


# --- naive baseline ----------------------------------------------------------------------


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _tokens(title: str) -> list[str]:
    return [w for w in _TOKEN.findall(title.casefold()) if len(w) > 1 and w not in STOPWORDS]


def tfidf_baseline(rows: Sequence[Row], threshold: float) -> dict[int, int]:
    """Online TF-IDF centroid clustering: each headline joins the cluster whose centroid is
    most cosine-similar if that is >= ``threshold``, else starts one. IDF comes from the
    headlines seen so far (this one included); a centroid is the sum of its members' unit
    vectors as weighted when they arrived. No time window."""
    df: Counter[str] = Counter()
    sums: list[dict[str, float]] = []
    norms: list[float] = []
    index: dict[str, set[int]] = {}
    predicted: dict[int, int] = {}
    for n, row in enumerate(rows, start=1):
        counts = Counter(_tokens(row.title))
        df.update(counts.keys())
        weights = {t: c * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        vector = {t: w / norm for t, w in weights.items()} if norm else {}
        dots: dict[int, float] = {}
        for t, w in vector.items():
            for c in index.get(t, ()):
                dots[c] = dots.get(c, 0.0) + w * sums[c][t]
        best, best_sim = -1, 0.0
        for c, dot in dots.items():
            sim = dot / norms[c]
            if sim > best_sim:
                best, best_sim = c, sim
        if best < 0 or best_sim < threshold:
            best = len(sums)
            sums.append({})
            norms.append(0.0)
        centroid = sums[best]
        for t, w in vector.items():
            centroid[t] = centroid.get(t, 0.0) + w
            index.setdefault(t, set()).add(best)
        norms[best] = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
        predicted[row.id] = best
    return predicted


# --- metrics -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Scores:
    bcubed: PRF
    pairwise: PRF
    ari: float
    nmi: float
    clusters: int
    gold_clusters: int
    items: int


def _contingency(
    gold: Mapping[K, G], predicted: Mapping[K, P]
) -> tuple[Counter[tuple[G, P]], Counter[G], Counter[P]]:
    if gold.keys() != predicted.keys():
        raise ValueError("gold and predicted must label the same items")
    cells = Counter((gold[k], predicted[k]) for k in gold)
    return cells, Counter(gold.values()), Counter(predicted.values())


def bcubed(gold: Mapping[K, G], predicted: Mapping[K, P]) -> PRF:
    """B-cubed (Bagga & Baldwin 1998): per item, the share of its predicted cluster that is
    in its gold cluster (precision) and of its gold cluster that is in its predicted cluster
    (recall), averaged over items."""
    cells, gold_sizes, pred_sizes = _contingency(gold, predicted)
    n = len(gold)
    if not n:
        return PRF(1.0, 1.0)
    precision = sum(c * c / pred_sizes[p] for (_, p), c in cells.items()) / n
    recall = sum(c * c / gold_sizes[g] for (g, _), c in cells.items()) / n
    return PRF(precision, recall)


def pairwise(gold: Mapping[K, G], predicted: Mapping[K, P]) -> PRF:
    """Over pairs of items: precision = pairs together in both / pairs together predicted."""
    cells, gold_sizes, pred_sizes = _contingency(gold, predicted)
    both = sum(math.comb(c, 2) for c in cells.values())
    pred_pairs = sum(math.comb(c, 2) for c in pred_sizes.values())
    gold_pairs = sum(math.comb(c, 2) for c in gold_sizes.values())
    return PRF(both / pred_pairs if pred_pairs else 1.0, both / gold_pairs if gold_pairs else 1.0)


def adjusted_rand(gold: Mapping[K, G], predicted: Mapping[K, P]) -> float:
    """Hubert & Arabie's adjusted Rand index from the contingency table (1 = identical,
    about 0 = chance). Two identical trivial partitions score 1, as in scikit-learn."""
    cells, gold_sizes, pred_sizes = _contingency(gold, predicted)
    index = sum(math.comb(c, 2) for c in cells.values())
    a = sum(math.comb(c, 2) for c in gold_sizes.values())
    b = sum(math.comb(c, 2) for c in pred_sizes.values())
    total = math.comb(len(gold), 2)
    expected = a * b / total if total else 0.0
    best = (a + b) / 2
    if best == expected:
        return 1.0
    return (index - expected) / (best - expected)


def nmi(gold: Mapping[K, G], predicted: Mapping[K, P]) -> float:
    """Normalised mutual information, arithmetic mean of the entropies (scikit-learn's
    default); 1 when both partitions have a single cluster."""
    cells, gold_sizes, pred_sizes = _contingency(gold, predicted)
    n = len(gold)
    if not n:
        return 1.0

    def entropy(sizes: Iterable[int]) -> float:
        return -sum(s / n * math.log(s / n) for s in sizes)

    h_gold, h_pred = entropy(gold_sizes.values()), entropy(pred_sizes.values())
    if h_gold == 0 and h_pred == 0:
        return 1.0
    mutual = sum(
        c / n * math.log(c * n / (gold_sizes[g] * pred_sizes[p])) for (g, p), c in cells.items()
    )
    return max(0.0, mutual / ((h_gold + h_pred) / 2))


def score(rows: Sequence[Row], predicted: Mapping[int, int]) -> Scores:
    gold = {r.id: r.story for r in rows}
    return Scores(
        bcubed=bcubed(gold, predicted),
        pairwise=pairwise(gold, predicted),
        ari=adjusted_rand(gold, predicted),
        nmi=nmi(gold, predicted),
        clusters=len(set(predicted.values())),
        gold_clusters=len(set(gold.values())),
        items=len(gold),
    )
