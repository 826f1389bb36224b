"""Categories can be browsed: ``?category=`` on /api/v1/articles and the home page, the
category's own page, Atom feed and API list, labels in any case, an unknown label a 404 in
the error shape (API) or a page (HTML), the pill on a card a link to its category."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tagwire import config
from tagwire.categories.taxonomy import LABELS
from tagwire.store import Store
from tagwire.types import Source
from test_http import _client_calls
from test_search import _add

HTML = {"Accept": "text/html"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'cat.db'}")
    herald, times = store.upsert_sources(
        [
            Source("Herald", "https://h.example/", ("https://h.example/f",), region="europe"),
            Source("Times", "https://t.example/", ("https://t.example/f",), region="asia"),
        ]
    )
    for n in range(25):
        _add(
            store,
            n,
            f"Cup final report {n}",
            "Goals.",
            source=herald if n % 2 else times,
            places=("Oslo",) if n % 2 else ("Tokyo",),
            category="Sport",
            hours_ago=n,
        )
    _add(store, 100, "Markets fall", "Shares.", source=herald, category="Business & Economy")
    _add(store, 101, "Uncategorised note", "Words.", source=herald)
    return store


def _get(store: Store, *paths: str, headers: dict[str, str] | None = None) -> list[object]:
    return list(_client_calls(store, config.load({}), [("GET", p, headers or {}) for p in paths]))


def test_api_articles_filter_by_category_in_any_case_with_other_filters(store: Store) -> None:
    sport, upper, both, business, page1 = _get(
        store,
        "/api/v1/articles?category=sport&limit=100",
        "/api/v1/articles?category=SPORT&limit=100",
        "/api/v1/articles?category=Sport&edition=europe&tag=Oslo&limit=100",
        "/api/v1/articles?category=business%20%26%20economy",
        "/api/v1/articles?category=Sport",
    )
    titles = [a["title"] for a in sport.json()["articles"]]  # type: ignore[attr-defined]
    assert len(titles) == 25 and all(t.startswith("Cup final") for t in titles)
    assert upper.json() == sport.json()  # type: ignore[attr-defined]
    europe = both.json()["articles"]  # type: ignore[attr-defined]
    assert len(europe) == 12 and {a["source"]["name"] for a in europe} == {"Herald"}
    assert [a["title"] for a in business.json()["articles"]] == ["Markets fall"]  # type: ignore[attr-defined]
    first = page1.json()  # type: ignore[attr-defined]
    assert len(first["articles"]) == 20 and first["next"]
    (rest,) = _get(store, f"/api/v1/articles?category=sport&cursor={first['next']}")
    more = rest.json()  # type: ignore[attr-defined]
    assert len(more["articles"]) == 5 and more["next"] is None
    seen = {a["id"] for a in first["articles"]} | {a["id"] for a in more["articles"]}
    assert len(seen) == 25


def test_unknown_category_is_a_404_in_the_error_shape_or_a_page(store: Store) -> None:
    api, one, page = _get(
        store, "/api/v1/articles?category=Sports", "/api/v1/categories/Gossip", "/categories/Gossip"
    )
    for reply in (api, one):
        assert reply.status_code == 404  # type: ignore[attr-defined]
        assert reply.json()["error"]["code"] == "not_found"  # type: ignore[attr-defined]
    (html,) = _get(store, "/categories/Gossip", headers=HTML)
    assert html.status_code == 404 and "text/html" in html.headers["content-type"]  # type: ignore[attr-defined]
    assert "no category &#39;Gossip&#39;" in html.text  # type: ignore[attr-defined]
    (home,) = _get(store, "/?category=Gossip", headers=HTML)
    assert home.status_code == 404  # type: ignore[attr-defined]
    assert page.status_code == 404  # type: ignore[attr-defined]


def test_api_lists_the_categories_and_a_categorys_news(store: Store) -> None:
    listing, one = _get(store, "/api/v1/categories", "/api/v1/categories/sport?limit=3")
    counts = {c["label"]: c["articles"] for c in listing.json()["categories"]}  # type: ignore[attr-defined]
    assert list(counts) == list(LABELS)
    assert counts["Sport"] == 25 and counts["Business & Economy"] == 1 and counts["Weather"] == 0
    body = one.json()  # type: ignore[attr-defined]
    assert body["category"] == {"label": "Sport"}
    assert len(body["articles"]) == 3 and body["next"]


def test_category_page_home_filter_and_the_pill_is_a_link(store: Store) -> None:
    page, home, filtered, index = _get(
        store,
        "/categories/sport",
        "/",
        "/?category=business%20%26%20economy",
        "/categories",
        headers=HTML,
    )
    assert page.status_code == 200  # type: ignore[attr-defined]
    text = page.text  # type: ignore[attr-defined]
    assert "<h1>Latest news: Sport</h1>" in text
    assert text.count('class="card"') == 20 and "Markets fall" not in text
    assert 'href="/categories/Sport?cursor=' in text  # older articles stay in the category
    assert 'href="/categories/Sport.atom"' in text
    pill = f'<a class="category" href="/categories/{quote("Business & Economy", safe="")}">'
    assert pill in home.text  # type: ignore[attr-defined]
    shown = filtered.text  # type: ignore[attr-defined]
    assert "Markets fall" in shown and "Cup final" not in shown and "Uncategorised" not in shown
    assert "Latest news: Business &amp; Economy" in shown
    listing = index.text  # type: ignore[attr-defined]
    assert all(f'href="/categories/{quote(label, safe="")}"' in listing for label in LABELS)
    assert "25 articles" in listing


def test_home_and_edition_pages_filter_by_category(store: Store) -> None:
    home, edition = _get(store, "/?category=sport", "/editions/europe?category=SPORT", headers=HTML)
    text = home.text  # type: ignore[attr-defined]
    assert text.count('class="card"') == 25 and "Markets fall" not in text
    assert 'aria-current="page">Sport</a>' in text  # the side list says where the reader is
    shown = edition.text  # type: ignore[attr-defined]
    assert "<h1>Europe: Sport</h1>" in shown
    assert shown.count('class="card"') == 12 and "Markets fall" not in shown
