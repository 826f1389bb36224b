"""Atom feeds of what the pages list: a tag's, a story's, a source's, an edition's, a
category's latest news and a saved search. Their routes go before the pages' (``pages``'s
``router``): ``/tags/{tag}`` would otherwise take ``/tags/x.atom``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tagwire.service import article_queries, tag_queries
from tagwire.store.records import CardRecord
from tagwire.types import now_utc
from tagwire.web.atom import atom_feed, feed_iri, tag_authority
from tagwire.web.pages.rendering import category_path, store_of

router = APIRouter(include_in_schema=False)


FEED_SIZE = "50"


def _atom(
    request: Request, title: str, kind: str, key: str, path: str, cards: list[CardRecord]
) -> Response:
    base = str(request.base_url).rstrip("/")
    configured = str(request.app.state.settings["TAGWIRE_TAG_AUTHORITY"])
    body = atom_feed(
        title=title,
        feed_id=feed_iri(base, kind, key, request.query_params),
        authority=tag_authority(configured, request.url.hostname),
        self_url=f"{base}{request.url.path}"
        + (f"?{request.url.query}" if request.url.query else ""),
        alternate_url=f"{base}{path}",
        cards=cards,
        updated=now_utc(),
    )
    return Response(
        body,
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": "public, max-age=60"},
    )


@router.get("/tags/{tag}.atom")
def tag_atom(request: Request, tag: str) -> Response:
    entity, page, _ = tag_queries.tag_json(store_of(request), tag, limit=FEED_SIZE)
    request.state.cache_tag = entity.id
    title = f"Latest news with #{entity.slug}"
    return _atom(request, title, "tag", entity.slug, f"/tags/{entity.slug}", page.items)


@router.get("/stories/{story_id}.atom")
def story_atom(request: Request, story_id: int) -> Response:
    story, page, _ = article_queries.story_json(store_of(request), story_id, limit=FEED_SIZE)
    return _atom(request, story.title, "story", str(story.id), f"/stories/{story.id}", page.items)


@router.get("/sources/{source_id}.atom")
def source_atom(request: Request, source_id: int) -> Response:
    store = store_of(request)
    source = store.source(source_id)
    page = article_queries.list_articles(store, source=str(source_id), limit=FEED_SIZE)
    title = f"Latest news from {source.name}"
    path = f"/sources/{source_id}"
    return _atom(request, title, "source", str(source_id), path, page.items)


@router.get("/editions/{edition}.atom")
def edition_atom(request: Request, edition: str) -> Response:
    region, page, body = article_queries.edition_json(store_of(request), edition, limit=FEED_SIZE)
    title = f"Latest news: {body['edition']['name']}"
    return _atom(request, title, "edition", region, f"/editions/{region}", page.items)


@router.get("/categories/{category}.atom")
def category_atom(request: Request, category: str) -> Response:
    label, page, _ = article_queries.category_json(store_of(request), category, limit=FEED_SIZE)
    path = category_path(label)
    return _atom(request, f"Latest news: {label}", "category", label, path, page.items)


@router.get("/search.atom")
def search_atom(
    request: Request,
    q: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    edition: str | None = None,
) -> Response:
    """A saved search as a feed: the newest matches first."""
    page, body = article_queries.search(
        store_of(request),
        q,
        tag=tag,
        category=category,
        edition=edition,
        order="newest",
        limit=FEED_SIZE,
    )
    path = f"/search?{request.url.query}"
    return _atom(request, f"Search: {body['query']}", "search", body["query"], path, page.items)
