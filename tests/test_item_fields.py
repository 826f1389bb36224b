"""What a feed item's fields mean: titles by their declared type (Atom), HTML in RSS and
JSON Feed titles only where it looks like HTML, and relative URLs resolved against the
feed document and xml:base (moved out of test_items.py)."""

from __future__ import annotations

import json
import re

import pytest

from tagwire import feeds
from test_items import FEED_URL, RSS, json_feed

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
WORDS = [f"{a}{b}" for a in ("har", "ves", "lin", "tor", "mab", "quo") for b in "aeiouyksl"]


# -- titles -------------------------------------------------------------------------------

ATOM = '<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{}</feed>'
ATOM_ENTRY = '<entry><title type="{}">{}</title><link href="/x"/><id>x</id></entry>'
RSS_ITEM = "<item><title>{}</title><link>/x</link><description>{}</description></item>"


@pytest.mark.parametrize(
    ("kind", "written", "expected"),
    [
        ("text", "History of the &lt;blink&gt; tag", "History of the <blink> tag"),
        ("text", "Why 2 &lt; 3 and 5 &gt; 4", "Why 2 < 3 and 5 > 4"),
        ("text", "A &amp;amp; B", "A &amp; B"),  # unescaped once, by XML
        ("html", "A &amp;amp; B &lt;b&gt;bold&lt;/b&gt;", "A & B bold"),
        ("html", "Why 2 &lt; 3 and 5 &gt; 4", "Why 2 < 3 and 5 > 4"),
        ("xhtml", '<div xmlns="http://www.w3.org/1999/xhtml">X <b>y</b> &amp; z</div>', "X y & z"),
    ],
)
def test_atom_titles_follow_their_declared_type(kind: str, written: str, expected: str) -> None:
    body = ATOM.format(ATOM_ENTRY.format(kind, written)).encode()
    (item,) = feeds.parse(body, FEED_URL).items
    assert item.title == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("History of the &lt;blink&gt; tag", "History of the <blink> tag"),
        ("Why 2 &lt; 3 and 5 &gt; 4", "Why 2 < 3 and 5 > 4"),
        ("Why 2 &#x3C; 3", "Why 2 < 3"),  # the RSS profile's way to write "<" in text
        ("&lt;b&gt;Bold&lt;/b&gt; news", "Bold news"),  # markup: HTML
        ("A &amp;amp; B", "A & B"),  # an entity reference: HTML, as RSS publishers mean it
        ("It&amp;#8217;s", "It\u2019s"),
    ],
)
def test_rss_titles_are_html_only_when_they_look_like_it(written: str, expected: str) -> None:
    body = RSS.format(RSS_ITEM.format(written, "Why 2 &lt; 3 and 5 &gt; 4")).encode()
    (item,) = feeds.parse(body, FEED_URL).items
    assert item.title == expected
    assert item.summary == "Why 2 < 3 and 5 > 4"  # a description is HTML; "< 3" is no tag


def test_json_feed_titles_follow_the_rss_rule() -> None:
    items = [
        {"id": "1", "url": "1", "title": "History of the <blink> tag"},
        {"id": "2", "url": "/2", "title": "A &amp; B"},
        {"id": "3", "url": "/3", "title": "Why 2 < 3 and 5 > 4"},
    ]
    parsed = feeds.parse(json_feed(items), FEED_URL)
    assert [i.title for i in parsed.items] == [
        "History of the <blink> tag",
        "A & B",
        "Why 2 < 3 and 5 > 4",
    ]


# -- relative URLs ------------------------------------------------------------------------


def test_rss_links_and_images_resolve_against_the_feed_document() -> None:
    body = b"""<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
    <title>T</title><link>https://www.site.example/home/</link>
    <item><title>A</title><link>story/1</link><media:content url="img/1.jpg"/></item>
    <item><title>B</title><link>/story/2</link>
      <enclosure url="../e.jpg" type="image/jpeg" length="1"/></item>
    </channel></rss>"""
    first, second = feeds.parse(body, FEED_URL).items
    assert first.url == "https://feeds.example/news/story/1"  # not www.site.example/home/
    assert first.image == "https://feeds.example/news/img/1.jpg"
    assert second.url == "https://feeds.example/story/2"
    assert second.image == "https://feeds.example/e.jpg"


def test_atom_links_resolve_against_xml_base_then_the_document() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/root/">
    <title>T</title><link href="https://www.site.example/"/>
    <entry><title>A</title><link href="a"/><id>1</id></entry>
    <entry xml:base="https://other.example/dir/"><title>B</title><link href="b"/><id>2</id>
    </entry></feed>"""
    first, second = feeds.parse(body, FEED_URL).items
    assert first.url == "https://feeds.example/root/a"
    assert second.url == "https://other.example/dir/b"


def test_json_feed_urls_resolve_against_the_feed_and_authors_are_inherited() -> None:
    items = [
        {"id": "1", "url": "a/1", "image": "i.png"},
        {"id": "2", "url": "a/2", "authors": [{"name": "Own Writer"}]},
    ]
    body = b"\xef\xbb\xbf" + json_feed(  # a byte order mark before JSON: still JSON
        items, home_page_url="https://www.site.example/", authors=[{"name": "News Desk"}]
    )
    first, second = feeds.parse(body, FEED_URL).items
    assert first.url == "https://feeds.example/news/a/1"
    assert first.image == "https://feeds.example/news/i.png"
    assert (first.author, second.author) == ("News Desk", "Own Writer")
    v10 = json.dumps(
        {"version": "https://jsonfeed.org/version/1", "author": {"name": "Desk"}, "items": items}
    )
    assert feeds.parse(v10.encode(), FEED_URL).items[0].author == "Desk"
