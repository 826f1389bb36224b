"""Answers by the standards: security headers on every answer, no inline script, style or
handler in any page, /docs from tagwire's own files, and load shedding (503 + Retry-After
past TAGWIRE_MAX_IN_FLIGHT requests in flight, on a real server)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import threading
from collections import deque
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from conftest import running
from tagwire import config
from tagwire.store import Store
from tagwire.types import Source
from tagwire.web.app import create_app
from tagwire.web.http import CONTENT_SECURITY_POLICY, LoadShedding
from test_search import _add


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'standards.db'}")
    herald, times = store.upsert_sources(
        [
            Source("Herald", "https://h.example/", ("https://h.example/f",), region="europe"),
            Source("Times", "https://t.example/", ("https://t.example/f",), region="europe"),
        ]
    )
    first = _add(store, 1, "Harbour strike ends", "Dock workers returned.", source=herald,
                 places=("Oslo",))  # fmt: skip
    _add(store, 2, "Ferry late", "The ferry was late.", source=times, places=("Oslo",))
    _add(store, 3, "Strike ends (copy)", "Dock workers returned.", source=times,
         places=("Oslo",), duplicate_of=first)  # fmt: skip
    return store


def _pages(store: Store) -> dict[str, str]:
    card = store.list_cards(limit=1).items[0]
    return {
        "home": "/",
        "tag": "/tags/Oslo",
        "article": f"/articles/{card.id}",
        "story": f"/stories/{card.story_id}",
        "search": "/search?q=harbour",
        "sources": "/sources",
        "edition": "/editions/europe",
        "error": "/tags/Atlantis",
    }


def _get_all(store: Store, paths: list[str], headers: dict[str, str] | None = None) -> list[Any]:
    from fastapi.testclient import TestClient

    with TestClient(create_app(store)) as client:
        return [client.get(p, headers=headers or {}) for p in paths]


def _secured(reply: Any) -> None:  # httpx's response, or the TestClient's
    where = (reply.request.url.path, reply.status_code)
    assert reply.headers.get("x-content-type-options") == "nosniff", where
    assert reply.headers.get("referrer-policy") == "no-referrer", where
    policy = reply.headers.get("content-security-policy", "")
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("default-src") == ["'none'"], where
    for name in ("script-src", "style-src"):
        assert directives.get(name, [""])[0] == "'self'", where
        assert "'unsafe-inline'" not in directives[name], where
        assert all(v == "'self'" or v.startswith("'sha256-") for v in directives[name]), where
    assert "'unsafe-eval'" not in policy, where


def test_security_headers_on_pages_api_feeds_static_errors_hits_and_304s(store: Store) -> None:
    html = {"Accept": "text/html"}
    paths = [*_pages(store).values(), "/api/v1/articles", "/tags/Oslo.atom",
             "/static/tagwire.css", "/api/v1/articles/999", "/openapi.json"]  # fmt: skip
    first = _get_all(store, paths, html)
    assert [r.status_code for r in first] == [200] * 7 + [404, 200, 200, 200, 404, 200]
    for reply in first:
        _secured(reply)
        assert reply.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # The response cache's hits and the validators' 304s carry them too.
    again = _get_all(store, ["/tags/Oslo", "/tags/Oslo"], html)
    assert again[1].headers.get("x-cache") == "hit"
    etag = again[1].headers["etag"]
    not_modified = _get_all(store, ["/tags/Oslo"], {**html, "If-None-Match": etag})[0]
    assert not_modified.status_code == 304
    for reply in (*again, not_modified):
        _secured(reply)


class _Inline(HTMLParser):
    """What a strict CSP blocks in a page: inline scripts and style elements, style
    attributes, event-handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"{name} handler on <{tag}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")


def test_no_page_has_inline_script_style_or_handlers(store: Store) -> None:
    pages = _pages(store)
    replies = _get_all(store, list(pages.values()), {"Accept": "text/html"})
    found = {}
    for name, reply in zip(pages, replies, strict=True):
        assert reply.headers["content-type"].startswith("text/html"), name
        parser = _Inline()
        parser.feed(reply.text)
        if parser.found:
            found[name] = parser.found
    assert found == {}
    tag_page = replies[1].text
    assert "<svg" in tag_page and "<rect" in tag_page  # the timeline is still drawn


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def test_api_docs_reference_only_tagwire_and_its_assets_are_served(store: Store) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(store)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        refs = _Refs()
        refs.feed(page.text)
        assert refs.urls, "the page loads Swagger UI's files"
        hosts = {urlsplit(urljoin("http://testserver/docs", u)).netloc for u in refs.urls}
        assert hosts == {"testserver"}, refs.urls
        assert not re.search(r"https?://", page.text), "no other host named anywhere"
        kinds = {}
        for url in refs.urls:
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 500, url
            kinds[url.rsplit(".", 1)[-1]] = asset.headers["content-type"]
        assert kinds["js"].startswith(("text/javascript", "application/javascript"))
        assert kinds["css"].startswith("text/css")
        # The one inline script (Swagger UI's set-up) is allowed by its hash, nothing else.
        _secured(page)
        policy = page.headers["content-security-policy"]
        (script,) = refs.scripts
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
        assert "openapi.json" in script
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/redoc").status_code == 404  # FastAPI's ReDoc page loads a CDN


class _Holding:
    """The store, except that the sources page's query waits until released: a request
    held in flight for as long as the test needs, without sleeping."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.entered = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def sources(self) -> Any:
        self.entered.set()
        assert self.release.wait(30), "never released"
        return self._store.sources()


def test_past_the_bound_of_requests_in_flight_503_with_retry_after(store: Store) -> None:
    holding = _Holding(store)
    # No wait for a slot: the requests past the bound are answered 503 at once.
    settings = config.load({"TAGWIRE_MAX_IN_FLIGHT": "1", "TAGWIRE_QUEUE_WAIT": "0"})
    app = create_app(cast(Store, holding), settings=settings)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        cached = client.get("/api/v1/articles")  # in the response cache from now on
        assert cached.status_code == 200
        held: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: held.append(httpx.get(base + "/sources")))
        thread.start()
        try:
            assert holding.entered.wait(30)  # one request in flight: the bound
            api = client.get("/api/v1/articles?limit=5")
            assert api.status_code == 503
            assert api.headers["retry-after"] == "1"
            assert api.json() == {
                "error": {
                    "status": 503,
                    "code": "service_unavailable",
                    "message": "the server is at capacity; retry in a second",
                }
            }
            page = client.get("/tags/Oslo", headers={"Accept": "text/html,*/*"})
            assert page.status_code == 503 and page.headers["retry-after"] == "1"
            assert page.headers["content-type"].startswith("text/html")
            assert "<h1>503</h1>" in page.text
            _secured(page)
            feed = client.get("/tags/Oslo.atom")
            assert feed.status_code == 503 and feed.json()["error"]["status"] == 503
            # Answered whatever the load: the monitor's routes and the cache's hits.
            assert client.get("/healthz").status_code == 200
            metrics = client.get("/metrics")
            assert metrics.status_code == 200
            assert "tagwire_http_requests_shed_total" in metrics.text
            hit = client.get("/api/v1/articles")
            assert hit.status_code == 200 and hit.headers["x-cache"] == "hit"
        finally:
            holding.release.set()
            thread.join(30)
        assert [r.status_code for r in held] == [200]  # the admitted request was answered
        assert client.get("/api/v1/articles?limit=5").status_code == 200  # room again


class _Line(deque[asyncio.Future[bool]]):
    """LoadShedding's line of waiting requests, telling (across threads) when one joins;
    ``on_leave`` is called soon after a request leaves it (before that request runs)."""

    def __init__(self) -> None:
        super().__init__()
        self.joined = threading.Event()
        self.joins = 0
        self.on_leave: Callable[[], Any] | None = None

    def append(self, turn: asyncio.Future[bool]) -> None:
        super().append(turn)
        self.joins += 1
        self.joined.set()

    def popleft(self) -> asyncio.Future[bool]:
        if self.on_leave is not None:
            asyncio.get_running_loop().call_soon(self.on_leave)
        return super().popleft()


def _shedding(app: Any) -> LoadShedding:
    """The app's LoadShedding middleware (its stack is built at the first request)."""
    layer = app.middleware_stack
    while not isinstance(layer, LoadShedding):
        layer = layer.app
    return layer


def test_a_request_past_the_bound_waits_its_turn_on_a_real_server(store: Store) -> None:
    holding = _Holding(store)
    # A wait no test run reaches: the queued request is admitted when the slot frees.
    settings = config.load({"TAGWIRE_MAX_IN_FLIGHT": "1", "TAGWIRE_QUEUE_WAIT": "3600"})
    app = create_app(cast(Store, holding), settings=settings)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/healthz").status_code == 200  # builds the middleware stack
        shedding = _shedding(app)
        line = shedding.waiting = _Line()
        answers: dict[str, httpx.Response] = {}
        held = threading.Thread(target=lambda: answers.update(held=httpx.get(base + "/sources")))
        held.start()
        assert holding.entered.wait(30)
        queued = threading.Thread(
            target=lambda: answers.update(queued=httpx.get(base + "/api/v1/articles", timeout=30))
        )
        queued.start()
        try:
            assert line.joined.wait(30)  # past the bound: in line, not shed
            assert shedding.in_flight == 1 and shedding.shed == 0
        finally:
            holding.release.set()
            held.join(30)
            queued.join(30)
        assert answers["held"].status_code == 200
        assert answers["queued"].status_code == 200
        assert (shedding.queued, shedding.shed, shedding.in_flight) == (1, 0, 0)
        assert shedding.wait == 3600  # TAGWIRE_QUEUE_WAIT, read from the app's settings


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _get(app: Any, path: str) -> int:
    """The status ``app`` answers to GET ``path``."""
    scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


class _Gated:
    """An app whose /held requests wait until ``gate`` opens; it records what it served."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.served: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.served.append(scope["path"])
        if scope["path"] == "/held":
            self.entered.set()
            await self.gate.wait()
        await _answer(scope, receive, send)


async def _joined(line: _Line, joins: int) -> None:
    """Until ``joins`` requests have joined the line (each join wakes this once)."""
    while line.joins < joins:
        line.joined.clear()
        await asyncio.get_running_loop().run_in_executor(None, line.joined.wait, 30)


def test_waiting_requests_get_the_freed_slots_first_come_first_served() -> None:
    async def go() -> None:
        app = _Gated()
        shedding = LoadShedding(app, limit=1, wait=3600)
        line = shedding.waiting = _Line()
        held = asyncio.create_task(_get(shedding, "/held"))
        await app.entered.wait()
        second = asyncio.create_task(_get(shedding, "/second"))
        await _joined(line, 1)
        third = asyncio.create_task(_get(shedding, "/third"))
        await _joined(line, 2)
        assert app.served == ["/held"] and shedding.in_flight == 1
        app.gate.set()
        assert list(await asyncio.gather(held, second, third)) == [200, 200, 200]
        assert app.served == ["/held", "/second", "/third"]
        assert (shedding.queued, shedding.shed, shedding.in_flight) == (2, 0, 0)

    asyncio.run(go())


def test_a_request_whose_wait_runs_out_is_shed_and_leaves_the_line() -> None:
    async def go() -> None:
        app = _Gated()
        shedding = LoadShedding(app, limit=1, wait=0.001, hold=0)
        line = shedding.waiting = _Line()
        held = asyncio.create_task(_get(shedding, "/held"))
        await app.entered.wait()
        assert await _get(shedding, "/late") == 503  # held all along: no slot in time
        assert line.joins == 1 and not line and shedding.shed == 1
        app.gate.set()
        assert await held == 200
        assert await _get(shedding, "/next") == 200
        assert app.served == ["/held", "/next"] and shedding.in_flight == 0

    asyncio.run(go())


def test_after_a_wait_in_vain_requests_past_the_bound_are_shed_at_once() -> None:
    async def go() -> None:
        app = _Gated()
        shedding = LoadShedding(app, limit=1, wait=0.001, hold=3600)
        line = shedding.waiting = _Line()
        held = asyncio.create_task(_get(shedding, "/held"))
        await app.entered.wait()
        assert await _get(shedding, "/first") == 503  # waited in vain: an overload
        assert await _get(shedding, "/second") == 503
        assert line.joins == 1  # the second did not queue
        app.gate.set()
        assert await held == 200
        assert await _get(shedding, "/free") == 200  # a free slot is taken whatever the hold

    asyncio.run(go())


def test_in_an_overload_the_requests_admitted_are_computed_one_at_a_time() -> None:
    async def go() -> None:
        app = _Gated()
        shedding = LoadShedding(app, limit=2, wait=0.001, hold=3600)
        line = shedding.waiting = _Line()
        first = asyncio.create_task(_get(shedding, "/held"))
        second = asyncio.create_task(_get(shedding, "/held"))
        while shedding.in_flight < 2:  # below the bound, both are computed at once
            await asyncio.sleep(0)
        assert await _get(shedding, "/late") == 503  # waited in vain: an overload
        app.gate.set()
        assert list(await asyncio.gather(first, second)) == [200, 200]
        app.gate.clear()
        app.entered.clear()
        third = asyncio.create_task(_get(shedding, "/held"))
        await app.entered.wait()
        # One in flight is the overload's bound: the next is shed at once, not queued.
        assert await _get(shedding, "/beside") == 503
        assert line.joins == 1 and shedding.shed == 2
        app.gate.set()
        assert await third == 200
        assert app.served == ["/held", "/held", "/held"] and shedding.in_flight == 0

    asyncio.run(go())


def test_a_slot_handed_to_a_request_cancelled_meanwhile_is_not_lost() -> None:
    async def go() -> None:
        app = _Gated()
        shedding = LoadShedding(app, limit=1, wait=3600)
        line = shedding.waiting = _Line()
        held = asyncio.create_task(_get(shedding, "/held"))
        await app.entered.wait()
        waiting = asyncio.create_task(_get(shedding, "/cancelled"))
        await _joined(line, 1)
        # Cancelled (a server shutting down) once handed the slot, before it runs.
        line.on_leave = waiting.cancel
        app.gate.set()
        assert await held == 200
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert shedding.queued == 0 and app.served == ["/held"]
        assert shedding.in_flight == 0 and not line
        assert await _get(shedding, "/next") == 200

    asyncio.run(go())


def test_the_bound_and_the_wait_are_declared_settings() -> None:
    (bound,) = [s for s in config.SETTINGS if s.name == "TAGWIRE_MAX_IN_FLIGHT"]
    assert isinstance(bound.default, int) and bound.default > 0
    assert "503" in bound.help
    assert config.load({"TAGWIRE_MAX_IN_FLIGHT": "3"})["TAGWIRE_MAX_IN_FLIGHT"] == 3
    (wait,) = [s for s in config.SETTINGS if s.name == "TAGWIRE_QUEUE_WAIT"]
    assert isinstance(wait.default, float) and 0 < wait.default <= 0.05  # the goal's 50 ms
    assert config.load({"TAGWIRE_QUEUE_WAIT": "0.01"})["TAGWIRE_QUEUE_WAIT"] == 0.01
