"""tagwire.words against what it replaces: ``re`` and ``str.split``, on every code point."""

from __future__ import annotations

import random
import re

import pytest

from tagwire import words

PATTERNS = [(words.WORD, 1, re.compile(r"\w+")), (words.LETTER, 3, re.compile(r"[^\W\d_]{3,}"))]
NEIGHBOURS = ["a", "", " ", "_", "1", "é", "\u00a0", "x y", "ab", "\u2028", "日本"]


def _every_code_point() -> list[str]:
    """Every code point (lone surrogates too), each beside a random neighbour, 2,000 a text."""
    texts = []
    for base in range(0, 0x110000, 2000):
        rng = random.Random(base)
        chunk = range(base, min(base + 2000, 0x110000))
        texts.append("".join(chr(c) + rng.choice(NEIGHBOURS) for c in chunk))
    return texts


@pytest.mark.parametrize(("wanted", "min_chars", "pattern"), PATTERNS)
def test_runs_are_the_regex_matches_joined(
    wanted: int, min_chars: int, pattern: re.Pattern[str]
) -> None:
    for text in _every_code_point():
        expected = " ".join(pattern.findall(text)).encode("utf-8", "surrogatepass")
        assert words.runs(text, wanted, min_chars) == expected


def test_runs_of_short_and_edge_texts() -> None:
    assert words.runs("", words.WORD) == b""
    assert words.runs("  ,; ", words.WORD) == b""
    assert words.runs("ab cde fg hijk", words.LETTER, 3) == b"cde hijk"
    assert words.runs("ab", words.LETTER, 3) == b""
    assert words.runs("Grüße, 𝔘nicode_42!", words.WORD) == "Grüße 𝔘nicode_42".encode()
    assert words.runs("x1y2zz3www", words.LETTER, 3) == b"www"


def test_count_is_str_split() -> None:
    for text in _every_code_point():
        assert words.count(text) == len(text.split())
    for text in ("", " ", "one", " two  words ", "a\u00a0b\u3000c\u200bd"):
        assert words.count(text) == len(text.split())
