"""Adding sources: feed autodiscovery on loopback sites, the CLI and the admin API, OPML
import and export."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from conftest import LoopbackServer, Reply
from tagwire import cli, config, sources
from tagwire.errors import FeedError
from tagwire.fetch.client import Fetcher
from tagwire.fetch.discover import Discovery, discover
from tagwire.store import Store
from tagwire.types import Source
from tagwire.web.app import create_app
from test_pipeline import rss

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
TOKEN = "s3cret-token"
LINK = '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'


def _settings(**env: str) -> config.Config:
    base = {"TAGWIRE_ALLOWED_HOSTS": "127.0.0.1", "TAGWIRE_HOST_DELAY": "0"}
    return config.load(base | env)


def _discover(url: str) -> Discovery:
    async def go() -> Discovery:
        async with Fetcher(_settings()) as fetcher:
            return await discover(fetcher, url)

    return asyncio.run(go())


def _home(head: str = "", lang: str = "en-GB") -> bytes:
    return (
        f'<html lang="{lang}"><head><title>Harbour Times - News</title>'
        f'<meta property="og:site_name" content="Harbour Times">{head}</head>'
        "<body><h1>Latest</h1></body></html>"
    ).encode()


def test_feeds_linked_from_the_page_are_found_and_checked(http_server: LoopbackServer) -> None:
    links = (
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/broken.atom">'
        '<link rel="stylesheet" href="/style.css">'
    )
    http_server.routes["/"] = Reply(200, _home(links), HTML)
    http_server.routes["/feed.xml"] = Reply(200, rss(http_server.base, ["/a"]), RSS)
    found = _discover(http_server.url("/"))
    assert found.feeds == (http_server.url("/feed.xml"),)  # the broken link is no feed
    assert (found.name, found.language) == ("Harbour Times", "en")
    assert found.how == '<link rel="alternate"> in the page'


def test_usual_feed_addresses_are_tried(http_server: LoopbackServer) -> None:
    http_server.routes["/"] = Reply(200, _home(), HTML)
    http_server.routes["/rss.xml"] = Reply(200, rss(http_server.base, ["/a"]), RSS)
    found = _discover(http_server.url("/"))
    assert found.feeds == (http_server.url("/rss.xml"),) and found.how == "a usual feed address"


def test_news_sitemaps_named_in_robots_txt(http_server: LoopbackServer) -> None:
    base = http_server.base
    http_server.routes["/"] = Reply(200, _home(), HTML)
    http_server.routes["/robots.txt"] = Reply(200, f"Sitemap: {base}/sitemap.xml\n".encode())
    http_server.routes["/sitemap.xml"] = Reply(
        200,
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + f"<sitemap><loc>{base}/pages.xml</loc></sitemap>"
        f"<sitemap><loc>{base}/news.xml</loc></sitemap></sitemapindex>".encode(),
    )
    http_server.routes["/news.xml"] = Reply(
        200,
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        + f"<url><loc>{base}/story</loc><news:news><news:title>Story</news:title>"
        "<news:publication_date>2026-11-27T10:00:00Z</news:publication_date></news:news>"
        "</url></urlset>".encode(),
    )
    found = _discover(http_server.url("/"))
    assert found.feeds == (http_server.url("/news.xml"),)
    assert found.how == "a news sitemap named in robots.txt"


def test_a_feed_address_is_its_own_discovery(http_server: LoopbackServer) -> None:
    http_server.routes["/feed.xml"] = Reply(200, rss(http_server.base, ["/a"]), RSS)
    found = _discover(http_server.url("/feed.xml"))
    assert found.feeds == (http_server.url("/feed.xml"),) and found.how == "feed"


def test_a_site_without_feeds_is_a_clear_error(http_server: LoopbackServer) -> None:
    http_server.routes["/"] = Reply(200, _home(), HTML)
    with pytest.raises(FeedError, match="no feed found"):
        _discover(http_server.url("/"))


def test_cli_adds_lists_pauses_resumes_exports_and_removes(
    http_server: LoopbackServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAGWIRE_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("TAGWIRE_HOST_DELAY", "0")
    http_server.routes["/"] = Reply(
        200, _home('<link rel="alternate" type="application/rss+xml" href="/feed.xml">'), HTML
    )
    http_server.routes["/feed.xml"] = Reply(200, rss(http_server.base, ["/a"]), RSS)
    db = ["--db", f"sqlite:///{tmp_path / 'c.db'}"]
    assert cli.main(["sources", "add", http_server.url("/"), "--region", "oceania", *db]) == 0
    out = capsys.readouterr().out
    assert "Harbour Times" in out and http_server.url("/feed.xml") in out
    assert cli.main(["sources", "pause", "1", *db]) == 0
    assert cli.main(["sources", *db]) == 0
    assert "paused: paused by the user" in capsys.readouterr().out
    assert cli.main(["sources", "resume", "1", *db]) == 0
    assert cli.main(["sources", "export", *db]) == 0
    exported = capsys.readouterr().out.split("\n", 1)[1]
    path = tmp_path / "out.opml"
    path.write_text(exported)
    (back,) = sources.load(path)
    assert (back.name, back.region, back.language) == ("Harbour Times", "oceania", "en")
    assert back.feeds == (http_server.url("/feed.xml"),)
    assert cli.main(["sources", "remove", "1", *db]) == 0
    assert cli.main(["sources", "pause", "1", *db]) == 1  # gone: a clear error, exit 1
    assert "no source 1" in capsys.readouterr().err
    assert cli.main(["sources", "add", "ftp://example.org/", *db]) == 1
    assert "not an http(s) URL" in capsys.readouterr().err


def test_opml_round_trip_and_ten_thousand_outlines(tmp_path: Path) -> None:
    listed = [
        Source(
            f"Publisher {n}",
            f"https://p{n}.example/",
            (f"https://p{n}.example/feed", f"https://p{n}.example/world/feed"),
            country="NZ" if n % 2 else None,
            region="oceania" if n % 2 else None,
            language="en",
        )
        for n in range(5000)
    ]
    path = tmp_path / "big.opml"
    path.write_text(sources.to_opml(listed))
    assert path.read_text().count("<outline") == 10_000
    loaded = sources.load(path)
    assert loaded == listed  # two outlines per site: one source, both feeds, in order
    store = Store(f"sqlite:///{tmp_path / 'big.db'}")
    store.upsert_sources(loaded)
    assert len(store.sources()) == 5000 and len(store.feeds()) == 10_000


def test_api_sources_writes_need_the_admin_token(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    http_server.routes["/"] = Reply(
        200, _home('<link rel="alternate" type="application/rss+xml" href="/feed.xml">'), HTML
    )
    http_server.routes["/feed.xml"] = Reply(200, rss(http_server.base, ["/a"]), RSS)
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")

    async def calls(settings: config.Config) -> list[httpx.Response]:
        app = create_app(store, settings=settings)
        transport = httpx.ASGITransport(app=app)
        admin = {"Authorization": f"Bearer {TOKEN}"}
        missing = http_server.url("/none")
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            body = {"url": http_server.url("/"), "country": "nz", "region": "oceania"}
            return [
                await api.post("/api/v1/sources", json=body),
                await api.post("/api/v1/sources", json=body, headers={"Authorization": "Bearer x"}),
                await api.post("/api/v1/sources", json=body, headers=admin),
                await api.post("/api/v1/sources/1/pause", headers=admin),
                await api.get("/api/v1/sources/1"),
                await api.post("/api/v1/sources/1/resume", headers=admin),
                await api.post("/api/v1/sources", json={"url": missing}, headers=admin),
                await api.post(
                    "/api/v1/sources", json={"url": "javascript:alert(1)"}, headers=admin
                ),
                await api.delete("/api/v1/sources/99", headers=admin),
                await api.delete("/api/v1/sources/1", headers=admin),
                await api.get("/api/v1/sources"),
            ]

    disabled = asyncio.run(calls(_settings()))[0]
    assert (
        disabled.status_code == 403 and "TAGWIRE_ADMIN_TOKEN" in disabled.json()["error"]["message"]
    )
    (anonymous, wrong, added, paused, shown, resumed, nothing, script, missing, removed, after) = (
        asyncio.run(calls(_settings(TAGWIRE_ADMIN_TOKEN=TOKEN)))
    )
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    assert added.status_code == 201
    source = added.json()["source"]
    assert source["name"] == "Harbour Times" and source["country"] == "NZ"
    assert source["feeds"] == [http_server.url("/feed.xml")]
    assert paused.json()["source"]["paused"] is True
    assert shown.json()["source"]["paused_reason"] == "paused by the user"
    assert resumed.json()["source"]["paused"] is False
    assert nothing.status_code == 422 and "HTTP 404" in nothing.json()["error"]["message"]
    assert script.status_code == 400 and "not an http(s) URL" in script.json()["error"]["message"]
    assert missing.status_code == 404
    assert removed.status_code == 200 and after.json() == {"sources": []}
