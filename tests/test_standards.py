"""Requests answered by the standards: ids and dates at the ends of their ranges are the
error shape (never a 500), HEAD wherever GET works, 405 with Allow and 401 with
WWW-Authenticate, one permanent Atom id per article, an OpenAPI description that says
exactly what is sent. Against a real app (httpx's ASGI transport, as tests/test_http.py;
a real uvicorn server for the event stream)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from conftest import running
from tagwire import config
from tagwire.service import parsing
from tagwire.store import Store
from tagwire.web.app import create_app
from test_http import _client_calls, _store

BIG = "9223372036854775808"  # 2^63: one past the largest id SQLite and PostgreSQL store
ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 4151: "tag:" authorityName "," date ":" specific; date YYYY[-MM[-DD]]
TAG_URI = re.compile(
    r"tag:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|[^@\s]+@[^\s,]+)"
    r",\d{4}(?:-\d\d(?:-\d\d)?)?:[\x21-\x7e]+"
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return _store(str(tmp_path / "std.db"))


def _calls(store: Store, calls: list[tuple[str, str, dict[str, str]]], **env: str) -> Any:
    return _client_calls(store, config.load(env), calls)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/api/v1/articles/{BIG}", 404),
        (f"/api/v1/articles/{BIG}/story", 404),
        (f"/api/v1/articles/{BIG}/tags/Oslo", 404),
        (f"/api/v1/stories/{BIG}", 404),
        (f"/api/v1/sources/{BIG}", 404),
        (f"/api/v1/articles?source={BIG}", 400),
        (f"/api/v1/articles?story={BIG}", 400),
        (f"/api/v1/search?q=harbour&source={BIG}", 400),
        (f"/img/{BIG}", 404),
        (f"/articles/{BIG}", 404),
        (f"/stories/{BIG}", 404),
        (f"/stories/{BIG}.atom", 404),
        (f"/sources/{BIG}.atom", 404),
        ("/api/v1/search?q=harbour&to=9999-12-31T23:00:00-05:00", 400),
        ("/api/v1/search?q=harbour&from=0001-01-01T00:00:00%2B05:00", 400),
        ("/api/v1/search?q=harbour&to=9999-12-31", 400),
    ],
)
def test_ids_and_times_past_their_range_answer_the_error_shape(
    store: Store, path: str, status: int
) -> None:
    (reply,) = _calls(store, [("GET", path, {})])
    assert reply.status_code == status, (path, reply.text)
    error = reply.json()["error"]
    assert error["status"] == status and error["code"] in ("not_found", "bad_request")
    assert error["message"]


def test_times_at_the_calendars_ends_that_are_in_range_still_search(store: Store) -> None:
    ok = [
        "/api/v1/search?q=harbour&from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z",
        "/api/v1/search?q=harbour&from=0001-01-01&to=9999-12-30",
        "/api/v1/search?q=harbour&to=9999-12-31T23:00:00%2B05:00",
    ]
    for reply in _calls(store, [("GET", path, {}) for path in ok]):
        assert reply.status_code == 200, reply.text
        assert [c["title"] for c in reply.json()["articles"]] == ["Harbour strike ends"]
    assert parsing.parse_day("2026-11-20T12:00:00+05:00", "from") == parsing.parse_day(
        "2026-11-20T07:00:00Z", "from"
    )


HEAD_PATHS = [
    "/",
    "/tags/Oslo",
    "/tags/Oslo.atom",
    "/editions/europe",
    "/editions/europe.atom",
    "/search?q=harbour",
    "/search.atom?q=harbour",
    "/sources",
    "/api/v1/articles",
    "/api/v1/tags/Oslo",
    "/api/v1/tags/Nowhere",
    "/openapi.json",
    "/static/tagwire.css",
    "/healthz",
]


def test_head_answers_wherever_get_does_with_the_same_headers_and_no_body(
    store: Store,
) -> None:
    (card,) = store.list_cards(limit=5).items
    paths = [
        *HEAD_PATHS,
        f"/articles/{card.id}",
        f"/stories/{card.story_id}",
        f"/stories/{card.story_id}.atom",
        f"/sources/{card.source_id}.atom",
        f"/api/v1/articles/{card.id}",
    ]
    replies = _calls(store, [(m, p, {}) for p in paths for m in ("GET", "HEAD")])
    for path, get, head in zip(paths, replies[::2], replies[1::2], strict=True):
        assert head.status_code == get.status_code != 405, path
        assert head.content == b"", path
        for name in ("content-type", "content-length", "etag", "cache-control"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
    # A HEAD with the ETag it was given revalidates like a GET.
    etag = replies[1].headers["etag"]
    (again,) = _calls(store, [("HEAD", paths[0], {"If-None-Match": etag})])
    assert again.status_code == 304


def test_head_on_an_event_stream_ends_once_its_headers_are_sent(store: Store) -> None:
    with running(create_app(store)) as base:
        reply = httpx.head(f"{base}/api/v1/live", timeout=5)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert reply.content == b""
        missing = httpx.head(f"{base}/api/v1/tags/Nowhere/live", timeout=5)
        assert missing.status_code == 404


def test_405_says_allow_and_401_says_www_authenticate(store: Store) -> None:
    replies = _calls(
        store,
        [
            ("POST", "/api/v1/articles", {}),
            ("DELETE", "/api/v1/sources", {}),
            ("PUT", "/api/v1/sources/1", {}),
            ("POST", "/tags/Oslo.atom", {}),
            ("POST", "/api/v1/sources", {}),
            ("GET", "/api/v1/webhooks", {"Authorization": "Bearer wrong"}),
        ],
        TAGWIRE_ADMIN_TOKEN="s3cret",
    )
    allowed = [r.headers.get("allow") for r in replies[:4]]
    assert [r.status_code for r in replies[:4]] == [405] * 4
    assert allowed == ["GET, HEAD", "GET, HEAD, POST", "DELETE, GET, HEAD", "GET, HEAD"]
    for unauthorized in replies[4:]:
        assert unauthorized.status_code == 401
        assert unauthorized.headers["www-authenticate"] == "Bearer"
        assert unauthorized.json()["error"]["code"] == "unauthorized"


def _feed(reply: httpx.Response) -> etree._Element:
    assert reply.status_code == 200, reply.text
    return etree.fromstring(reply.content)


def test_one_permanent_atom_id_per_article_in_every_feed(store: Store) -> None:
    (card,) = store.list_cards(limit=5).items
    feeds = [
        "/tags/Oslo.atom",
        "/tags/oslo.atom",
        f"/stories/{card.story_id}.atom",
        f"/sources/{card.source_id}.atom",
        "/editions/europe.atom",
        "/search.atom?q=harbour",
    ]
    replies = _calls(store, [("GET", p, {}) for p in feeds])
    ids = {
        path: [e.findtext(f"{ATOM}id") for e in _feed(r).iter(f"{ATOM}entry")]
        for path, r in zip(feeds, replies, strict=True)
    }
    assert len({tuple(v) for v in ids.values()}) == 1, ids  # the same id in every feed
    (entry_id,) = ids[feeds[0]]
    assert TAG_URI.fullmatch(entry_id), entry_id
    seen = store.article(card.id).first_seen_at
    assert entry_id == f"tag:t,{seen:%Y-%m-%d}:article:{card.id}"  # httpx's host here: "t"
    # A configured authority wins over the host the request names.
    (configured,) = _calls(
        store, [("GET", "/tags/Oslo.atom", {})], TAGWIRE_TAG_AUTHORITY="news.example.org"
    )
    (entry,) = _feed(configured).iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == f"tag:news.example.org,{seen:%Y-%m-%d}:article:{card.id}"


def test_feed_ids_are_valid_iris_one_per_filter_set(store: Store) -> None:
    searches = [
        "/search.atom?q=harbour",
        "/search.atom?q=%20harbour%20",  # the same query typed with spaces around it
        "/search.atom?q=harbour&utm_source=x",  # not a filter
        "/search.atom?q=harbour&category=Politics",
        "/search.atom?q=harbour&edition=europe",
        "/search.atom?q=harbour%20strike",
        "/search.atom?edition=europe&q=harbour",
    ]
    others = ["/tags/Oslo.atom", "/tags/oslo.atom", "/editions/europe.atom"]
    replies = _calls(store, [("GET", p, {}) for p in searches + others])
    ids = [_feed(r).findtext(f"{ATOM}id") or "" for r in replies]
    for feed_id in ids:
        assert not re.search(r"\s", feed_id), feed_id
        parsed = httpx.URL(feed_id)
        assert parsed.scheme == "http" and parsed.host == "t", feed_id
    assert ids[0] == ids[1] == ids[2] == "http://t/search.atom?q=harbour"
    assert len(set(ids[:7])) == 4  # [0..2] one feed, [4] and [6] one, [3], [5]
    assert ids[4] == ids[6] == "http://t/search.atom?edition=europe&q=harbour"
    assert ids[5] == "http://t/search.atom?q=harbour+strike"
    assert ids[7] == ids[8] == "http://t/tags/Oslo.atom"  # the slug, not the alias typed
    assert ids[9] == "http://t/editions/europe.atom"


def _openapi(store: Store) -> dict[str, Any]:
    (reply,) = _calls(store, [("GET", "/openapi.json", {})])
    doc: dict[str, Any] = reply.json()
    return doc


def test_openapi_types_every_parameter_and_documents_only_what_is_sent(store: Store) -> None:
    doc = _openapi(store)
    assert "422" not in str({p: ops for p, ops in doc["paths"].items() if p != "/api/v1/sources"})
    assert "HTTPValidationError" not in str(doc)
    params = {
        (path, method, p["name"]): p["schema"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        for p in op.get("parameters", [])
    }

    def schema(path: str, name: str) -> dict[str, Any]:
        found = params[(path, "get", name)]
        # Optional parameters are anyOf [the type, null].
        return next((s for s in found.get("anyOf", [found]) if s.get("type") != "null"), found)

    assert schema("/api/v1/articles", "limit") == {"type": "integer", "minimum": 1, "maximum": 100}
    assert schema("/api/v1/articles", "source")["type"] == "integer"
    assert schema("/api/v1/articles", "source")["maximum"] == 2**63 - 1
    assert schema("/api/v1/articles", "edition")["enum"][0] == "africa"
    assert schema("/api/v1/search", "order")["enum"] == ["relevance", "newest"]
    assert schema("/api/v1/articles", "category")["type"] == "string"
    assert schema("/api/v1/categories/{category}", "category")["type"] == "string"
    assert schema("/api/v1/categories/{category}", "edition")["enum"][0] == "africa"
    assert len(params[("/api/v1/search", "get", "category")]["enum"]) == 17
    article_id = schema("/api/v1/articles/{article_id}", "article_id")
    assert article_id["type"] == "integer" and article_id["format"] == "int64"
    assert "maximum" not in article_id  # any integer: one that names nothing is a 404
    assert params[("/api/v1/search", "get", "q")]["type"] == "string"

    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            responses = op["responses"]
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/Error"), (path, method, status)
            if path.endswith("/live"):
                assert set(responses["200"]["content"]) == {"text/event-stream"}, path
                continue
            if op.get("parameters") or method != "get":
                assert "400" in responses, (path, method)
            if "{" in path:
                assert "404" in responses, (path, method)
            assert "503" in responses, (path, method)
            if method == "get":
                assert "304" in responses, (path, method)
            if "admin" in op["summary"]:
                assert {"401", "403"} <= set(responses), (path, method)
            else:
                assert not {"401", "403"} & set(responses), (path, method)
            assert "$ref" in str(responses.get("200", responses.get("201"))), (path, method)
    assert "422" in doc["paths"]["/api/v1/sources"]["post"]["responses"]  # it is sent


def test_the_editions_the_description_lists_are_the_regions() -> None:
    from tagwire.sources import REGIONS
    from tagwire.web.api import Edition

    assert Edition.__args__ == tuple(REGIONS)  # type: ignore[attr-defined]
