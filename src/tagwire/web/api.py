"""JSON API under /api/v1 (contracts in PRODUCT.md; documented in docs/api.md)."""

from __future__ import annotations

import hmac
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from tagwire import webhooks
from tagwire.categories.taxonomy import LABELS
from tagwire.service import admin, article_queries, explanations, parsing, shapes, tag_queries
from tagwire.store import Store
from tagwire.web import schemas
from tagwire.web.live import event_stream
from tagwire.web.schemas import ADMIN as ADMIN_ERRORS
from tagwire.web.schemas import BAD_REQUEST, BUSY, NOT_FOUND, NOT_MODIFIED, UNPROCESSABLE
from tagwire.web.schemas import responses as statuses

router = APIRouter(prefix="/api/v1", tags=["api"])
# Typed parameters: the OpenAPI description says what is accepted (an integer from 1 to 100,
# one of the editions), and anything else is a 400 with the error shape (app.py).
LIMIT = Query(None, ge=1, le=parsing.MAX_LIMIT, description="1 to 100, default 20")
SHORT_LIMIT = Query(None, ge=1, le=parsing.MAX_LIMIT, description="1 to 100, default 10")
CURSOR = Query(None, description="the `next` value of the previous page")
Edition = Literal["africa", "americas", "asia", "europe", "middle-east", "oceania"]
EDITION = Query(None, description="one of the regional editions")
# Ids in a query are filters: one outside 1..2^63-1 is a 400. Ids in a path name a thing:
# one that cannot exist is a 404 like any other missing one.
SOURCE = Query(None, ge=1, le=parsing.MAX_ID, description="source id")
STORY = Query(None, ge=1, le=parsing.MAX_ID, description="story id")
CATEGORY = Query(None, description="one of the 17 category labels, in any case")


def _id(description: str) -> Any:
    return Path(description=description, json_schema_extra={"format": "int64"})


# The statuses each kind of operation answers (every one documented, none other).
LOOKUP = statuses(NOT_MODIFIED, BAD_REQUEST, NOT_FOUND, BUSY)  # GET with params, a lookup
LISTING = statuses(NOT_MODIFIED, BAD_REQUEST, BUSY)  # GET with params, no lookup
FIXED = statuses(NOT_MODIFIED, BUSY)  # GET without parameters
SOURCE_PATH = statuses(NOT_MODIFIED, BAD_REQUEST, NOT_FOUND, BUSY)
WRITE = statuses(BAD_REQUEST, ADMIN_ERRORS, NOT_FOUND, BUSY)
# Event streams: not cached (no 304), not shed (no 503); a 404 for an unknown tag.
EVENTS: schemas.Responses = {
    200: {
        "description": "`article` events as they arrive, and a heartbeat comment every 15 s",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.get(
    "/tags/{tag}",
    summary="Latest articles with a hashtag",
    response_model=schemas.TagPage,
    responses=LOOKUP,
)
def tag(
    request: Request, tag: str, limit: int | None = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    entity, _, body = tag_queries.tag_json(_store(request), tag, cursor=cursor, limit=limit)
    request.state.cache_tag = entity.id  # the response cache keeps it until this tag changes
    return body


@router.get(
    "/tags/{tag}/live",
    summary="New articles with a hashtag as they arrive (server-sent events)",
    response_class=StreamingResponse,
    responses=statuses(EVENTS, NOT_FOUND),
)
async def tag_live(request: Request, tag: str) -> StreamingResponse:
    entity = tag_queries.find_tag(_store(request), tag)
    return _live(request, entity.id)


@router.get(
    "/live",
    summary="Every new article as it arrives (server-sent events)",
    response_class=StreamingResponse,
    responses=EVENTS,
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


@router.get(
    "/tags/{tag}/related",
    summary="Tags that appear beside this one",
    response_model=schemas.Related,
    responses=LOOKUP,
)
def related(request: Request, tag: str, limit: int | None = SHORT_LIMIT) -> dict[str, Any]:
    return tag_queries.related_json(_store(request), tag, limit or 10)


@router.get(
    "/tags/{tag}/timeline",
    summary="Articles per day with this tag, last 30 days",
    response_model=schemas.Timeline,
    responses=LOOKUP,
)
def timeline(request: Request, tag: str) -> dict[str, Any]:
    return tag_queries.timeline_json(_store(request), tag)


@router.get(
    "/trending",
    summary="Tags rising fastest over the last day",
    response_model=schemas.Trending,
    responses=LISTING,
)
def trending(request: Request, limit: int | None = SHORT_LIMIT) -> dict[str, Any]:
    return {"tags": tag_queries.trending_json(_store(request), limit or 10)}


@router.get(
    "/tags", summary="Most active hashtags", response_model=schemas.TagList, responses=LISTING
)
def tags(request: Request, limit: int | None = LIMIT) -> dict[str, Any]:
    return {"tags": tag_queries.top_tags_json(_store(request), parsing.parse_limit(limit))}


@router.get(
    "/articles",
    summary="Latest articles, filtered by tag, source, story, edition or category",
    response_model=schemas.ArticleList,
    responses=LOOKUP,
)
def articles(
    request: Request,
    tag: str | None = None,
    source: int | None = SOURCE,
    story: int | None = STORY,
    edition: Edition | None = EDITION,
    category: str | None = CATEGORY,
    limit: int | None = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    page = article_queries.list_articles(
        _store(request),
        tag=tag,
        source=source,
        story=story,
        edition=edition,
        category=category,
        cursor=cursor,
        limit=limit,
    )
    return shapes.page_json(page)


@router.get(
    "/editions",
    summary="The regional editions",
    response_model=schemas.Editions,
    responses=FIXED,
)
def editions() -> dict[str, Any]:
    return {"editions": article_queries.editions_json()}


@router.get(
    "/editions/{edition}",
    summary="Latest news of an edition",
    response_model=schemas.EditionPage,
    responses=LOOKUP,
)
def edition(
    request: Request, edition: str, limit: int | None = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    return article_queries.edition_json(_store(request), edition, cursor=cursor, limit=limit)[2]


@router.get(
    "/categories",
    summary="The 17 categories with their numbers of articles",
    response_model=schemas.Categories,
    responses=FIXED,
)
def categories(request: Request) -> dict[str, Any]:
    return {"categories": article_queries.categories_json(_store(request))}


@router.get(
    "/categories/{category}",
    summary="Latest news of a category",
    response_model=schemas.CategoryPage,
    responses=LOOKUP,
)
def category(
    request: Request,
    category: str = Path(description="one of the 17 labels, in any case"),
    edition: Edition | None = EDITION,
    limit: int | None = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    store = _store(request)
    return article_queries.category_json(store, category, edition, cursor=cursor, limit=limit)[2]


@router.get(
    "/search",
    summary="Full-text search over titles and texts, with filters",
    response_model=schemas.SearchPage,
    responses=LOOKUP,
)
def search(
    request: Request,
    q: str = Query(description='words, "phrases", OR, -excluded, prefix*'),
    tag: str | None = None,
    source: int | None = SOURCE,
    category: str | None = Query(
        None, description="one of the 17 category labels", json_schema_extra={"enum": LABELS}
    ),
    edition: Edition | None = EDITION,
    since: str | None = Query(
        None, alias="from", description="YYYY-MM-DD or ISO 8601, from 0001-01-01 UTC"
    ),
    until: str | None = Query(
        None, alias="to", description="YYYY-MM-DD (inclusive) or ISO 8601, to 9999-12-31 UTC"
    ),
    order: Literal["relevance", "newest"] | None = Query(None, description="default: relevance"),
    limit: int | None = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    return article_queries.search(
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
    responses=LOOKUP,
)
def article(request: Request, article_id: int = _id("article id")) -> dict[str, Any]:
    return shapes.article_json(article_queries.article(_store(request), article_id))


@router.get(
    "/articles/{article_id}/story",
    summary="Why an article is in its story",
    response_model=schemas.StoryChoice,
    responses=LOOKUP,
)
def article_story(request: Request, article_id: int = _id("article id")) -> dict[str, Any]:
    number = parsing.known_id(article_id, "article")
    return explanations.story_choice_json(_store(request), number)


@router.get(
    "/articles/{article_id}/tags/{tag}",
    summary="Why an article carries a tag",
    response_model=schemas.WhyTag,
    responses=LOOKUP,
)
def article_tag(request: Request, tag: str, article_id: int = _id("article id")) -> dict[str, Any]:
    return explanations.why_tag_json(_store(request), parsing.known_id(article_id, "article"), tag)


@router.get(
    "/stories/{story_id}",
    summary="One story and its articles",
    response_model=schemas.StoryPage,
    responses=LOOKUP,
)
def story(
    request: Request,
    story_id: int = _id("story id (a merged story's id answers with the one it joined)"),
    limit: int | None = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    return article_queries.story_json(_store(request), story_id, cursor=cursor, limit=limit)[2]


@router.get(
    "/sources",
    summary="Sources with their health",
    response_model=schemas.SourceList,
    responses=FIXED,
)
def sources(request: Request) -> dict[str, Any]:
    return {"sources": admin.sources_json(_store(request))}


def _source(request: Request, source: int) -> int:
    """The id of a source that exists, else a 404."""
    return _store(request).source(parsing.known_id(source, "source")).id


@router.get(
    "/sources/{source}",
    summary="One source with its health and its feeds' health",
    response_model=schemas.OneSource,
    responses=SOURCE_PATH,
)
def source(request: Request, source: int = _id("source id")) -> dict[str, Any]:
    return {"source": shapes.source_json(_store(request).source(_source(request, source)))}


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
    response_model=schemas.AddedSource,
    responses=statuses(BAD_REQUEST, ADMIN_ERRORS, UNPROCESSABLE, BUSY),
)
async def add_source(request: Request, new: NewSource) -> dict[str, Any]:
    added, found = await admin.add_source(
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


@router.delete(
    "/sources/{source}",
    summary="Stop polling a source (admin)",
    dependencies=ADMIN,
    response_model=schemas.Removed,
    responses=WRITE,
)
def remove_source(request: Request, source: int = _id("source id")) -> dict[str, Any]:
    number = _source(request, source)
    _store(request).remove_source(number)
    return {"removed": number}


@router.post(
    "/sources/{source}/pause",
    summary="Pause a source (admin)",
    dependencies=ADMIN,
    response_model=schemas.OneSource,
    responses=WRITE,
)
def pause_source(request: Request, source: int = _id("source id")) -> dict[str, Any]:
    store = _store(request)
    number = _source(request, source)
    store.pause_source(number)
    return {"source": shapes.source_json(store.source(number))}


@router.post(
    "/sources/{source}/resume",
    summary="Resume a source (admin)",
    dependencies=ADMIN,
    response_model=schemas.OneSource,
    responses=WRITE,
)
def resume_source(request: Request, source: int = _id("source id")) -> dict[str, Any]:
    store = _store(request)
    number = _source(request, source)
    store.resume_source(number)
    return {"source": shapes.source_json(store.source(number))}


class NewWebhook(BaseModel):
    tag: str = Field(description="the hashtag (slug or any alias)")
    url: str = Field(description="where each new article with the tag is POSTed")


def _webhook_json(hook: Any) -> dict[str, Any]:
    return {
        "id": hook.id,
        "tag": hook.tag,
        "url": hook.url,
        "created_at": shapes.iso(hook.created_at),
        "pending": hook.pending,
        "delivered": hook.delivered,
        "last_error": hook.last_error,
    }


@router.post(
    "/webhooks",
    summary="Register a webhook for a tag (admin); the secret is shown once",
    dependencies=ADMIN,
    status_code=201,
    response_model=schemas.NewWebhook,
    responses=WRITE,
)
def add_webhook(request: Request, new: NewWebhook) -> dict[str, Any]:
    store = _store(request)
    entity = tag_queries.find_tag(store, new.tag)
    secret = webhooks.new_secret()
    hook_id = store.add_webhook(entity.id, webhooks.check_url(new.url), secret)
    (hook,) = [h for h in store.webhooks() if h.id == hook_id]
    return {"webhook": _webhook_json(hook), "secret": secret}


@router.get(
    "/webhooks",
    summary="Webhooks and their deliveries (admin)",
    dependencies=ADMIN,
    response_model=schemas.WebhookList,
    responses=statuses(NOT_MODIFIED, ADMIN_ERRORS, BUSY),
)
def list_webhooks(request: Request) -> dict[str, Any]:
    return {"webhooks": [_webhook_json(h) for h in _store(request).webhooks()]}


@router.delete(
    "/webhooks/{webhook}",
    summary="Remove a webhook (admin)",
    dependencies=ADMIN,
    response_model=schemas.Removed,
    responses=WRITE,
)
def remove_webhook(request: Request, webhook: int = _id("webhook id")) -> dict[str, Any]:
    number = parsing.known_id(webhook, "webhook")
    _store(request).remove_webhook(number)
    return {"removed": number}
