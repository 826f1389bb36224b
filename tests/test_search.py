"""Search and editions: the query language, the index on both backends (kept in the write
transaction, folded copies out), filters, and an API that answers any typed query with
results or a clear 400."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagwire.errors import BadRequest
from tagwire.ingest.writer import writing
from tagwire.search import MAX_QUERY_CHARS, parse_query
from tagwire.service import article_queries
from tagwire.store import Store
from tagwire.stories.rules import Decision
from tagwire.types import Article, EntityKind, Mention, Source
from tagwire.web.app import create_app

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "fts5"),
    [
        ("seoul talks", '"seoul" AND "talks"'),
        ('"north korea" missile', '"north korea" AND "missile"'),
        ("trump OR biden tariffs", '("trump" OR "biden") AND "tariffs"'),
        ("election -france", '"election" NOT ("france")'),
        ("econ*", '"econ"*'),
        ('((unbalanced "quote', '"unbalanced" AND "quote"'),
        ('a"b', '"a" AND "b"'),
        ("NEAR(x y)", '"NEAR x" AND "y"'),
        ("東京 オリンピック", '"東京" AND "オリンピック"'),
        ("OR war", '"OR" AND "war"'),
    ],
)
def test_what_readers_type_becomes_a_safe_query(typed: str, fts5: str) -> None:
    assert parse_query(typed).fts5() == fts5


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "type something"),
        ("   ", "type something"),
        ("---", "no word to look for"),
        ("-spam -eggs", "no word to look for"),
        ("x" * (MAX_QUERY_CHARS + 1), "at most 500 characters"),
        (" ".join(["w"] * 40), "at most 32 words"),
    ],
)
def test_queries_that_cannot_run_are_clear_errors(typed: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_query(typed)


def _add(
    store: Store,
    n: int,
    title: str,
    text: str,
    *,
    source: int,
    places: tuple[str, ...] = (),
    category: str | None = None,
    hours_ago: float = 0,
    duplicate_of: int | None = None,
) -> int:
    mentions = tuple(Mention(p, p, EntityKind.PLACE, 0, len(p), True) for p in places)
    article = Article(
        url=f"https://a.example/{n}",
        title=title,
        text=text,
        summary=text[:100],
        published_at=T0 - timedelta(hours=hours_ago),
        author=None,
        image=None,
        category=category,
        language="en",
        content_hash=f"h{n}",
        mentions=mentions,
    )
    with writing(store) as w:
        ids = w.entity_ids(("place", p) for p in places)
        return w.insert_article(
            article,
            source_id=source,
            feed_id=None,
            seen_at=T0,
            duplicate_of=duplicate_of,
            entity_scores={ids[("place", p)]: 3.0 for p in places} if duplicate_of is None else {},
            mention_entities=[ids[("place", p)] for p in places],
            terms={"t": 1.0},
            decision=Decision(None, 0.0, 0.0, ()) if duplicate_of is None else None,
        )


@pytest.fixture
def filled(store: Store) -> tuple[Store, dict[str, int]]:
    europe, asia = store.upsert_sources(
        [
            Source(
                "Herald", "https://herald.example/", ("https://herald.example/f",), region="europe"
            ),
            Source("Times", "https://times.example/", ("https://times.example/f",), region="asia"),
        ]
    )
    ids = {
        "harbour": _add(
            store,
            1,
            "Harbour strike ends in Rotterdam",
            "Dock workers returned after a week. The strike had stopped exports.",
            source=europe,
            places=("Rotterdam",),
            category="Labour",
            hours_ago=1,
        ),
        "seoul": _add(
            store,
            2,
            "Talks resume in Seoul",
            "Negotiators met on Monday; a harbour deal was mentioned in passing.",
            source=europe,
            places=("Seoul",),
            category="Politics",
            hours_ago=2,
        ),
        "old": _add(
            store,
            3,
            "Harbours of the past",
            "A history of harbours and the strikes that closed them.",
            source=asia,
            hours_ago=24 * 10,
        ),
    }
    ids["copy"] = _add(
        store,
        4,
        "Harbour strike ends in Rotterdam (copy)",
        "Dock workers returned after a week. Copy of the wire story.",
        source=asia,
        duplicate_of=ids["harbour"],
    )
    return store, ids


def _found(store: Store, q: str, **filters: str) -> list[int]:
    page, _ = article_queries.search(store, q, **filters)
    return [c.id for c in page.items]


def test_search_ranks_titles_first_and_stems_words(filled: tuple[Store, dict[str, int]]) -> None:
    store, ids = filled
    found = _found(store, "harbour")
    assert found[-1] == ids["seoul"]  # only in the text: after those with it in the title
    assert set(found) == {ids["harbour"], ids["seoul"], ids["old"]}  # "harbours" stems too
    assert ids["copy"] not in _found(store, "wire")  # folded copies are not listed
    assert _found(store, '"dock workers"') == [ids["harbour"]]
    assert _found(store, "harbour -strike") == [ids["seoul"]]
    assert set(_found(store, "rotterdam OR seoul")) == {ids["harbour"], ids["seoul"]}
    assert _found(store, "negot*") == [ids["seoul"]] or store.engine.dialect.name != "sqlite"
    assert _found(store, "harbour", order="newest") == [ids["harbour"], ids["seoul"], ids["old"]]


def test_search_filters(filled: tuple[Store, dict[str, int]]) -> None:
    store, ids = filled
    assert _found(store, "harbour", category="Labour") == [ids["harbour"]]
    assert set(_found(store, "harbour", edition="europe")) == {ids["harbour"], ids["seoul"]}
    assert set(_found(store, "harbour", edition="asia")) == {ids["seoul"], ids["old"]}  # Seoul
    assert _found(store, "harbour", tag="Rotterdam") == [ids["harbour"]]
    recent = _found(store, "harbour", since=(T0 - timedelta(days=2)).date().isoformat())
    assert ids["old"] not in recent and len(recent) == 2
    assert _found(store, "harbour", until=(T0 - timedelta(days=5)).date().isoformat()) == [
        ids["old"]
    ]
    with pytest.raises(BadRequest, match="category must be one of"):
        _found(store, "harbour", category="Gossip")
    with pytest.raises(BadRequest, match="edition must be one of"):
        _found(store, "harbour", edition="mars")
    with pytest.raises(BadRequest, match="from must be a date"):
        _found(store, "harbour", since="yesterday")


def test_search_pages_and_cursors(filled: tuple[Store, dict[str, int]]) -> None:
    store, _ = filled
    first, body = article_queries.search(store, "harbour", limit="2")
    assert len(first.items) == 2 and body["next"]
    second, _ = article_queries.search(store, "harbour", limit="2", cursor=body["next"])
    assert len(second.items) == 1 and second.next_cursor is None
    assert not {c.id for c in first.items} & {c.id for c in second.items}
    for forged in ("nonsense", "c2VhcmNofC01", "c2VhcmNofDk5OTk5"):  # -5, 99999
        with pytest.raises(BadRequest, match="invalid cursor"):
            article_queries.search(store, "harbour", cursor=forged)


def test_editions_list_publishers_and_places(filled: tuple[Store, dict[str, int]]) -> None:
    store, ids = filled
    _, _, asia = article_queries.edition_json(store, "asia")
    assert [c["id"] for c in asia["articles"]] == [ids["seoul"], ids["old"]]
    _, _, europe = article_queries.edition_json(store, "Europe")
    assert [c["id"] for c in europe["articles"]] == [ids["harbour"], ids["seoul"]]
    tag_in_asia = article_queries.list_articles(store, tag="Seoul", edition="asia")
    assert [c.id for c in tag_in_asia.items] == [ids["seoul"]]


def _api(store: Store, paths: list[str]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.get(p) for p in paths]

    return asyncio.run(go())


def test_search_and_edition_endpoints(filled: tuple[Store, dict[str, int]]) -> None:
    store, ids = filled
    found, long, empty, bad_order, editions, asia, unknown, page, form = _api(
        store,
        [
            "/api/v1/search?q=harbour&edition=europe&from=2026-11-01",
            "/api/v1/search?q=" + "a" * 10_000,
            "/api/v1/search",
            "/api/v1/search?q=x&order=random",
            "/api/v1/editions",
            "/api/v1/editions/asia",
            "/api/v1/editions/atlantis",
            "/search?q=harbour",
            "/search?q=%22",
        ],
    )
    assert found.status_code == 200 and found.json()["query"] == "harbour"
    assert {c["id"] for c in found.json()["articles"]} == {ids["harbour"], ids["seoul"]}
    for bad in (long, empty, bad_order):
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    assert [e["edition"] for e in editions.json()["editions"]][:2] == ["africa", "americas"]
    assert asia.json()["edition"]["name"] == "Asia"
    assert unknown.status_code == 404
    assert page.status_code == 200 and "Harbour strike ends in Rotterdam" in page.text
    assert form.status_code == 400 and "no word to look for" in form.text


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.text(max_size=120))
def test_any_typed_query_gets_results_or_a_clear_400(q: str) -> None:
    store = _FUZZ_STORE
    (reply,) = _api(store, ["/api/v1/search?" + httpx.QueryParams({"q": q}).__str__()])
    assert reply.status_code in (200, 400), (q, reply.text)
    if reply.status_code == 400:
        assert reply.json()["error"]["message"].startswith("q:")


_FUZZ_STORE: Store


@pytest.fixture(autouse=True, scope="module")
def _fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    global _FUZZ_STORE
    _FUZZ_STORE = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 's.db'}")
    (source,) = _FUZZ_STORE.upsert_sources(
        [Source("S", "https://s.example/", ("https://s.example/f",))]
    )
    _add(_FUZZ_STORE, 1, "Anything at all", "Some text with words in it.", source=source)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr_FR"),
        ("de", "de"),
        ("en-GB;q=0.5, ko;q=0.9", "en_GB"),  # no Korean interface: the next choice
        ("xx-YY, tlh", "en"),  # no interface language named: the setting
        ("*", "en"),
        ("fr;q=abc, de;q=0", "en"),  # a broken q and a refusal
        (None, "en"),
    ],
)
def test_the_readers_locale_comes_from_accept_language(accept: str | None, expected: str) -> None:
    from tagwire.web.pages.rendering import negotiate_locale

    assert negotiate_locale(accept, "en") == expected


def test_dates_are_written_in_the_readers_language(filled: tuple[Store, dict[str, int]]) -> None:
    store, _ = filled

    async def go() -> list[str]:
        transport = httpx.ASGITransport(app=create_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [
                (await client.get("/", headers={"Accept-Language": lang})).text
                for lang in ("fr-FR,fr;q=0.9", "de-DE", "en-US")
            ]

    french, german, english = asyncio.run(go())
    assert "il y a" in french and 'lang="fr-FR"' in french
    assert "vor " in german and 'lang="de-DE"' in german
    assert " ago" in english
