"""An edition's page is the edition's own: its sidebars (trending, most active tags) count
only its articles, and an edition without articles says so truthfully instead of "no
articles yet" while the other editions have news."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tagwire import config
from tagwire.service import tag_queries
from tagwire.store import Store
from tagwire.types import Source, now_utc
from test_http import _client_calls
from test_search import T0, _add

HTML = {"Accept": "text/html"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'ed.db'}")
    herald, times = store.upsert_sources(
        [
            Source("Herald", "https://h.example/", ("https://h.example/f",), "NO", "europe"),
            Source("Times", "https://t.example/", ("https://t.example/f",), "JP", "asia"),
        ]
    )
    lately = (T0 - now_utc()).total_seconds() / 3600 + 1  # an hour ago, today
    for n in range(5):  # Oslo: the most active tag overall, none of it in Asia
        _add(store, n, f"Oslo {n}", "Port.", source=herald, places=("Oslo",), hours_ago=lately)
    for n in range(10, 13):
        _add(store, n, f"Tokyo {n}", "Trains.", source=times, places=("Tokyo",), hours_ago=lately)
    return store


def _sidebar(html: str) -> str:
    return html.split('<aside class="side">')[1].split("</aside>")[0]


def _tags(block: str, heading: str) -> list[str]:
    part = block.split(f"<h2>{heading}")[1].split("</ul>")[0]
    return re.findall(r'href="/tags/(\w+)"', part)


def test_an_editions_sidebars_are_its_own(store: Store) -> None:
    home, asia = _client_calls(
        store, config.load({}), [("GET", "/", HTML), ("GET", "/editions/asia", HTML)]
    )
    everywhere = _sidebar(home.text)
    assert _tags(everywhere, "Most active tags")[:2] == ["Oslo", "Tokyo"]
    assert _tags(everywhere, "Trending")[:2] == ["Oslo", "Tokyo"]
    side = _sidebar(asia.text)
    assert "<h2>Most active tags in Asia</h2>" in side and "<h2>Trending in Asia</h2>" in side
    assert _tags(side, "Most active tags") == ["Tokyo"]
    assert _tags(side, "Trending") == ["Tokyo"]
    assert '<span class="count">3</span>' in side  # Tokyo's articles in the edition
    assert "Asia: 3 articles · 1 source based there" in side


def test_edition_counts_come_from_the_editions_articles(store: Store) -> None:
    (tokyo,) = tag_queries.top_tags(store, 5, region="asia")
    assert (tokyo.slug, tokyo.article_count) == ("Tokyo", 3)
    assert [e.slug for e, _ in tag_queries.trending(store, 5, region="europe")] == ["Oslo"]
    assert tag_queries.top_tags(store, 5, region="africa") == []


def test_an_edition_without_articles_says_so_truthfully(store: Store) -> None:
    (africa,) = _client_calls(store, config.load({}), [("GET", "/editions/africa", HTML)])
    assert africa.status_code == 200
    text = africa.text
    assert "Africa has no articles of its own yet" in text
    assert "none of the 2 sources is based in Africa" in text
    assert "All editions</a> hold 8 articles" in text
    assert "No articles yet. tagwire is polling" not in text
    side = _sidebar(text)
    assert "Most active tags" not in side and "Trending" not in side
    assert "Africa: 0 articles · 0 sources based there" in side
