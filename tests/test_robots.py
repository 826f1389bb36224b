"""robots.txt against a real loopback site: rules obeyed, read once, 4xx and 5xx as RFC
9309 says, Crawl-delay taken, and what the pipeline does with a disallowed page."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from conftest import LoopbackServer, Reply
from tagwire import config
from tagwire.errors import RobotsDisallowed
from tagwire.fetch.client import Fetcher
from tagwire.fetch.robots import MAX_CRAWL_DELAY, RobotsCache, Rules
from tagwire.ingest.pipeline import ingest
from tagwire.store import Store
from tagwire.types import Page, Source
from test_pipeline import page, rss

ROBOTS = b"""User-agent: *
Disallow: /private/
Crawl-delay: 3

User-agent: tagwire
Disallow: /not-for-tagwire/

Sitemap: /news-sitemap.xml
"""


def _settings(**env: str) -> config.Config:
    base = {"TAGWIRE_ALLOWED_HOSTS": "127.0.0.1", "TAGWIRE_HOST_DELAY": "0"}
    return config.load(base | env)


def _get_all(urls: list[str], cache: RobotsCache, **env: str) -> list[Page | Exception]:
    async def go() -> list[Page | Exception]:
        results: list[Page | Exception] = []
        async with Fetcher(_settings(**env), cache) as fetcher:
            for url in urls:
                try:
                    page = await fetcher.get(url)
                    assert page is not None
                    results.append(page)
                except RobotsDisallowed as exc:
                    results.append(exc)
        return results

    return asyncio.run(go())


def test_rules_are_obeyed_and_read_once(http_server: LoopbackServer) -> None:
    http_server.routes["/robots.txt"] = Reply(200, ROBOTS)
    for path in ("/news/1", "/private/1", "/not-for-tagwire/1"):
        http_server.routes[path] = Reply(200, b"hello")
    cache = RobotsCache()
    urls = [http_server.url(p) for p in ("/news/1", "/private/1", "/not-for-tagwire/1")]
    results = _get_all(urls * 2, cache)
    # The group for "tagwire" applies, not the "*" group (RFC 9309: the most specific).
    assert [isinstance(r, RobotsDisallowed) for r in results] == [False, False, True] * 2
    assert "robots.txt disallows" in str(results[2])
    fetched = [path for path, _ in http_server.requests]
    assert fetched.count("/robots.txt") == 1  # cached for the next fetches, and passes
    assert "/not-for-tagwire/1" not in fetched


def test_crawl_delay_and_sitemaps_are_read() -> None:
    async def robots_of(body: bytes) -> Rules:
        async def fetch(url: str) -> tuple[int, bytes]:
            assert url == "https://x.example/robots.txt"
            return 200, body

        return await RobotsCache().rules("https://x.example/news/1", fetch)

    rules = asyncio.run(robots_of(ROBOTS.replace(b"/news-sitemap", b"https://x.example/s")))
    assert rules.sitemaps == ("https://x.example/s.xml",)
    assert rules.crawl_delay() == 0.0  # the "tagwire" group sets none; "*" is not ours
    greedy = asyncio.run(robots_of(b"User-agent: *\nCrawl-delay: 86400"))
    assert greedy.crawl_delay() == MAX_CRAWL_DELAY


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(404, True), (410, True), (401, True), (500, False), (503, False)],
)
def test_robots_status_codes_follow_rfc_9309(
    http_server: LoopbackServer, status: int, allowed: bool
) -> None:
    http_server.routes["/robots.txt"] = Reply(status, b"")
    http_server.routes["/a"] = Reply(200, b"hello")
    (result,) = _get_all([http_server.url("/a")], RobotsCache())
    assert isinstance(result, Page) is allowed
    if not allowed:
        assert f"robots.txt answered HTTP {status}" in str(result)


def test_robots_can_be_switched_off(http_server: LoopbackServer) -> None:
    http_server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /")
    http_server.routes["/a"] = Reply(200, b"hello")
    (result,) = _get_all([http_server.url("/a")], RobotsCache(), TAGWIRE_ROBOTS="false")
    assert isinstance(result, Page)
    assert "/robots.txt" not in [p for p, _ in http_server.requests]


def test_a_disallowed_page_keeps_its_item_with_the_feeds_text(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    http_server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private/\n")
    http_server.routes["/feed.xml"] = Reply(
        200, rss(http_server.base, ["/private/1"]), {"Content-Type": "application/rss+xml"}
    )
    http_server.routes["/private/1"] = Reply(200, page("Secret"), {"Content-Type": "text/html"})
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    store.upsert_sources([Source("R", http_server.url("/"), (http_server.url("/feed.xml"),))])
    asyncio.run(ingest(store, _settings(TAGWIRE_WORKERS="1", TAGWIRE_NER="false")))
    (card,) = store.list_cards(limit=10).items
    assert store.article(card.id).text == "Summary of /private/1 from the feed."
    assert "/private/1" not in [p for p, _ in http_server.requests]
