"""The search page: results grouped by story like a tag page, the matching words marked in a
snippet, a form with the API's filters (tag, category, edition, dates, order) that keeps
what was asked, and every problem said to the reader (a bad date as the API says it, with
its 400; never "q: ...")."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tagwire import config
from tagwire.ingest.writer import writing
from tagwire.store import Store
from tagwire.stories.rules import Decision
from tagwire.types import Article, EntityKind, Mention, Source
from test_http import _client_calls
from test_search import T0, _add

HTML = {"Accept": "text/html"}


def _join(store: Store, n: int, title: str, source: int, story_id: int) -> int:
    """An article about Oslo that joins an existing story."""
    oslo = Mention("Oslo", "Oslo", EntityKind.PLACE, 0, 4, True)
    article = Article(
        url=f"https://a.example/{n}",
        title=title,
        text=f"Oslo. {title}.",
        summary=title,
        published_at=T0 - timedelta(minutes=30),
        author=None,
        image=None,
        category="Business & Economy",
        language="en",
        content_hash=f"h{n}",
        mentions=(oslo,),
    )
    with writing(store) as w:
        ids = w.entity_ids([("place", "Oslo")])
        return w.insert_article(
            article,
            source_id=source,
            feed_id=None,
            seen_at=T0,
            duplicate_of=None,
            entity_scores={ids[("place", "Oslo")]: 3.0},
            mention_entities=[ids[("place", "Oslo")]],
            terms={"t": 1.0},
            decision=Decision(story_id, 0.9, 0.9, ()),
        )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'sp.db'}")
    herald, times = store.upsert_sources(
        [
            Source("Herald", "https://h.example/", ("https://h.example/f",)),
            Source("Times", "https://t.example/", ("https://t.example/f",)),
        ]
    )
    first = _add(
        store,
        1,
        "Harbour strike ends in Oslo",
        "Dock workers at the <Oslo> harbour returned after the strike & talks.",
        source=herald,
        places=("Oslo",),
        category="Business & Economy",
    )
    story = store.article(first).card.story_id
    _join(store, 2, "Oslo harbour strike over, say dockers", times, story)
    for n in range(3, 28):
        _add(
            store,
            n,
            f"Harbour figures {n}",
            f"Harbour week {n}.",
            source=times,
            hours_ago=24 * n,
        )
    return store


def _page(store: Store, path: str) -> tuple[int, str]:
    (reply,) = _client_calls(store, config.load({}), [("GET", path, HTML)])
    return reply.status_code, reply.text


def test_results_are_grouped_by_story_with_the_matching_words_marked(store: Store) -> None:
    status, page = _page(store, "/search?q=strike+harbour&order=newest")
    assert status == 200
    assert page.count('class="card"') == 1  # two articles of one story: one card
    assert "Oslo harbour strike over, say dockers" in page.split('class="others"')[1]
    assert "Also covered by Times" in page
    snippet = page.split('<p class="summary snippet">')[1].split("</p>")[0]
    assert snippet == (
        "Dock workers at the &lt;Oslo&gt; <mark>harbour</mark> returned after the "
        "<mark>strike</mark> &amp; talks."
    )


def test_the_form_offers_the_apis_filters_and_keeps_them(store: Store) -> None:
    status, page = _page(
        store,
        "/search?q=harbour&tag=Oslo&category=business+%26+economy&from=2026-11-01&to=2026-11-30",
    )
    assert status == 200
    for field in ('id="tag" name="tag" type="text" value="Oslo"', 'type="date" value="2026-11-01"'):
        assert field in page
    assert 'name="to" type="date" value="2026-11-30"' in page
    assert '<option value="Business &amp; Economy" selected>Business &amp; Economy</option>' in page
    assert '<details class="filters" open>' in page  # shown, since some are set
    assert page.count('class="card"') == 1  # only the Oslo story in November


def test_more_results_keep_every_filter(store: Store) -> None:
    _, page = _page(store, "/search?q=harbour&from=2025-01-01&to=2026-12-31&order=newest")
    assert page.count('class="card"') == 19  # 20 results, two of them one story
    more = re.search(r'<a href="([^"]+)">More results</a>', page)
    assert more is not None
    asked = parse_qs(urlsplit(more.group(1).replace("&amp;", "&")).query)
    assert asked["from"] == ["2025-01-01"] and asked["to"] == ["2026-12-31"]
    assert asked["order"] == ["newest"] and asked["q"] == ["harbour"] and asked["cursor"]
    status, rest = _page(store, more.group(1).replace("&amp;", "&"))
    assert status == 200 and rest.count('class="card"') == 7


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ("q=harbour&from=2026-13-01", 400, "From: “2026-13-01” is not a date. Write a day as"),
        ("q=harbour&to=yesterday", 400, "To: “yesterday” is not a date."),
        ("q=harbour&to=9999-12-31", 400, "To: “9999-12-31” is outside the calendar"),
        ("q=%22", 400, "This search cannot run: no word to look for (only excluded words"),
        ("q=" + "a+" * 40, 400, "This search cannot run: a search has at most 32 words"),
        ("q=+", 400, "Type something to search for."),
        ("q=harbour&tag=Atlantis", 404, "No tag #Atlantis is known"),
        ("q=harbour&cursor=bogus", 400, "These results cannot be continued"),
    ],
)
def test_problems_are_said_to_the_reader(store: Store, query: str, status: int, said: str) -> None:
    answered, page = _page(store, f"/search?{query}")
    assert answered == status
    alert = page.split('role="alert">')[1].split("</p>")[0]
    assert alert.startswith(said.split("“")[0]) and said in alert
    assert not re.match(r"(q|from|to|tag|cursor)[: ]", alert)  # no parameter names
