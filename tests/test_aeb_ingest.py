"""All 138 real pages of ../shared/data/article-extraction-aeb behind one RSS feed without
pubDate, through a real pass (loopback publisher, extraction, the real NER, SQLite): every
page is stored. Before issue 32 the pass stopped at the first page whose metadata says
0001-01-01 (OverflowError('date value out of range')): 50 of 138 stored, and every later
pass stopped at the same item."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bench.ingest_floor import page_title
from bench.metrics import AebPage, aeb_pages
from conftest import LoopbackServer, Reply, shared_data
from tagwire import config
from tagwire.dedup.exact import canonical_url
from tagwire.ingest.pipeline import ingest
from tagwire.store import Store
from tagwire.types import Source

pytestmark = pytest.mark.slow
PAGES = 138


def feed_without_dates(server: LoopbackServer, pages: list[AebPage]) -> bytes:
    """RSS 2.0 linking every page, with the page's title and no pubDate: each article's
    date can only come from its page's metadata."""
    items = "".join(
        f"<item><title>{escape(page_title(p))}</title><link>{server.url(f'/p/{p.id}')}</link>"
        "</item>"
        for p in pages
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>AEB</title>"
        f"<link>{server.base}/</link>{items}</channel></rss>"
    ).encode()


def test_every_real_page_behind_a_feed_without_dates_is_stored(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    pages = list(aeb_pages(shared_data("article-extraction-aeb")))
    assert len(pages) == PAGES
    # The placeholder date, in the metadata of six pages (four give it as their only date).
    assert sum(b'"0001-01-01' in p.html for p in pages) == 6
    for p in pages:
        http_server.routes[f"/p/{p.id}"] = Reply(
            200, p.html, {"Content-Type": "text/html; charset=utf-8"}
        )
    feed = feed_without_dates(http_server, pages)
    http_server.routes["/feed.xml"] = Reply(200, feed, {"Content-Type": "application/rss+xml"})
    store = Store(f"sqlite:///{tmp_path / 'aeb.db'}")
    store.upsert_sources([Source("AEB", http_server.url("/"), (http_server.url("/feed.xml"),))])
    cfg = config.load(
        {
            "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
            "TAGWIRE_HOST_DELAY": "0",
            "TAGWIRE_HOST_CONCURRENCY": "8",
            "TAGWIRE_WORKERS": "2",
        }
    )
    started = time.monotonic()
    report = asyncio.run(ingest(store, cfg))
    print(f"a pass over {PAGES} real pages: {time.monotonic() - started:.1f} s, {report}")

    assert (report.feeds_ok, report.feeds_failed, report.errors) == (1, 0, ())
    assert report.articles_new + report.articles_duplicate + report.articles_known == PAGES
    links = [canonical_url(http_server.url(f"/p/{p.id}")) for p in pages]
    assert store.known_urls(links) == set(links), "a page was not stored"
    (source,) = store.sources()
    assert source.last_error is None
    cards, cursor = [], None
    while True:
        page = store.list_cards(limit=100, cursor=cursor)
        cards.extend(page.items)
        if not (cursor := page.next_cursor):
            break
    lowest = datetime(1990, 1, 1, tzinfo=UTC)
    # The 0001-01-01 pages have no date, or a later plausible one their page gives.
    assert all(c.published_at is None or c.published_at >= lowest for c in cards)
