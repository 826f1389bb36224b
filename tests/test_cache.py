"""The response cache: hits are the same answers, and a write by any process makes the
answers it changes fresh at once (the ``changes`` rows), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tagwire import config
from tagwire.ingest.writer import writing
from tagwire.metrics import CACHE_LOOKUPS
from tagwire.store import Store
from tagwire.types import Source
from tagwire.web.app import create_app
from tagwire.web.cache import Entry, ResponseCache
from test_search import _add


def _hits() -> float:
    return float(CACHE_LOOKUPS.labels("hit")._value.get())


def _get(app: object, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def _tagged(store: Store, source: int, n: int, title: str, place: str) -> int:
    return _add(store, n, title, "Text of the article.", source=source, places=(place,))


@pytest.fixture
def source(store: Store) -> int:
    (herald,) = store.upsert_sources(
        [Source("Herald", "https://herald.example/", ("https://herald.example/f",))]
    )
    return herald


def test_a_second_request_is_a_hit_with_the_same_answer_and_validators(
    store: Store, source: int
) -> None:
    _tagged(store, source, 1, "Harbour strike ends", "Rotterdam")
    app = create_app(store)
    first = _get(app, "/api/v1/tags/Rotterdam")
    hits = _hits()
    second = _get(app, "/api/v1/tags/Rotterdam")
    assert _hits() == hits + 1
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-length"] == str(len(first.content))
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    again = _get(app, "/api/v1/tags/Rotterdam", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert _hits() == hits + 2


def test_an_article_written_by_another_process_is_listed_at_once(store: Store, source: int) -> None:
    _tagged(store, source, 1, "Harbour strike ends", "Rotterdam")
    app = create_app(store)
    html = _get(app, "/tags/Rotterdam", accept="text/html")
    assert _get(app, "/api/v1/tags/Rotterdam").json()["articles"][0]["title"] == (
        "Harbour strike ends"
    )
    elsewhere = Store(store.url)  # its own engine and connections, as another process has
    try:
        _tagged(elsewhere, source, 2, "Ships leave Rotterdam", "Rotterdam")
    finally:
        elsewhere.close()
    titles = [a["title"] for a in _get(app, "/api/v1/tags/Rotterdam").json()["articles"]]
    assert titles == ["Ships leave Rotterdam", "Harbour strike ends"]
    assert "Ships leave Rotterdam" in _get(app, "/tags/Rotterdam", accept="text/html").text
    assert html.status_code == 200


def test_a_write_keeps_the_answers_of_other_tags_and_drops_the_general_ones(
    store: Store, source: int
) -> None:
    _tagged(store, source, 1, "Harbour strike ends", "Rotterdam")
    _tagged(store, source, 2, "Talks in Seoul", "Seoul")
    app = create_app(store)
    for path in ("/api/v1/tags/Seoul", "/api/v1/articles"):
        _get(app, path)
    _tagged(store, source, 3, "Rotterdam votes", "Rotterdam")
    hits = _hits()
    _get(app, "/api/v1/tags/Seoul")
    assert _hits() == hits + 1  # Seoul's list did not change
    listed = _get(app, "/api/v1/articles").json()["articles"]
    assert _hits() == hits + 1  # the list of everything did
    assert listed[0]["title"] == "Rotterdam votes"


def test_curation_and_source_changes_drop_everything(store: Store, source: int) -> None:
    _tagged(store, source, 1, "Talks in Seoul", "Seoul")
    app = create_app(store)
    assert _get(app, "/api/v1/tags/Seoul").json()["articles"][0]["source"]["name"] == "Herald"
    store.upsert_sources(
        [Source("Herald Tribune", "https://herald.example/", ("https://herald.example/f",))]
    )
    card = _get(app, "/api/v1/tags/Seoul").json()["articles"][0]
    assert card["source"]["name"] == "Herald Tribune"


def test_what_is_never_cached(store: Store, source: int) -> None:
    _tagged(store, source, 1, "Talks in Seoul", "Seoul")
    app = create_app(store)
    hits = _hits()
    for _ in range(2):
        _get(app, "/api/v1/sources")
        _get(app, "/healthz")
        _get(app, "/api/v1/tags/Seoul", authorization="Bearer x")
        assert _get(app, "/api/v1/tags/Nowhere").status_code == 404
    assert _hits() == hits  # the 404 was not kept either
    assert len(app.state.cache) == 0


def test_html_answers_are_kept_per_locale(store: Store, source: int) -> None:
    _tagged(store, source, 1, "Talks in Seoul", "Seoul")
    app = create_app(store)
    french = _get(app, "/tags/Seoul", **{"accept-language": "fr", "accept": "text/html"})
    english = _get(app, "/tags/Seoul", **{"accept-language": "en", "accept": "text/html"})
    assert 'lang="fr"' in french.text and 'lang="en"' in english.text
    hits = _hits()
    again = _get(app, "/tags/Seoul", **{"accept-language": "fr;q=0.8, xx", "accept": "text/html"})
    assert _hits() == hits + 1 and again.text == french.text  # the same negotiated locale


def test_cors_headers_follow_each_request_on_hits(store: Store, source: int) -> None:
    _tagged(store, source, 1, "Talks in Seoul", "Seoul")
    settings = config.load({"TAGWIRE_CORS_ORIGINS": "https://a.example,https://b.example"})
    app = create_app(store, settings=settings)
    a = _get(app, "/api/v1/tags/Seoul", origin="https://a.example")
    b = _get(app, "/api/v1/tags/Seoul", origin="https://b.example")
    assert a.headers["access-control-allow-origin"] == "https://a.example"
    assert b.headers["access-control-allow-origin"] == "https://b.example"
    assert "access-control-allow-origin" not in _get(app, "/api/v1/tags/Seoul").headers


def test_the_cache_can_be_turned_off(store: Store, source: int) -> None:
    _tagged(store, source, 1, "Talks in Seoul", "Seoul")
    app = create_app(store, settings=config.load({"TAGWIRE_CACHE_SECONDS": "0"}))
    hits = _hits()
    _get(app, "/api/v1/tags/Seoul")
    _get(app, "/api/v1/tags/Seoul")
    assert _hits() == hits and not hasattr(app.state, "cache")


def _entry(body: bytes, tag: int | None, expires: float) -> Entry:
    return Entry(headers=[], body=body, tag=tag, expires=expires, route=None, etag='"x"')


def test_entries_expire_and_the_least_recently_used_go_first(store: Store) -> None:
    cache = ResponseCache(store, 30.0, max_bytes=10)
    now = time.monotonic()
    cache.put(("/old", b"", "", ""), _entry(b"1", None, now - 1))
    assert cache.get(("/old", b"", "", "")) is None
    cache.put(("/a", b"", "", ""), _entry(b"aaaa", 1, now + 60))
    cache.put(("/b", b"", "", ""), _entry(b"bbbb", 2, now + 60))
    assert cache.get(("/a", b"", "", "")) is not None  # /a is now the most recently used
    cache.put(("/c", b"", "", ""), _entry(b"cccc", 3, now + 60))  # over 10 bytes: /b goes
    assert cache.get(("/b", b"", "", "")) is None
    assert cache.get(("/a", b"", "", "")) is not None
    assert cache.get(("/c", b"", "", "")) is not None


def test_a_change_committed_out_of_order_is_not_missed(postgres_url: str) -> None:
    """Two writers on PostgreSQL: the later change id commits first; the earlier one is
    asked for again until it is visible."""
    from sqlalchemy import text

    from tagwire.store.engine import WRITE
    from tagwire.store.write_base import record_change

    store = Store(postgres_url)
    try:
        cache = ResponseCache(store, 30.0)
        now = time.monotonic()
        slow = store.engine.connect().execution_options(**{WRITE: True})
        transaction = slow.begin()
        record_change(slow, [7])  # takes the lower id, commits last
        with writing(store) as w:
            record_change(w.conn, [8])
        cache.put(("/seven", b"", "", ""), _entry(b"7", 7, now + 60))
        cache.sync()
        cache.put(("/seven", b"", "", ""), _entry(b"7", 7, now + 60))
        cache.sync()
        assert cache.get(("/seven", b"", "", "")) is not None  # not visible yet: kept
        transaction.commit()
        slow.execute(text("SELECT 1"))
        slow.close()
        cache.sync()
        assert cache.get(("/seven", b"", "", "")) is None
    finally:
        store.close()


def test_a_lost_connection_empties_the_cache_and_answers_go_through(postgres_url: str) -> None:
    """PostgreSQL drops the change feed's connection (as on a restart): the request is
    answered from the database, nothing kept is served, and the feed reconnects."""
    import psycopg

    store = Store(postgres_url)
    try:
        (source,) = store.upsert_sources(
            [Source("Herald", "https://herald.example/", ("https://herald.example/f",))]
        )
        _tagged(store, source, 1, "Talks in Seoul", "Seoul")
        app = create_app(store)
        _get(app, "/api/v1/tags/Seoul")
        assert len(app.state.cache) == 1
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        answer = _get(app, "/api/v1/tags/Seoul")
        assert answer.status_code == 200 and "x-cache" not in answer.headers
        assert len(app.state.cache) == 0
        assert _get(app, "/api/v1/tags/Seoul").headers["x-cache"] == "miss"
        assert _get(app, "/api/v1/tags/Seoul").headers["x-cache"] == "hit"
    finally:
        store.close()
