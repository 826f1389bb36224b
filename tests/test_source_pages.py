"""/sources says plainly when no source could be reached; each source has its own page
(its health, its feeds' health, its latest articles) and the list links to it, not to raw
JSON."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tagwire import config
from tagwire.store import Store
from tagwire.types import Source, now_utc
from test_http import _client_calls
from test_search import _add

HTML = {"Accept": "text/html"}
OFFLINE = "No source could be reached: is this machine offline?"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'src.db'}")
    herald, times = store.upsert_sources(
        [
            Source("Herald", "https://h.example/", ("https://h.example/f",), "NO", "europe", "en"),
            Source("Times", "https://t.example/", ("https://t.example/f",), "JP", "asia", "ja"),
        ]
    )
    for n in range(23):
        _add(store, n, f"Herald story {n}", "Words.", source=herald, hours_ago=n)
    _add(store, 99, "Times story", "Words.", source=times)
    return store


def _check(store: Store, source_name: str, error: str | None) -> None:
    """One check of the source's feed: a failure with ``error``, else a success."""
    (feed,) = [f for f in store.feeds() if f.source_name == source_name]
    later = now_utc() + timedelta(hours=1)
    if error is None:
        store.record_feed(feed, outcome="ok", next_check=later, title="Front page", fmt="rss")
    else:
        store.record_feed(feed, outcome="failed", next_check=later, message=error)


def _page(store: Store, path: str) -> tuple[int, str]:
    (reply,) = _client_calls(store, config.load({}), [("GET", path, HTML)])
    return reply.status_code, reply.text


def test_when_every_source_fails_the_page_says_so_plainly(store: Store) -> None:
    _check(store, "Herald", None)
    _check(store, "Times", "could not connect to t.example: connection refused")
    status, one_down = _page(store, "/sources")
    assert status == 200 and OFFLINE not in one_down
    assert "Failing: could not connect to t.example" in one_down
    _check(store, "Herald", "could not resolve h.example: name or service not known")
    _, all_down = _page(store, "/sources")
    assert OFFLINE in all_down and 'role="alert"' in all_down
    _check(store, "Herald", None)  # back: the page no longer says so
    _, again = _page(store, "/sources")
    assert OFFLINE not in again


def test_a_source_that_was_never_checked_is_not_called_unreachable(store: Store) -> None:
    _, page = _page(store, "/sources")
    assert OFFLINE not in page and page.count("Not checked yet") == 2


def test_the_list_links_each_source_to_its_own_page_not_to_json(store: Store) -> None:
    ids = {s.name: s.id for s in store.sources()}
    _, page = _page(store, "/sources")
    assert "/api/v1/" not in page
    for name, number in ids.items():
        assert f'<a href="/sources/{number}">{name}</a>' in page


def test_a_source_page_shows_its_health_feeds_and_latest_articles(store: Store) -> None:
    herald = next(s.id for s in store.sources() if s.name == "Herald")
    _check(store, "Herald", None)
    _check(store, "Herald", "server answered HTTP 503 (service unavailable)")
    status, page = _page(store, f"/sources/{herald}")
    assert status == 200
    assert "<h1>Herald</h1>" in page and "Norway" in page and "Europe" in page
    assert "Failing: server answered HTTP 503 (service unavailable)" in page
    assert "(1 failure in a row)" in page and "https://h.example/f" in page
    assert page.count('class="card"') == 20 and "Times story" not in page
    assert f'href="/sources/{herald}?cursor=' in page
    assert f'href="/sources/{herald}.atom"' in page
    cursor = page.split(f'href="/sources/{herald}?cursor=')[1].split("#")[0]
    _, older = _page(store, f"/sources/{herald}?cursor={cursor}")
    assert older.count('class="card"') == 3 and "Herald story 22" in older


@pytest.mark.parametrize("path", ["/sources/999", "/sources/0", "/sources/9223372036854775808"])
def test_an_unknown_source_is_a_404_page(store: Store, path: str) -> None:
    status, page = _page(store, path)
    assert status == 404 and "no source" in page
