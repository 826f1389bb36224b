"""JSON API under /api/v1 (contracts in PRODUCT.md; documented in docs/api.md)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from tagwire import service, webhooks
from tagwire.store import Store
from tagwire.web import schemas
from tagwire.web.live import event_stream

router = APIRouter(prefix="/api/v1", tags=["api"])
LIMIT = Query(None, description="1 to 100, default 20")
CURSOR = Query(None, description="the `next` value of the previous page")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.get(
    "/tags/{tag}",
    summary="Latest articles with a hashtag",
    response_model=schemas.TagPage,
    responses=schemas.ERRORS,
)
def tag(
    request: Request, tag: str, limit: str | None = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    entity, _, body = service.tag_json(_store(request), tag, cursor=cursor, limit=limit)
    request.state.cache_tag = entity.id  # the response cache keeps it until this tag changes
    return body


@router.get(
    "/tags/{tag}/live",
    summary="New articles with a hashtag as they arrive (server-sent events)",
    response_class=StreamingResponse,
)
async def tag_live(request: Request, tag: str) -> StreamingResponse:
    entity = service.find_tag(_store(request), tag)
    return _live(request, entity.id)


@router.get(
    "/live",
    summary="Every new article as it arrives (server-sent events)",
    response_class=StreamingResponse,
)
async def live(request: Request) -> StreamingResponse:
    return _live(request, None)


def _live(request: Request, entity_id: int | None) -> StreamingResponse:
    stream = event_stream(request.app.state.live, entity_id, request.is_disconnected)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


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


@router.get(
    "/articles",
    summary="Latest articles, filtered by tag, source, story or edition",
    response_model=schemas.ArticleList,
    responses=schemas.ERRORS,
)
def articles(
    request: Request,
    tag: str | None = None,
    source: str | None = None,
    story: str | None = None,
    edition: str | None = Query(None, description="africa, americas, asia, ..."),
    limit: str | None = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    page = service.list_articles(
        _store(request),
        tag=tag,
        source=source,
        story=story,
        edition=edition,
        cursor=cursor,
        limit=limit,
    )
    return service.page_json(page)


@router.get("/editions", summary="The regional editions", response_model=schemas.Editions)
def editions() -> dict[str, Any]:
    return {"editions": service.editions_json()}


@router.get(
    "/editions/{edition}",
    summary="Latest news of an edition",
    response_model=schemas.EditionPage,
    responses=schemas.ERRORS,
)
def edition(
    request: Request, edition: str, limit: str | None = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    return service.edition_json(_store(request), edition, cursor=cursor, limit=limit)[2]


@router.get(
    "/search",
    summary="Full-text search over titles and texts, with filters",
    response_model=schemas.SearchPage,
    responses=schemas.ERRORS,
)
def search(
    request: Request,
    q: str | None = Query(None, description='words, "phrases", OR, -excluded, prefix*'),
    tag: str | None = None,
    source: str | None = Query(None, description="source id"),
    category: str | None = Query(None, description="one of the 17 category labels"),
    edition: str | None = Query(None, description="africa, americas, asia, ..."),
    since: str | None = Query(None, alias="from", description="YYYY-MM-DD or ISO 8601"),
    until: str | None = Query(None, alias="to", description="YYYY-MM-DD (inclusive)"),
    order: str | None = Query(None, description="relevance (default) or newest"),
    limit: str | None = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    return service.search(
        _store(request),
        q,
        tag=tag,
        source=source,
        category=category,
        edition=edition,
        since=since,
        until=until,
        order=order,
        cursor=cursor,
        limit=limit,
    )[1]


@router.get(
    "/articles/{article_id}",
    summary="One article with its text",
    response_model=schemas.Article,
    responses=schemas.ERRORS,
)
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


@router.get(
    "/stories/{story_id}",
    summary="One story and its articles",
    response_model=schemas.StoryPage,
    responses=schemas.ERRORS,
)
def story(
    request: Request, story_id: str, limit: str | None = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    number = service.parse_id(story_id, "story id")
    assert number is not None
    return service.story_json(_store(request), number, cursor=cursor, limit=limit)[2]


@router.get("/sources", summary="Sources with their health")
def sources(request: Request) -> dict[str, Any]:
    return {"sources": service.sources_json(_store(request))}


@router.get("/sources/{source}", summary="One source with its health and its feeds' health")
def source(request: Request, source: str) -> dict[str, Any]:
    return {"source": service.source_json(_store(request).source(service.source_id(source)))}


def require_admin(request: Request) -> None:
    """Writes need ``Authorization: Bearer <TAGWIRE_ADMIN_TOKEN>``; none without the setting."""
    token = request.app.state.settings["TAGWIRE_ADMIN_TOKEN"]
    if not token:
        raise HTTPException(403, "the admin API is disabled: set TAGWIRE_ADMIN_TOKEN to use it")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), str(token)):
        raise HTTPException(
            401, "a valid admin token is required", headers={"WWW-Authenticate": "Bearer"}
        )


ADMIN = [Depends(require_admin)]


class NewSource(BaseModel):
    url: str = Field(description="the publisher's site (or one of its feeds)")
    name: str | None = Field(None, description="default: the site's own name")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2")
    region: str | None = Field(
        None, description="africa, americas, asia, europe, middle-east or oceania"
    )
    language: str | None = Field(None, description="default: the page's language")
    category: str | None = Field(None, description="one of the 17 labels, for a one-topic site")


@router.post(
    "/sources",
    summary="Add a source: its feeds are found from the site's address (admin)",
    dependencies=ADMIN,
    status_code=201,
)
async def add_source(request: Request, new: NewSource) -> dict[str, Any]:
    added, found = await service.add_source(
        _store(request),
        request.app.state.settings,
        new.url,
        name=new.name,
        country=new.country,
        region=new.region,
        language=new.language,
        category=new.category,
        robots=request.app.state.robots,
    )
    return {"source": added, "found_by": found.how}


@router.delete("/sources/{source}", summary="Stop polling a source (admin)", dependencies=ADMIN)
def remove_source(request: Request, source: str) -> dict[str, Any]:
    _store(request).remove_source(service.source_id(source))
    return {"removed": int(source)}


@router.post("/sources/{source}/pause", summary="Pause a source (admin)", dependencies=ADMIN)
def pause_source(request: Request, source: str) -> dict[str, Any]:
    store = _store(request)
    store.pause_source(service.source_id(source))
    return {"source": service.source_json(store.source(int(source)))}


@router.post("/sources/{source}/resume", summary="Resume a source (admin)", dependencies=ADMIN)
def resume_source(request: Request, source: str) -> dict[str, Any]:
    store = _store(request)
    store.resume_source(service.source_id(source))
    return {"source": service.source_json(store.source(int(source)))}


class NewWebhook(BaseModel):
    tag: str = Field(description="the hashtag (slug or any alias)")
    url: str = Field(description="where each new article with the tag is POSTed")


def _webhook_json(hook: Any) -> dict[str, Any]:
    return {
        "id": hook.id,
        "tag": hook.tag,
        "url": hook.url,
        "created_at": service.iso(hook.created_at),
        "pending": hook.pending,
        "delivered": hook.delivered,
        "last_error": hook.last_error,
    }


@router.post(
    "/webhooks",
    summary="Register a webhook for a tag (admin); the secret is shown once",
    dependencies=ADMIN,
    status_code=201,
)
def add_webhook(request: Request, new: NewWebhook) -> dict[str, Any]:
    store = _store(request)
    entity = service.find_tag(store, new.tag)
    secret = webhooks.new_secret()
    hook_id = store.add_webhook(entity.id, webhooks.check_url(new.url), secret)
    (hook,) = [h for h in store.webhooks() if h.id == hook_id]
    return {"webhook": _webhook_json(hook), "secret": secret}


@router.get("/webhooks", summary="Webhooks and their deliveries (admin)", dependencies=ADMIN)
def list_webhooks(request: Request) -> dict[str, Any]:
    return {"webhooks": [_webhook_json(h) for h in _store(request).webhooks()]}


@router.delete("/webhooks/{webhook}", summary="Remove a webhook (admin)", dependencies=ADMIN)
def remove_webhook(request: Request, webhook: str) -> dict[str, Any]:
    number = service.parse_id(webhook, "webhook id")
    assert number is not None
    _store(request).remove_webhook(number)
    return {"removed": number}
