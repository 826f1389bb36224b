"""HTTP behaviour every route shares: ETag and 304, Cache-Control, CORS when configured,
Prometheus metrics."""

from __future__ import annotations

import asyncio

import httpx

from conftest import LoopbackServer, Reply
from tagwire import config
from tagwire.ingest.writer import writing
from tagwire.store import Store
from tagwire.web.app import create_app
from test_search import T0, _add


def _client_calls(
    store: Store, settings: config.Config, calls: list[tuple[str, str, dict[str, str]]]
) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(store, settings=settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.request(m, p, headers=h) for m, p, h in calls]

    return asyncio.run(go())


def _store(tmp_path_name: str) -> Store:
    from tagwire.types import Source

    store = Store(f"sqlite:///{tmp_path_name}")
    (source,) = store.upsert_sources([Source("S", "https://s.example/", ("https://s.example/f",))])
    _add(store, 1, "Harbour strike ends", "Dock workers returned.", source=source, places=("Oslo",))
    return store


def test_etag_and_304_on_the_api_pages_and_feeds(tmp_path: object) -> None:
    store = _store(f"{tmp_path}/e.db")
    paths = ["/api/v1/articles", "/api/v1/tags/Oslo", "/tags/Oslo", "/tags/Oslo.atom", "/"]
    first = _client_calls(store, config.load({}), [("GET", p, {}) for p in paths])
    for reply in first:
        assert reply.status_code == 200 and reply.headers["etag"].startswith('"')
        assert "max-age" in reply.headers["cache-control"]
    again = _client_calls(
        store,
        config.load({}),
        [
            ("GET", p, {"If-None-Match": r.headers["etag"]})
            for p, r in zip(paths, first, strict=True)
        ]
        + [("GET", paths[0], {"If-None-Match": '"stale"'})],
    )
    assert [r.status_code for r in again] == [304] * len(paths) + [200]
    assert all(r.content == b"" and r.headers["etag"] for r in again[:-1])
    errors = _client_calls(store, config.load({}), [("GET", "/api/v1/tags/Nowhere", {})])
    assert errors[0].status_code == 404 and "etag" not in errors[0].headers


def test_cors_only_when_configured(tmp_path: object) -> None:
    store = _store(f"{tmp_path}/c.db")
    origin = {"Origin": "https://reader.example"}
    preflight = origin | {"Access-Control-Request-Method": "GET"}
    calls = [("GET", "/api/v1/articles", origin), ("OPTIONS", "/api/v1/articles", preflight)]
    closed = _client_calls(store, config.load({}), calls)
    assert "access-control-allow-origin" not in closed[0].headers
    opened = _client_calls(
        store, config.load({"TAGWIRE_CORS_ORIGINS": "https://reader.example"}), calls
    )
    assert opened[0].headers["access-control-allow-origin"] == "https://reader.example"
    assert (
        opened[1].status_code == 200 and "GET" in opened[1].headers["access-control-allow-methods"]
    )
    other = _client_calls(
        store,
        config.load({"TAGWIRE_CORS_ORIGINS": "https://reader.example"}),
        [("GET", "/api/v1/articles", {"Origin": "https://evil.example"})],
    )
    assert "access-control-allow-origin" not in other[0].headers


def test_metrics_count_requests_by_route_template(tmp_path: object) -> None:
    store = _store(f"{tmp_path}/m.db")
    replies = _client_calls(
        store,
        config.load({}),
        [
            ("GET", "/api/v1/tags/Oslo", {}),
            ("GET", "/api/v1/tags/Nowhere", {}),
            ("GET", "/metrics", {}),
        ],
    )
    text = replies[-1].text
    assert replies[-1].headers["content-type"].startswith("text/plain")
    series = 'tagwire_http_request_seconds_count{method="GET",route="/api/v1/tags/{tag}"'
    assert series + ',status="200"}' in text and series + ',status="404"}' in text
    assert "Oslo" not in text  # one series per route, not per tag
    assert "tagwire_articles_total" in text and "tagwire_analysis_queue_depth" in text


def test_atom_feeds_of_tags_stories_sources_editions_and_searches(tmp_path: object) -> None:
    import feedparser

    store = _store(f"{tmp_path}/a.db")
    (card,) = store.list_cards(limit=5).items
    paths = [
        "/tags/Oslo.atom",
        f"/stories/{card.story_id}.atom",
        f"/sources/{card.source_id}.atom",
        "/editions/europe.atom",
        "/search.atom?q=harbour",
    ]
    replies = _client_calls(store, config.load({}), [("GET", p, {}) for p in paths])
    for path, reply in zip(paths, replies, strict=True):
        assert reply.status_code == 200, path
        assert reply.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(reply.content)
        assert feed.version == "atom10" and not feed.bozo, path
        assert [e.title for e in feed.entries] == ["Harbour strike ends"], path
    missing = _client_calls(
        store,
        config.load({}),
        [("GET", p, {}) for p in ("/editions/atlantis.atom", "/sources/99.atom", "/search.atom")],
    )
    assert [r.status_code for r in missing] == [404, 404, 400]


def test_openapi_describes_the_contract_shapes(tmp_path: object) -> None:
    store = _store(f"{tmp_path}/o.db")
    (spec,) = _client_calls(store, config.load({}), [("GET", "/openapi.json", {})])
    doc = spec.json()
    schemas = doc["components"]["schemas"]
    assert {"Card", "TagPage", "StoryPage", "SearchPage", "Error"} <= set(schemas)
    assert set(schemas["Card"]["required"]) >= {"id", "url", "title", "source", "tags"}
    tag = doc["paths"]["/api/v1/tags/{tag}"]["get"]["responses"]
    assert tag["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TagPage")
    assert tag["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_card_images_come_through_tagwire_never_hot_linked(
    tmp_path: object, http_server: LoopbackServer
) -> None:
    import dataclasses

    from tagwire.stories.rules import Decision
    from tagwire.types import Article

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    http_server.routes["/photo.png"] = Reply(200, png, {"Content-Type": "image/png"})
    svg_type = {"Content-Type": "image/svg+xml"}
    http_server.routes["/evil.svg"] = Reply(200, b"<svg onload=alert(1)/>", svg_type)
    forbidden = LoopbackServer("127.0.0.2")
    forbidden.routes["/photo.png"] = Reply(200, png, {"Content-Type": "image/png"})
    store = _store(f"{tmp_path}/i.db")
    (source,) = [s.id for s in store.sources()]
    ids = []
    for n, image in enumerate(
        [http_server.url("/photo.png"), http_server.url("/evil.svg"), forbidden.url("/photo.png")]
    ):
        article = Article(
            url=f"https://s.example/img{n}",
            title=f"With image {n}",
            text=f"Text {n}.",
            summary="s",
            published_at=None,
            author=None,
            image=image,
            category=None,
            language="en",
            content_hash=f"img{n}",
            mentions=(),
        )
        with writing(store) as w:
            ids.append(
                w.insert_article(
                    dataclasses.replace(article),
                    source_id=source,
                    feed_id=None,
                    seen_at=T0,
                    duplicate_of=None,
                    entity_scores={},
                    mention_entities=[],
                    terms={"t": 1.0},
                    decision=Decision(None, 0.0, 0.0, ()),
                )
            )
    try:
        settings = config.load({"TAGWIRE_ALLOWED_HOSTS": "127.0.0.1"})
        home, good, svg, private, none = _client_calls(
            store,
            settings,
            [("GET", path, {}) for path in ["/", *(f"/img/{i}" for i in ids), "/img/1"]],
        )
        assert f'src="/img/{ids[0]}"' in home.text and http_server.base not in home.text
        assert 'loading="lazy"' in home.text
        assert good.status_code == 200 and good.content == png
        assert good.headers["content-type"] == "image/png"
        assert svg.status_code == 404 and private.status_code == 404 and none.status_code == 404
        assert forbidden.requests == []
    finally:
        forbidden.close()


def test_story_explanation_of_a_copy_that_replaced_another_shows_the_decision(
    tmp_path: object,
) -> None:
    """An article that took the place of its earlier copy (a fold) was written with the
    copy's story and no similarity of its own ("joined, score 1.0, text 1.0, shared tags
    []"): /articles/{id}/story keeps those fields and adds the copy's decision, the one that
    put the story together, and the explanation in words."""
    from dataclasses import replace as changed

    from tagwire.stories.rules import Decision
    from tagwire.types import Article, EntityKind, Mention

    store = _store(f"{tmp_path}/story.db")
    source = store.sources()[0].id
    lone = store.list_cards(limit=1).items[0]
    first, story = lone.id, lone.story_id
    oslo = Mention("Oslo", "Oslo", EntityKind.PLACE, 0, 4, True)
    copy = Article(
        url="https://a.example/copy",
        title="Oslo port opens to ferries",
        text="Oslo port opens to ferries.",
        summary="Oslo port opens to ferries.",
        published_at=T0,
        author=None,
        image=None,
        category=None,
        language="en",
        content_hash="copy",
        mentions=(oslo,),
    )
    with writing(store) as w:
        place = w.entity_ids([("place", "Oslo")])[("place", "Oslo")]
        kwargs = {"source_id": source, "feed_id": None, "seen_at": T0}
        earlier = w.insert_article(
            copy,
            **kwargs,  # type: ignore[arg-type]
            duplicate_of=None,
            entity_scores={place: 3.0},
            mention_entities=[place],
            terms={"t": 1.0},
            decision=Decision(story, 0.61, 0.42, (place,), 0.73),
        )
        fuller = w.insert_article(
            changed(copy, url="https://a.example/fuller", content_hash="fuller"),
            **kwargs,  # type: ignore[arg-type]
            duplicate_of=None,
            entity_scores={place: 3.0},
            mention_entities=[place],
            terms={"t": 1.0},
            decision=Decision(story, 1.0, 1.0, ()),  # what the pipeline writes on a fold
        )
        w.fold(earlier, into=fuller)
    calls: list[tuple[str, str, dict[str, str]]] = [
        ("GET", f"/api/v1/articles/{n}/story", {}) for n in (fuller, earlier, first)
    ]
    survivor, folded, starter = _client_calls(store, config.load({}), calls)
    assert survivor.status_code == folded.status_code == starter.status_code == 200
    body = survivor.json()
    # The contract's fields as they were; the decision that put the story together added.
    assert body["decision"] == "joined" and body["score"] == 1.0 and body["shared_tags"] == []
    assert body["replaced"] == {
        "article_id": earlier,
        "story_id": story,
        "decision": "joined",
        "score": 0.61,
        "meaning_similarity": 0.73,
        "text_similarity": 0.42,
        "shared_tags": ["Oslo"],
        "merges": [],
    }
    assert body["explanation"] == (
        f"took the place of its earlier copy, article {earlier}, which joined the story: "
        "score 0.61, headline meaning 0.73, words 0.42, shared tags #Oslo"
    )
    assert folded.json()["decision"] == "duplicate" and folded.json()["replaced"] is None
    assert folded.json()["explanation"] == f"a copy of article {fuller}, shown in its place"
    assert starter.json()["explanation"] == "started the story"
    assert starter.json()["replaced"] is None
    store.close()
