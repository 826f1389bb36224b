"""Every Atom feed tagwire serves (tag, story, source, edition, category and search feeds,
empty ones too) against RFC 4287: valid by the RFC's RELAX NG schema (tests/data/atom.rng, see
tests/data/README.md; lxml validates it), each atom:id an IRI (RFC 4287 4.2.6; the schema
leaves atomUri unconstrained), and read by feedparser without a bozo flag."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from tagwire import config
from tagwire.sources import REGIONS
from tagwire.store import Store
from tagwire.types import Source
from test_http import _client_calls
from test_search import _add

SCHEMA = Path(__file__).parent / "data" / "atom.rng"
ATOM = "{http://www.w3.org/2005/Atom}"


@cache
def _schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def check_atom(body: bytes, where: str) -> etree._Element:
    """The RFC's schema, IRIs in every id, feedparser's reading: the failures in words."""
    root = etree.fromstring(body)
    schema = _schema()
    assert schema.validate(root), f"{where}: {schema.error_log}"
    for node in root.iter(f"{ATOM}id"):
        iri = node.text or ""
        assert iri and not re.search(r"[\s<>\"{}|\\^`\x00-\x1f]", iri), f"{where}: id {iri!r}"
        assert urlsplit(iri).scheme, f"{where}: id {iri!r} has no scheme"
    parsed = feedparser.parse(body)
    assert parsed.version == "atom10" and not parsed.bozo, (where, parsed.get("bozo_exception"))
    return root


def test_the_schema_is_the_rfcs_and_rejects_what_the_rfc_does() -> None:
    ok = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>tag:a.example,2026:f'
        b"</id><updated>2026-11-20T12:00:00Z</updated><author><name>a</name></author></feed>"
    )
    check_atom(ok, "minimal feed")
    for broken in (
        ok.replace(b"<id>tag:a.example,2026:f</id>", b""),  # atom:id is required
        ok.replace(b"2026-11-20T12:00:00Z", b"yesterday"),  # atom:updated is a date-time
        ok.replace(b"<title>t</title>", b"<title>t</title><title>u</title>"),  # one title
        ok.replace(b"<title>", b'<title type="markdown">'),  # text, html or xhtml
    ):
        assert not _schema().validate(etree.fromstring(broken)), broken


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'atom.db'}")
    herald, times = store.upsert_sources(
        [
            Source("Herald & Post", "https://herald.example/", ("https://herald.example/f",)),
            Source("東京 Times", "https://times.example/", ("https://t.example/f",), region="asia"),
        ]
    )
    _add(
        store,
        1,
        "Why 2 < 3 & 5 > 4",
        "Maths <b>class</b> & more.",
        source=herald,
        places=("Oslo",),
        category="Education",
    )
    _add(
        store,
        2,
        'Harbour strike "ends"',
        "Dock workers returned.",
        source=herald,
        places=("Oslo", "Rotterdam"),
        hours_ago=2,
    )
    _add(
        store,
        3,
        "東京 オリンピック 🏅",
        "Tokyo prepares.",
        source=times,
        places=("Tokyo",),
        hours_ago=5,
    )
    return store


def test_every_feed_is_valid_atom(store: Store) -> None:
    cards = store.list_cards(limit=50).items
    tags = sorted({t.slug for c in cards for t in c.tags})
    paths = (
        [f"/tags/{t}.atom" for t in tags]
        + [f"/stories/{s}.atom" for s in sorted({c.story_id for c in cards})]
        + [f"/sources/{s.id}.atom" for s in store.sources()]
        + [f"/editions/{r}.atom" for r in REGIONS]
        + ["/categories/education.atom", "/categories/Business%20%26%20Economy.atom"]
        + [
            "/search.atom?q=harbour",
            "/search.atom?q=harbour%20strike",
            "/search.atom?q=%22dock%20workers%22%20-maths",
            "/search.atom?q=maths&category=Education",
            "/search.atom?q=tokyo&edition=asia&tag=Tokyo",
            "/search.atom?q=nothing-matches-this",
        ]
    )
    replies = _client_calls(store, config.load({}), [("GET", p, {}) for p in paths])
    entries = 0
    for path, reply in zip(paths, replies, strict=True):
        assert reply.status_code == 200, (path, reply.text)
        assert reply.headers["content-type"].startswith("application/atom+xml")
        root = check_atom(reply.content, path)
        entries += len(root.findall(f"{ATOM}entry"))
    assert len(paths) >= 19 and entries >= 11
