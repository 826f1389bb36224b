"""Golden tests on the real feeds of ../shared/data/feeds-fixtures, and the formats we
read ourselves (JSON Feed, news sitemaps)."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from conftest import SHARED_DATA, shared_data
from tagwire.errors import FeedError
from tagwire.feeds import clean_text, parse

FIXTURES = SHARED_DATA / "feeds-fixtures"
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".md")


def test_fixture_set_is_complete() -> None:
    shared_data("feeds-fixtures")
    assert len(FILES) == 44


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_feed_parses_like_an_independent_parser(path: Path) -> None:
    body = path.read_bytes()
    parsed = parse(body, "https://publisher.example/feed")
    assert parsed.items, "a real feed with entries gave none"
    if path.suffix == ".json":
        doc = json.loads(body)
        expected = [
            clean_text(i.get("title", ""))
            for i in doc["items"]
            if i.get("url") or i.get("external_url") or str(i.get("id", "")).startswith("http")
        ]
    else:
        doc = feedparser.parse(body)
        expected = [
            clean_text(e.get("title"))
            for e in doc.entries
            if e.get("link") or str(e.get("id", "")).startswith("http")
        ]
    assert [i.title for i in parsed.items] == expected
    for item in parsed.items:
        assert item.url.startswith(("http://", "https://"))
        assert item.published_at is None or item.published_at.tzinfo is not None


@pytest.mark.parametrize(
    ("name", "must_contain"),
    [
        ("miniflux/encoding_ISO-8859-1.xml", "ä"),
        ("miniflux/encoding_WINDOWS-1251.xml", "Цитата"),
        ("miniflux/no_encoding_ISO-8859-1.xml", "é"),
        ("rss-parser/encoding.rss", "Notícias"),
        ("rss-parser/uolNoticias.rss", "ã"),
        ("miniflux/urdu_UTF8.xml", "امریکی"),
    ],
)
def test_odd_encodings_decode_correctly(name: str, must_contain: str) -> None:
    path = shared_data("feeds-fixtures") / name
    parsed = parse(path.read_bytes(), "https://publisher.example/feed")
    text = " ".join(f"{i.title} {i.summary}" for i in parsed.items) + (parsed.title or "")
    assert must_contain in text
    assert "\ufffd" not in text and "Ã" not in text


def test_content_encoded_is_kept_as_the_whole_article() -> None:
    path = shared_data("feeds-fixtures") / "rss-parser" / "content-encoded.rss"
    items = parse(path.read_bytes(), "https://medium.example/feed").items
    assert len(items) == 7
    assert all(i.content_html and len(clean_text(i.content_html).split()) > 100 for i in items)


def test_json_feed_11_fields() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "T",
            "home_page_url": "https://pub.example/",
            "items": [
                {
                    "id": "1",
                    "url": "/a",
                    "title": "A &amp; B",
                    "summary": "<b>S</b>",
                    "date_published": "2025-07-11T10:12:00+02:00",
                    "authors": [{"name": "Ann"}],
                    "tags": ["Politics"],
                    "content_text": "one\n\ntwo",
                },
                {"id": "2", "title": "no url"},
            ],
        }
    ).encode()
    parsed = parse(body, "https://pub.example/feed.json", "application/feed+json")
    (item,) = parsed.items
    assert item.url == "https://pub.example/a" and item.title == "A & B"
    assert item.summary == "S" and item.author == "Ann" and item.categories == ("Politics",)
    assert item.published_at is not None and item.published_at.isoformat() == (
        "2025-07-11T08:12:00+00:00"
    )
    assert item.content_html == "<p>one</p><p>two</p>"


def test_news_sitemap() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://pub.example/a</loc><news:news><news:title>Title A</news:title>
  <news:publication_date>2025-07-11T10:12:00Z</news:publication_date></news:news></url>
</urlset>"""
    (item,) = parse(body, "https://pub.example/sitemap.xml").items
    assert item.title == "Title A" and item.url == "https://pub.example/a"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>not a feed</body></html>",
        b'{"version": "x"}',
        b"{not json",
        b"<?xml version='1.0'?><rss><channel><item><title>unclosed",
    ],
)
def test_what_is_not_a_feed_fails_clearly(body: bytes) -> None:
    try:
        parsed = parse(body, "https://pub.example/feed")
    except FeedError as exc:
        assert "https://pub.example/feed" in str(exc)
    else:
        assert parsed.items == () or all(i.url for i in parsed.items)
