"""The compiled loops that StoryTable scores candidate stories with."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

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
