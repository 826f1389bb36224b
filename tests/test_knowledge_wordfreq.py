"""The common- and frequent-word sets (``knowledge._frequent_words``) answer what wordfreq's
``zipf_frequency`` answers: they replace its whole list in each process (issue 30)."""

from __future__ import annotations

import pytest

from tagwire.entities import knowledge

wordfreq = pytest.importorskip("wordfreq")
from wordfreq.numbers import smash_numbers  # noqa: E402
from wordfreq.tokens import lossy_tokenize  # noqa: E402

THRESHOLDS = ((knowledge.COMMON_WORD_ZIPF, 0), (knowledge.FREQUENT_WORD_ZIPF, 1))
ODD_WORDS = [
    "obama", "the", "don't", "covid-19", "2020", "x", "naïve", "café", "şişli", "new york",
    "a1", "ab12", "", " ", "l'amour", "e-mail", "u.s.", "rock'n'roll", "zzzzqx", "über",
]  # fmt: skip


def _one_token(word: str) -> bool:
    return lossy_tokenize(word, "en") == [word] and smash_numbers(word) == word


def test_every_band_and_a_sample_of_words_agree_with_wordfreq() -> None:
    bands = wordfreq.get_frequency_list("en")
    # One word of each band decides the band (every one-token word of a band has its
    # Zipf value); a stride over the whole list and odd words check the lookup itself.
    words = [next((w for w in band if _one_token(w)), None) for band in bands]
    words += [w for band in bands for w in band][::97] + ODD_WORDS
    checked = 0
    for word in filter(None, words):
        for zipf, band in THRESHOLDS:
            expected = wordfreq.zipf_frequency(word, "en") >= zipf
            assert knowledge._zipf_at_least(word, zipf, band) == expected, (word, zipf)
            checked += 1
    assert checked > 2 * 3000


def test_the_sets_hold_the_words_above_each_threshold() -> None:
    common, frequent = knowledge._frequent_words()
    assert frequent < common
    assert {"the", "senate", "recent"} <= frequent
    assert "lander" not in frequent and "lander" in common  # Zipf 3.0x
    assert knowledge.is_common_word("Obama") and knowledge.is_frequent_word("Obama")
    assert not knowledge.is_common_word("Arrizabalaga")
