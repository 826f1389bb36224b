"""JSON API under /api/v1 (contracts in PRODUCT.md; documented in docs/api.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from tagwire import service
from tagwire.store import Store

router = APIRouter(prefix="/api/v1", tags=["api"])
LIMIT = Query(None, description="1 to 100, default 20")
CURSOR = Query(None, description="the `next` value of the previous page")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.get("/tags/{tag}", summary="Latest articles with a hashtag")
def tag(
    request: Request, tag: str, limit: str | None = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    return service.tag_json(_store(request), tag, cursor=cursor, limit=limit)[2]


@router.get("/tags/{tag}/related", summary="Tags that appear beside this one")
def related(request: Request, tag: str, limit: str | None = LIMIT) -> dict[str, Any]:
    return service.related_json(_store(request), tag, service.parse_limit(limit or "10"))


@router.get("/tags/{tag}/timeline", summary="Articles per day with this tag, last 30 days")
def timeline(request: Request, tag: str) -> dict[str, Any]:
    return service.timeline_json(_store(request), tag)


@router.get("/trending", summary="Tags rising fastest over the last day")
def trending(request: Request, limit: str | None = LIMIT) -> dict[str, Any]:
    return {"tags": service.trending_json(_store(request), service.parse_limit(limit or "10"))}


@router.get("/tags", summary="Most active hashtags")
def tags(request: Request, limit: str | None = LIMIT) -> dict[str, Any]:
    return {"tags": service.top_tags_json(_store(request), service.parse_limit(limit))}


@router.get("/articles", summary="Latest articles, filtered by tag, source or story")
def articles(
    request: Request,
    tag: str | None = None,
    source: str | None = None,
    story: str | None = None,
    limit: str | None = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    page = service.list_articles(
        _store(request), tag=tag, source=source, story=story, cursor=cursor, limit=limit
    )
    return service.page_json(page)


@router.get("/articles/{article_id}", summary="One article with its text")
def article(request: Request, article_id: str) -> dict[str, Any]:
    number = service.parse_id(article_id, "article id")
    assert number is not None
    return service.article_json(_store(request).article(number))


@router.get("/articles/{article_id}/story", summary="Why an article is in its story")
def article_story(request: Request, article_id: str) -> dict[str, Any]:
    number = service.parse_id(article_id, "article id")
    assert number is not None
    return service.story_choice_json(_store(request), number)


@router.get("/articles/{article_id}/tags/{tag}", summary="Why an article carries a tag")
def article_tag(request: Request, article_id: str, tag: str) -> dict[str, Any]:
    number = service.parse_id(article_id, "article id")
    assert number is not None
    return service.why_tag_json(_store(request), number, tag)


@router.get("/stories/{story_id}", summary="One story and its articles")
def story(
    request: Request, story_id: str, limit: str | None = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    number = service.parse_id(story_id, "story id")
    assert number is not None
    return service.story_json(_store(request), number, cursor=cursor, limit=limit)[2]


@router.get("/sources", summary="Sources with their health")
def sources(request: Request) -> dict[str, Any]:
    return {"sources": service.sources_json(_store(request))}
