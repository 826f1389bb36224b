"""Servers that misbehave on purpose, all in one pass beside a good publisher: each hostile
source ends with a clear error stored on it, nothing crashes, the good publisher's articles
are ingested as usual, and memory stays bounded (bodies are cut at the cap as they stream).

Every server here listens on loopback; the one on 127.0.0.2 is outside the allow-list and
must never be reached, whatever redirects and links point to it."""

from __future__ import annotations

import asyncio
import gzip
import socket
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from conftest import LoopbackServer, RawServer, Reply
from tagwire import config
from tagwire.errors import TooLargeError
from tagwire.fetch.client import Fetcher
from tagwire.ingest.pipeline import ingest
from tagwire.store import Store
from tagwire.types import PassReport, Source
from test_pipeline import rss

CAP = 6_000_000
TIMEOUT = 2.0
RSS = {"Content-Type": "application/rss+xml"}
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
        for n in range(1, 10)
    )
    + b']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><title>T</title><item><title>&x;</title>'
    b"<link>http://127.0.0.1/x</link></item></channel></rss>"
)


def _settings(**env: str) -> config.Config:
    return config.load(
        {
            "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
            "TAGWIRE_HOST_DELAY": "0",
            "TAGWIRE_HOST_CONCURRENCY": "16",
            "TAGWIRE_WORKERS": "1",
            "TAGWIRE_NER": "false",
            "TAGWIRE_TIMEOUT": str(TIMEOUT),
            "TAGWIRE_CONNECT_TIMEOUT": str(TIMEOUT),
            "TAGWIRE_MAX_BYTES": str(CAP),
            "TAGWIRE_MAX_ITEMS_PER_FEED": "5",
        }
        | env
    )


def _slow(conn: socket.socket, server: RawServer) -> None:
    """Headers, then one byte a second, for as long as the client listens."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n")
    for byte in b"<rss version='2.0'><channel>" * 100:
        conn.sendall(bytes([byte]))
        if server.stopping.wait(1.0):
            return


def _silent(conn: socket.socket, server: RawServer) -> None:
    """Accepts, reads the request, never answers."""
    conn.recv(65536)
    server.stopping.wait(60)


def _endless(conn: socket.socket, server: RawServer) -> None:
    """A chunked body that never ends: only the cap stops it."""
    conn.recv(65536)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"<item><title>x</title></item>" * 2000
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while not server.stopping.is_set():
        conn.sendall(frame)


def _bound(
    serve: Callable[[socket.socket, RawServer], None], servers: dict[str, RawServer], name: str
) -> Callable[[socket.socket], None]:
    return lambda conn: serve(conn, servers[name])


@pytest.fixture
def raw_servers() -> Iterator[dict[str, RawServer]]:
    servers: dict[str, RawServer] = {}
    for name, serve in {"slow": _slow, "silent": _silent, "endless": _endless}.items():
        servers[name] = RawServer(_bound(serve, servers, name))
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture
def forbidden() -> Iterator[LoopbackServer]:
    """A server on 127.0.0.2, which the allow-list does not name: never to be reached."""
    server = LoopbackServer("127.0.0.2")
    server.routes["/feed.xml"] = Reply(200, rss(server.base, ["/secret"]), RSS)
    yield server
    server.close()


def _chain(n: int) -> object:
    def route(handler: BaseHTTPRequestHandler) -> Reply:
        step = int(handler.path.rsplit("/", 1)[1])
        return Reply(302, headers={"Location": f"/chain/{step + 1}"} if step < n else {})

    return route


def test_one_pass_through_every_kind_of_hostile_server(
    http_server: LoopbackServer,
    raw_servers: dict[str, RawServer],
    forbidden: LoopbackServer,
    tmp_path: Path,
) -> None:
    site = http_server
    base = site.base
    routes = site.routes
    routes["/good/feed.xml"] = Reply(200, rss(base, ["/good/1", "/good/2"]), RSS)
    for n, topic in ((1, "harbour in Wellington"), (2, "railway in Dunedin")):
        text = " ".join(f"Sentence {k} of a report on the {topic}." for k in range(40))
        html = f"<html><body><article><h1>Good {n}</h1><p>{text}</p></article></body></html>"
        routes[f"/good/{n}"] = Reply(200, html.encode(), {"Content-Type": "text/html"})
    routes["/laughs.xml"] = Reply(200, BILLION_LAUGHS, RSS)
    routes["/xxe.xml"] = Reply(200, XXE, RSS)
    zeros = b"\0" * (CAP * 20)
    routes["/gzip.xml"] = Reply(200, gzip.compress(zeros), RSS | {"Content-Encoding": "gzip"})
    routes["/deflate.xml"] = Reply(200, zlib.compress(zeros), RSS | {"Content-Encoding": "deflate"})
    routes["/large.xml"] = Reply(200, b"<rss>" + b" " * (CAP + 1), RSS)
    routes["/loop.xml"] = Reply(302, headers={"Location": "/loop.xml"})
    for step in range(12):
        routes[f"/chain/{step}"] = _chain(11)  # type: ignore[assignment]
    routes["/private.xml"] = Reply(302, headers={"Location": forbidden.url("/feed.xml")})
    routes["/links-private.xml"] = Reply(200, rss(forbidden.base, ["/a-page"]), RSS)
    truncated = rss(base, ["/gone/1", "/gone/2", "/gone/3"])
    routes["/truncated.xml"] = Reply(200, truncated[: truncated.index(b"/gone/3")], RSS)
    lying = "<rss version='2.0'><channel><title>Café</title><item><title>Café Zürich reopens"
    lying += f"</title><link>{base}/gone/4</link></item></channel></rss>"
    routes["/lying.xml"] = Reply(
        200, lying.encode("latin-1"), {"Content-Type": "application/rss+xml; charset=utf-8"}
    )
    many = "".join(f"<item><link>{base}/many/{n}</link></item>" for n in range(100_000))
    routes["/many.xml"] = Reply(
        200, f"<rss version='2.0'><channel>{many}</channel></rss>".encode(), RSS
    )
    routes["/deep.json"] = Reply(200, b"[" * 100_000, {"Content-Type": "application/feed+json"})
    hostile = {
        "Laughs": (site.url("/laughs.xml"), "declares XML entities"),
        "XXE": (site.url("/xxe.xml"), "declares XML entities"),
        "Gzip bomb": (site.url("/gzip.xml"), f"larger than {CAP} bytes"),
        "Deflate bomb": (site.url("/deflate.xml"), f"larger than {CAP} bytes"),
        "Large": (site.url("/large.xml"), f"larger than {CAP} bytes"),
        "Endless": (raw_servers["endless"].base + "/feed", f"larger than {CAP} bytes"),
        "Slow": (raw_servers["slow"].base + "/feed", "within"),
        "Silent": (raw_servers["silent"].base + "/feed", "within"),
        "Loop": (site.url("/loop.xml"), "redirect loop"),
        "Chain": (site.url("/chain/0"), "more than 5 redirects"),
        "Private": (site.url("/private.xml"), "not a public address"),
        "Deep JSON": (site.url("/deep.json"), "nested too deeply"),
        "Truncated": (site.url("/truncated.xml"), "ends early"),
    }
    readable = {
        "Good": site.url("/good/feed.xml"),
        "Links private": site.url("/links-private.xml"),
        "Lying charset": site.url("/lying.xml"),
        "Many items": site.url("/many.xml"),
    }
    feeds = {name: url for name, (url, _) in hostile.items()} | readable
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    store.upsert_sources(
        Source(name, site.url(f"/site/{n}/"), (url,)) for n, (name, url) in enumerate(feeds.items())
    )

    report: PassReport = asyncio.run(ingest(store, _settings()))

    sources = {s.name: s for s in store.sources()}
    for name, (_, expected) in hostile.items():
        assert expected in (sources[name].last_error or ""), name
    for name in ("Good", "Links private", "Lying charset", "Many items"):
        assert sources[name].last_error is None, (name, sources[name].last_error)
    assert report.feeds_failed == len(hostile) - 1  # the truncated feed is read in part
    cards = {c.title: c for c in store.list_cards(limit=100).items}
    good = [c for c in cards.values() if "/good/" in c.url]
    assert len(good) == 2 and all("Sentence 39" in store.article(c.id).text for c in good)
    assert "Café Zürich reopens" in cards  # declared UTF-8, sent Latin-1: still read right
    assert {"Item /gone/1", "Item /gone/2"} <= set(cards)  # the items before the cut
    assert sources["Many items"].articles == 5  # the first TAGWIRE_MAX_ITEMS_PER_FEED
    assert "Item /a-page" in cards  # kept with the feed's text, the page never fetched
    assert forbidden.requests == []
    assert not any("root:" in store.article(c.id).text for c in cards.values())


@pytest.mark.parametrize("kind", ["gzip", "endless"])
def test_a_bomb_or_an_endless_body_stops_at_the_cap_in_bounded_memory(
    http_server: LoopbackServer, raw_servers: dict[str, RawServer], kind: str
) -> None:
    http_server.routes["/bomb"] = Reply(
        200, gzip.compress(b"\0" * 200_000_000), {"Content-Encoding": "gzip"}
    )
    url = http_server.url("/bomb") if kind == "gzip" else raw_servers["endless"].base + "/x"

    async def go() -> None:
        async with Fetcher(_settings()) as fetcher:
            await fetcher.get(url)

    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError):
            asyncio.run(go())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * CAP  # the 200 MB it inflates to, or the endless stream, never held


def test_html_in_feed_titles_and_texts_never_runs_on_our_pages(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    import httpx

    from tagwire.web.app import create_app

    attack = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    escaped = attack.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = (
        f"<rss version='2.0'><channel><title>T</title><item><title>{escaped} Headline"
        f"</title><link>{http_server.base}/p</link><description>{escaped} text"
        "</description></item></channel></rss>"
    )
    http_server.routes["/feed.xml"] = Reply(200, body.encode(), RSS)
    http_server.routes["/p"] = Reply(
        200,
        (
            f"<html><body><article><h1>{attack} Headline</h1><p>{attack}</p>"
            f"<p>{'A long enough paragraph of the article. ' * 30}</p></article></body></html>"
        ).encode(),
        {"Content-Type": "text/html"},
    )
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.upsert_sources([Source("X", http_server.url("/"), (http_server.url("/feed.xml"),))])
    asyncio.run(ingest(store, _settings()))
    (card,) = store.list_cards(limit=10).items

    async def pages() -> list[str]:
        transport = httpx.ASGITransport(app=create_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            paths = ["/", f"/articles/{card.id}", f"/stories/{card.story_id}", "/sources"]
            return [(await client.get(p, headers={"Accept": "text/html"})).text for p in paths]

    for html in asyncio.run(pages()):
        assert "<script>alert" not in html and "onerror=alert" not in html
