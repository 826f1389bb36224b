from __future__ import annotations

import re
import unicodedata

from tagwire.dedup.exact import canonical_url, choose_url, content_hash, normalise_text


def test_canonical_url_strips_tracking_and_fragments() -> None:
    assert canonical_url("HTTPS://News.Example:443/a/b?utm_source=rss&id=3&fbclid=x#top") == (
        "https://news.example/a/b?id=3"
    )
    assert canonical_url("http://127.0.0.1:8080/x?utm_medium=feed") == "http://127.0.0.1:8080/x"
    assert canonical_url("https://news.example") == "https://news.example/"


def test_page_canonical_wins_only_on_the_same_host() -> None:
    assert choose_url("https://a.example/x?utm_source=1", "https://a.example/story") == (
        "https://a.example/story"
    )
    assert choose_url("https://a.example/x", "https://evil.example/x") == "https://a.example/x"
    assert choose_url("https://a.example/x", None) == "https://a.example/x"


def test_same_text_in_different_dress_has_one_hash() -> None:
    a = "The talks resumed on Monday.\nBoth sides said progress was made."
    b = "  the talks resumed on monday —\n\nBoth sides said: progress was made!  "
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(a + " Not quite.")


def test_normalised_text_is_the_words_joined_by_single_spaces() -> None:
    """The reference: NFKC, case-folded, its \\w+ runs joined by one space. Content hashes
    and fingerprints are stored, so this may never change."""
    texts = [
        "",
        "   ",
        "...",
        "Hello, World!",
        "  — Leading and trailing punctuation…  ",
        "snake_case stays; digits 42 and 3.14 split",
        "Ｆｕｌｌｗｉｄｔｈ ﬁ ligature, Straße, ÉCOLE",
        "tab\tnew\nline\r\nand\u00a0nbsp",
        "a",
        "日本語のテキスト、句読点。",
    ]
    for text in texts:
        words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
        assert normalise_text(text) == " ".join(words)
    assert normalise_text("  — Straße!  ") == "strasse"
