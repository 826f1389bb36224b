"""A text's words, as Python's ``re`` and ``str.split`` find them, in one compiled pass.

Why our own: ``re.findall(r"\\w+", text)`` over an article was nine tenths of normalising it
for the content hash and MinHash (45 of 52 us on bench/scale.py's texts), and ``text.split()``
just to count words cost another 12 us; a regex engine steps through a pattern per character,
while here one loop over the UTF-8 bytes looks each code point up in a table. The table is
Python's own character database, read through numpy's string functions (which call the same
``Py_UNICODE_IS*`` predicates): ``\\w`` is ``isalnum()`` or ``_`` (SRE's definition),
``\\d`` is ``isdecimal()``, whitespace is ``isspace()``. Tests compare every code point with
``re`` and ``str.split``.
"""

from __future__ import annotations

import functools

import numba
import numpy as np

WORD = 1  # \w
SPACE = 2  # what str.split() splits on
LETTER = 4  # [^\W\d_]: \w but no decimal digit nor underscore


@functools.cache
def char_classes() -> np.ndarray:
    """Each code point's classes (WORD | SPACE | LETTER bits), 1.1 MB, made once (~30 ms)."""
    chars = np.arange(0x110000, dtype=np.uint32).view("U1")
    alnum = np.strings.isalnum(chars)
    word = alnum.copy()
    word[ord("_")] = True
    letter = alnum & ~np.strings.isdecimal(chars)
    classes = word.astype(np.uint8) * WORD
    classes |= np.strings.isspace(chars).astype(np.uint8) * SPACE
    classes |= letter.astype(np.uint8) * LETTER
    return classes


def utf8(text: str) -> np.ndarray:
    """The text's UTF-8 bytes as an array (a lone surrogate, which JSON can carry, encoded
    as its code point: no class holds one)."""
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def runs(text: str, wanted: int, min_chars: int = 1) -> bytes:
    """The runs of ``wanted`` characters of at least ``min_chars`` code points, joined by
    single spaces, in UTF-8: ``" ".join(re.findall(pattern, text))`` for the class's
    pattern (``\\w+``, ``[^\\W\\d_]{3,}``, ...), encoded."""
    found: np.ndarray = _runs(utf8(text), char_classes(), wanted, min_chars)
    return found.tobytes()


def count(text: str) -> int:
    """``len(text.split())``."""
    words: int = _count(utf8(text), char_classes())
    return words


@numba.njit(cache=True, nogil=True)
def _code_point(data: np.ndarray, i: int) -> tuple[int, int]:
    """The code point at byte ``i`` of valid UTF-8 and its length in bytes."""
    b = int(data[i])
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (int(data[i + 1]) & 0x3F), 2
    if b < 0xF0:
        return (((b & 0x0F) << 12) | ((int(data[i + 1]) & 0x3F) << 6) | (data[i + 2] & 0x3F)), 3
    return (
        ((b & 0x07) << 18)
        | ((int(data[i + 1]) & 0x3F) << 12)
        | ((int(data[i + 2]) & 0x3F) << 6)
        | (int(data[i + 3]) & 0x3F)
    ), 4


@numba.njit(cache=True, nogil=True)
def _runs(data: np.ndarray, classes: np.ndarray, wanted: int, min_chars: int) -> np.ndarray:
    # Each run's bytes are copied as they come, a space before every run but the first; a
    # run that ends shorter than min_chars is taken back with its space. The output is never
    # longer than the input: every space stands for at least one byte not copied.
    out = np.empty(len(data), dtype=np.uint8)
    n = 0
    start = 0  # where the current run begins in out
    chars = 0  # code points in the current run
    i = 0
    while i < len(data):
        cp, size = _code_point(data, i)
        if classes[cp] & wanted:
            if chars == 0:
                if n > 0:
                    out[n] = 32
                    n += 1
                start = n
            for j in range(size):
                out[n + j] = data[i + j]
            n += size
            chars += 1
        elif chars:
            if chars < min_chars:
                n = max(start - 1, 0)
            chars = 0
        i += size
    if chars and chars < min_chars:
        n = max(start - 1, 0)
    return out[:n]


@numba.njit(cache=True, nogil=True)
def _count(data: np.ndarray, classes: np.ndarray) -> int:
    words = 0
    inside = False
    i = 0
    while i < len(data):
        cp, size = _code_point(data, i)
        if classes[cp] & 2:  # SPACE
            inside = False
        elif not inside:
            inside = True
            words += 1
        i += size
    return words
