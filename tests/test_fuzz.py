"""Fuzzing the parsers with hypothesis (a bounded, derandomised run, so CI is repeatable):
whatever bytes arrive, feed parsing returns a feed or raises FeedError, page extraction
returns text or raises ExtractError, decoding returns a string. Nothing else escapes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_DATA
from tagwire import feeds
from tagwire.errors import ExtractError, FeedError
from tagwire.extract import extract_page
from tagwire.fetch.client import decode_body

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
URL = "https://fuzz.example/feed"
FIXTURES = sorted((SHARED_DATA / "feeds-fixtures").glob("*/*.xml"))[:20] or [Path(__file__)]
TAGS = [
    "rss",
    "channel",
    "item",
    "title",
    "link",
    "description",
    "entry",
    "feed",
    "content",
    "pubDate",
    "updated",
    "author",
    "guid",
    "rdf:RDF",
    "urlset",
    "url",
    "loc",
    "p",
    "a",
    "script",
    "html",
    "body",
    "article",
    "h1",
    "div",
    "meta",
    "!DOCTYPE",
    "![CDATA[",
]


def _xmlish() -> st.SearchStrategy[str]:
    """Text that looks like markup: tags of feeds and pages, open, closed or broken, around
    arbitrary text (any script, control characters, entities)."""
    piece = st.one_of(
        st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
        st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
        st.sampled_from(["&amp;", "&lt;", "&#0;", "&#x110000;", "&nbsp;", "&", "<", "]]>"]),
        st.text(max_size=40),
    )
    return st.lists(piece, max_size=60).map("".join)


def _parse_feed(body: bytes, content_type: str = "") -> None:
    try:
        parsed = feeds.parse(body, URL, content_type, max_items=50)
    except FeedError:
        return
    assert len(parsed.items) <= 50
    for item in parsed.items:
        assert isinstance(item.title, str) and isinstance(item.url, str)


@FUZZ
@given(st.binary(max_size=4000), st.sampled_from(["", "application/rss+xml", "application/json"]))
def test_feed_parsing_survives_any_bytes(body: bytes, content_type: str) -> None:
    _parse_feed(body, content_type)


@FUZZ
@given(_xmlish(), st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_feed_parsing_survives_markup_soup(text: str, encoding: str) -> None:
    _parse_feed(text.encode(encoding, errors="replace"))
    _parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel>' + text.encode())


@FUZZ
@given(st.sampled_from(FIXTURES), st.data())
def test_feed_parsing_survives_damaged_real_feeds(path: Path, data: st.DataObject) -> None:
    body = path.read_bytes()
    cut = data.draw(st.integers(0, len(body)))
    noise = data.draw(st.binary(max_size=64))
    at = data.draw(st.integers(0, len(body)))
    _parse_feed(body[:cut])
    _parse_feed(body[:at] + noise + body[at:])


@FUZZ
@given(_xmlish())
def test_page_extraction_survives_markup_soup(html: str) -> None:
    for page in (html, f"<html><body><article><h1>T</h1>{html}</article></body></html>"):
        try:
            extracted = extract_page(page, "https://fuzz.example/a")
        except ExtractError:
            continue
        assert isinstance(extracted.text, str) and extracted.text.strip()


@FUZZ
@given(st.binary(max_size=2000), st.one_of(st.none(), st.text(max_size=20)))
def test_decoding_survives_any_bytes_and_any_charset_label(
    body: bytes, charset: str | None
) -> None:
    assert isinstance(decode_body(body, charset), str)
