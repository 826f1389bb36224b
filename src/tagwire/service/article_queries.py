"""Lists of articles as the front ends ask for them: the latest (by tag, source, story,
edition or category), a full-text search with its filters, a category's, an edition's
and a story's articles, and one article."""

from __future__ import annotations

from functools import partial

from tagwire.categories.taxonomy import LABELS
from tagwire.errors import BadRequest, NotFound
from tagwire.search import parse_query
from tagwire.service import tag_queries
from tagwire.service.parsing import (
    EDITION_NAMES,
    LABELS_BY_KEY,
    find_category,
    known_id,
    parse_day,
    parse_edition,
    parse_id,
    parse_limit,
)
from tagwire.service.shapes import JSON, card_json, iso
from tagwire.sources import REGIONS
from tagwire.store import BadCursor, Page, Store
from tagwire.store.records import ArticleRecord, StoryRecord


def article(store: Store, article_id: int) -> ArticleRecord:
    return store.article(known_id(article_id, "article"))


def list_articles(
    store: Store,
    *,
    tag: str | None = None,
    source: str | int | None = None,
    story: str | int | None = None,
    edition: str | None = None,
    category: str | None = None,
    cursor: str | None = None,
    limit: str | int | None = None,
) -> Page:
    size = parse_limit(limit)
    entity_id = tag_queries.find_tag(store, tag).id if tag else None
    read = partial(store.category_cards, find_category(category)) if category else store.list_cards
    try:
        return read(
            entity_id=entity_id,
            source_id=parse_id(source, "source"),
            story_id=parse_id(story, "story"),
            region=parse_edition(edition),
            cursor=cursor,
            limit=size,
        )
    except BadCursor as exc:
        raise BadRequest(str(exc)) from exc


def categories_json(store: Store) -> list[JSON]:
    """The 17 labels in the taxonomy's order, each with its number of listed articles."""
    counts = store.category_counts()
    return [{"label": label, "articles": counts.get(label, 0)} for label in LABELS]


def category_json(
    store: Store,
    category: str,
    edition: str | None = None,
    cursor: str | None = None,
    limit: str | int | None = None,
) -> tuple[str, Page, JSON]:
    label = find_category(category)
    page = list_articles(store, category=label, edition=edition, cursor=cursor, limit=limit)
    body = {
        "category": {"label": label},
        "articles": [card_json(c) for c in page.items],
        "next": page.next_cursor,
    }
    return label, page, body


def editions_json() -> list[JSON]:
    return [{"edition": r, "name": EDITION_NAMES[r]} for r in REGIONS]


def edition_json(
    store: Store, edition: str, cursor: str | None = None, limit: str | int | None = None
) -> tuple[str, Page, JSON]:
    region = edition.strip().lower()
    if region not in REGIONS:
        raise NotFound("edition", edition)
    page = list_articles(store, edition=region, cursor=cursor, limit=limit)
    body = {
        "edition": {"edition": region, "name": EDITION_NAMES[region]},
        "articles": [card_json(c) for c in page.items],
        "next": page.next_cursor,
    }
    return region, page, body


def search(
    store: Store,
    q: str | None,
    *,
    tag: str | None = None,
    source: str | int | None = None,
    category: str | None = None,
    edition: str | None = None,
    since: str | None = None,
    until: str | None = None,
    order: str | None = None,
    cursor: str | None = None,
    limit: str | int | None = None,
) -> tuple[Page, JSON]:
    """Full-text search with filters; every bad parameter is a BadRequest that says why."""
    query = parse_query(q)
    size = parse_limit(limit)
    if category:
        category = LABELS_BY_KEY.get(category.strip().casefold())
        if category is None:
            raise BadRequest(f"category must be one of: {', '.join(LABELS)}")
    if order not in (None, "", "relevance", "newest"):
        raise BadRequest("order must be relevance or newest")
    try:
        page = store.search(
            query,
            entity_id=tag_queries.find_tag(store, tag).id if tag else None,
            source_id=parse_id(source, "source"),
            category=category or None,
            region=parse_edition(edition),
            since=parse_day(since, "from"),
            until=parse_day(until, "to", end=True),
            newest_first=order == "newest",
            cursor=cursor,
            limit=size,
        )
    except BadCursor as exc:
        raise BadRequest(str(exc)) from exc
    body = {
        "query": query.text,
        "articles": [card_json(c) for c in page.items],
        "next": page.next_cursor,
    }
    return page, body


def story_json(
    store: Store, story_id: int, cursor: str | None = None, limit: str | int | None = None
) -> tuple[StoryRecord, Page, JSON]:
    # A merged story's id answers with the one it is part of.
    story = store.story(known_id(story_id, "story"))
    page = list_articles(store, story=str(story.id), cursor=cursor, limit=limit)
    body = {
        "story": {
            "id": story.id,
            "title": story.title,
            "first_seen": iso(story.first_seen),
            "last_seen": iso(story.last_seen),
            "publishers": story.publishers,
            "tags": [t.slug for t in story.tags],
        },
        "articles": [card_json(c) for c in page.items],
        "next": page.next_cursor,
    }
    return story, page, body
