"""Answers by the standards: security headers on every answer, no inline script, style or
handler in any page, /docs from tagwire's own files, and load shedding (503 + Retry-After
past TAGWIRE_MAX_IN_FLIGHT requests in flight, on a real server)."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from conftest import running
from tagwire import config
from tagwire.store import Store
from tagwire.types import Source
from tagwire.web.app import create_app
from tagwire.web.http import CONTENT_SECURITY_POLICY
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


def test_past_the_bound_of_requests_in_flight_503_with_retry_after_at_once(
    store: Store,
) -> None:
    holding = _Holding(store)
    settings = config.load({"TAGWIRE_MAX_IN_FLIGHT": "1"})
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


def test_the_bound_is_a_declared_setting() -> None:
    (setting,) = [s for s in config.SETTINGS if s.name == "TAGWIRE_MAX_IN_FLIGHT"]
    assert isinstance(setting.default, int) and setting.default > 0
    assert "503" in setting.help
    assert config.load({"TAGWIRE_MAX_IN_FLIGHT": "3"})["TAGWIRE_MAX_IN_FLIGHT"] == 3
