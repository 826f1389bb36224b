"""What the front ends ask for, in one place: the web pages, the JSON API and the CLI call
these functions and never each other. Values come back as the JSON shapes of PRODUCT.md."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from tagwire import curation, sources
from tagwire.categories.taxonomy import LABELS
from tagwire.config import Config
from tagwire.entities import identity
from tagwire.entities.hashtags import lookup_key
from tagwire.entities.knowledge import is_broad_place
from tagwire.entities.names import explain, name_key
from tagwire.entities.ner import BROAD_PLACE_WEIGHT
from tagwire.errors import BadRequest, NotFound
from tagwire.fetch.client import Fetcher
from tagwire.fetch.discover import Discovery, discover
from tagwire.fetch.robots import RobotsCache
from tagwire.ingest.tagging import IdentityLookups, curating
from tagwire.search import parse_query
from tagwire.sources import REGIONS
from tagwire.store import BadCursor, Page, Store
from tagwire.store.records import (
    ArticleRecord,
    CardRecord,
    EntityRecord,
    SourceRecord,
    StoryChoice,
    StoryRecord,
)
from tagwire.types import Source, now_utc

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
JSON = dict[str, Any]


def parse_limit(raw: str | int | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return value


# Ids are 64-bit signed integers in both databases (SQLite INTEGER, PostgreSQL bigint): a
# larger number reaching a query is an OverflowError (SQLite) or a DataError (psycopg), so
# none gets that far.
MAX_ID = 2**63 - 1


def parse_id(raw: str | int | None, name: str) -> int | None:
    """A filter's id (``?source=``, ``?story=``): an integer from 1 to MAX_ID, else a 400."""
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not 1 <= value <= MAX_ID:
        raise BadRequest(f"{name} must be an id from 1 to {MAX_ID}")
    return value


def known_id(value: int, what: str) -> int:
    """An id in a path (``/articles/{id}``): one outside 1..MAX_ID names nothing (404)."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(what, value)
    return value


def article(store: Store, article_id: int) -> ArticleRecord:
    return store.article(known_id(article_id, "article"))


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def card_json(card: CardRecord) -> JSON:
    return {
        "id": card.id,
        "url": card.url,
        "title": card.title,
        "source": {"id": card.source_id, "name": card.source_name, "url": card.source_url},
        "published_at": iso(card.published_at),
        "category": card.category,
        "summary": card.summary,
        "tags": [tag.slug for tag in card.tags],
        "story_id": card.story_id,
        "duplicates": list(card.duplicates),
    }


def entity_json(entity: EntityRecord) -> JSON:
    return {"slug": entity.slug, "name": entity.name, "kind": entity.kind}


_CAMEL = re.compile(r"(?<=[^\W\d_])(?=[A-Z])")


def find_tag(store: Store, tag: str) -> EntityRecord:
    """The entity a tag names: its slug or any alias, in any case; else the words of the tag
    ("ShigeruIshiba" -> "Shigeru Ishiba") as another order, split, accent or nickname of a
    name."""
    try:
        return store.entity(lookup_key(tag))
    except NotFound:
        name = _CAMEL.sub(" ", tag).strip()
        with store.lookups() as known:
            entity_id = identity.find(name, IdentityLookups(known))
        if entity_id is None:
            raise
        return store.entity_by_id(entity_id)


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
    entity_id = find_tag(store, tag).id if tag else None
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


_LABELS_BY_KEY = {label.casefold(): label for label in LABELS}


def find_category(raw: str) -> str:
    """The label a category names, in any case ("sport", "SPORT" -> "Sport"); else a 404."""
    label = _LABELS_BY_KEY.get(raw.strip().casefold())
    if label is None:
        raise NotFound("category", raw)
    return label


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


EDITION_NAMES = {
    "africa": "Africa",
    "americas": "The Americas",
    "asia": "Asia",
    "europe": "Europe",
    "middle-east": "The Middle East",
    "oceania": "Oceania",
}


def parse_edition(raw: str | None) -> str | None:
    """An edition is a region: news from its publishers and about its places."""
    if raw is None or raw == "":
        return None
    edition = raw.strip().lower()
    if edition not in REGIONS:
        raise BadRequest(f"edition must be one of {', '.join(REGIONS)}")
    return edition


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
        category = _LABELS_BY_KEY.get(category.strip().casefold())
        if category is None:
            raise BadRequest(f"category must be one of: {', '.join(LABELS)}")
    if order not in (None, "", "relevance", "newest"):
        raise BadRequest("order must be relevance or newest")
    try:
        page = store.search(
            query,
            entity_id=find_tag(store, tag).id if tag else None,
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


def parse_day(raw: str | None, name: str, end: bool = False) -> datetime | None:
    """ "2026-11-27" (a UTC day: from its start, or to its end) or an ISO 8601 time, in UTC.
    A time that is not a UTC time Python can hold (``9999-12-31T23:00:00-05:00`` is in the
    year 10000; the end of 9999-12-31 too) is a 400, not an OverflowError."""
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time") from None
    except OverflowError:
        raise BadRequest(f"{name} must fall between 0001-01-01 and 9999-12-31 in UTC") from None


def tag_json(
    store: Store, tag: str, cursor: str | None = None, limit: str | int | None = None
) -> tuple[EntityRecord, Page, JSON]:
    entity = find_tag(store, tag)
    try:
        page = store.list_cards(entity_id=entity.id, cursor=cursor, limit=parse_limit(limit))
    except BadCursor as exc:
        raise BadRequest(str(exc)) from exc
    return (
        entity,
        page,
        {
            "tag": entity_json(entity),
            "articles": [card_json(c) for c in page.items],
            "next": page.next_cursor,
        },
    )


def page_json(page: Page) -> JSON:
    return {"articles": [card_json(c) for c in page.items], "next": page.next_cursor}


def article_json(record: ArticleRecord) -> JSON:
    return card_json(record.card) | {"text": record.text}


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


def top_tags(store: Store, limit: int = 20, region: str | None = None) -> list[EntityRecord]:
    """The most active tags, continents and world regions counted at a fifth: "Asia" is in
    many articles and says little about any of them, so it never crowds out specific tags.
    With a region, over that edition's articles only (counts are the edition's)."""
    if region is not None:
        read = store.top_entities_in_region(region, limit * BROAD_READ)
    else:
        read = store.top_entities(limit * BROAD_READ)
    return sorted(read, key=lambda e: -e.article_count * specificity(e))[:limit]


# Tags read per tag shown, so that specific tags with fewer articles than a continent are
# among those read.
BROAD_READ = 3


def specificity(entity: EntityRecord) -> float:
    """How much a tag says about an article: continents and world regions a fifth."""
    broad = entity.kind == "place" and is_broad_place(entity.name)
    return BROAD_PLACE_WEIGHT if broad else 1.0


def top_tags_json(store: Store, limit: int = 20) -> list[JSON]:
    return [entity_json(e) | {"articles": e.article_count} for e in top_tags(store, limit)]


def sources_json(store: Store) -> list[JSON]:
    return [source_json(s) for s in store.sources()]


def source_json(s: SourceRecord) -> JSON:
    """A source with its health: when it last worked, its last error in words, how much it
    publishes, when it is checked next, whether it is paused, and each feed's state."""
    return {
        "id": s.id,
        "name": s.name,
        "url": s.url,
        "feeds": list(s.feeds),
        "country": s.country,
        "region": s.region,
        "language": s.language,
        "category": s.category,
        "enabled": s.enabled,
        "articles": s.articles,
        "items_per_day": s.items_per_day,
        "last_success_at": iso(s.last_success_at),
        "last_error": s.last_error,
        "last_error_at": iso(s.last_error_at),
        "next_check_at": iso(s.next_check_at),
        "paused": s.paused_at is not None,
        "paused_at": iso(s.paused_at),
        "paused_reason": s.paused_reason,
        "feed_health": [
            {
                "url": f.url,
                "title": f.title,
                "format": f.format,
                "last_checked_at": iso(f.last_checked_at),
                "last_success_at": iso(f.last_success_at),
                "next_check_at": iso(f.next_check_at),
                "last_error": f.last_error,
                "failures_in_a_row": f.error_count,
            }
            for f in s.feed_health
        ],
    }


async def add_source(
    store: Store,
    settings: Config,
    url: str,
    *,
    name: str | None = None,
    country: str | None = None,
    region: str | None = None,
    language: str | None = None,
    category: str | None = None,
    robots: RobotsCache | None = None,
) -> tuple[JSON, Discovery]:
    """Find the feeds of the site at ``url`` and add it (or its new feeds) as a source."""
    check = sources.check_entry(
        {
            "name": name or "x",
            "url": url,
            "country": country,
            "region": region,
            "language": language,
            "category": category,
        }
    )
    async with Fetcher(settings, robots) as fetcher:
        found = await discover(fetcher, check.url)
    source = Source(
        name=name or found.name,
        url=found.site_url,
        feeds=found.feeds,
        country=check.country,
        region=check.region,
        language=check.language or found.language,
        category=check.category,
    )
    (source_id,) = store.upsert_sources([source])
    return source_json(store.source(source_id)), found


def source_id(raw: str) -> int:
    parsed = parse_id(raw, "source")
    assert parsed is not None
    return parsed


def export_sources(store: Store) -> str:
    return sources.to_opml(
        Source(s.name, s.url, s.feeds, s.country, s.region, s.language, s.category)
        for s in store.sources()
        if s.enabled
    )


def story_choice_json(store: Store, article_id: int) -> JSON:
    """Why an article is in its story (the similarity and shared tags that decided it). An
    article that replaced an earlier copy of itself (fuller, or earlier) took that copy's
    place: ``replaced`` is the copy's decision, the one that put the story together, and
    ``explanation`` says so in words."""
    choice = store.story_choice(article_id)
    body = _choice_json(choice)
    copy_id = store.replaced_copy(article_id) if choice.duplicate_of is None else None
    replaced = None
    if copy_id is not None:  # the copy's decision as it was taken (it has been a copy since)
        replaced = _choice_json(store.story_choice(copy_id), as_taken=True)
        del replaced["duplicate_of"]
    body["replaced"] = replaced
    body["explanation"] = _explain(body, replaced)
    return body


def _choice_json(choice: StoryChoice, as_taken: bool = False) -> JSON:
    if choice.duplicate_of is not None and not as_taken:
        how = "duplicate"
    elif choice.started:
        how = "started"
    else:
        how = "joined"
    return {
        "article_id": choice.article_id,
        "story_id": choice.story_id,
        "decision": how,
        "duplicate_of": choice.duplicate_of,
        "score": _rounded(choice.score),
        "meaning_similarity": _rounded(choice.meaning_similarity),
        "text_similarity": _rounded(choice.text_similarity),
        "shared_tags": [e.slug for e in choice.shared],
        "merges": [
            {"story_id": m.story_id, "into": m.into, "similarity": _rounded(m.similarity)}
            for m in choice.merges
        ],
    }


def _explain(body: JSON, replaced: JSON | None) -> str:
    """The decision in words, as a reader of the API would say it."""
    if body["decision"] == "duplicate":
        return f"a copy of article {body['duplicate_of']}, shown in its place"
    decided = replaced if replaced is not None else body
    if decided["decision"] == "started":
        words = "started the story"
    else:
        shared = ", ".join(f"#{slug}" for slug in decided["shared_tags"]) or "none"
        words = (
            f"joined the story: score {decided['score']}, headline meaning "
            f"{decided['meaning_similarity']}, words {decided['text_similarity']}, "
            f"shared tags {shared}"
        )
    if replaced is not None:
        words = (
            f"took the place of its earlier copy, article {replaced['article_id']}, which {words}"
        )
    merges = body["merges"] or decided["merges"]
    if merges:
        words += "; then " + ", ".join(
            f"story {m['story_id']} became part of story {m['into']}" for m in merges
        )
    return words


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _alias_evidence(store: Store, entity: EntityRecord, surface: str, name: str) -> int | None:
    """For a mention that only a learned alias resolves ("NFL" alone), the article that
    taught the alias; None for every other mention."""
    if name_key(name) == name_key(entity.name) or not identity.is_abbreviation(surface.strip()):
        return None
    return store.alias_evidence(entity.id, surface)


def why_tag_json(store: Store, article_id: int, tag: str) -> JSON:
    """Why an article carries a tag: each mention as written and the rule that resolved it."""
    entity = find_tag(store, tag)
    record = store.article(article_id)
    rank = next((i for i, t in enumerate(record.card.tags) if t.id == entity.id), None)
    mentions = store.mentions(article_id, entity.id)
    if not mentions and rank is None:
        raise NotFound("tag on this article", entity.slug)
    body = f"{record.card.title}\n\n{record.text}"
    return {
        "article_id": article_id,
        "tag": entity_json(entity),
        "rank": rank,
        "mentions": [
            {
                "surface": m.surface,
                "in_title": m.in_title,
                "start": m.start,
                "end": m.end,
                "context": body[max(0, m.start - 60) : m.end + 60].replace("\n", " "),
                "resolved_to": m.name,
                "rule": explain(m.surface, m.name, entity.kind, entity.name),
                "learned_from": _alias_evidence(store, entity, m.surface, m.name),
            }
            for m in mentions
        ],
    }


RELATED_DAYS = 14
TIMELINE_DAYS = 30


def _tag(store: Store, tag: str | EntityRecord) -> EntityRecord:
    return tag if isinstance(tag, EntityRecord) else find_tag(store, tag)


def related_json(store: Store, tag: str | EntityRecord, limit: int = 10) -> JSON:
    """Tags that co-occur with this one in its latest articles (at most
    ``store.RELATED_ARTICLES``) of the last two weeks."""
    entity = _tag(store, tag)
    since = now_utc() - timedelta(days=RELATED_DAYS)
    related = store.related_entities(entity.id, since, limit)
    return {
        "tag": entity_json(entity),
        "related": [entity_json(e) | {"shared_articles": n} for e, n in related],
    }


def timeline_json(store: Store, tag: str | EntityRecord, days: int = TIMELINE_DAYS) -> JSON:
    """Articles per day (UTC) with this tag over the last ``days`` days, oldest first."""
    entity = _tag(store, tag)
    today = now_utc().date()
    first = today - timedelta(days=days - 1)
    counts = store.timeline(entity.id, datetime.combine(first, time(), tzinfo=UTC))
    return {
        "tag": entity_json(entity),
        "days": [
            {
                "date": (first + timedelta(days=i)).isoformat(),
                "articles": counts.get(first + timedelta(days=i), 0),
            }
            for i in range(days)
        ],
    }


def trending(
    store: Store, limit: int = 10, min_articles: int = 2, region: str | None = None
) -> list[tuple[EntityRecord, float]]:
    """Tags rising fastest: articles in the last 24 hours against their daily average over
    the 14 days before (plus one, so a new name needs several articles to rank). With a
    region, over that edition's articles only."""
    now = now_utc()

    def counts(since: datetime, until: datetime) -> dict[int, int]:
        if region is not None:
            return store.entity_counts_in_region(region, since, until)
        return store.entity_counts(since, until)

    recent = counts(now - timedelta(days=1), now)
    before = counts(now - timedelta(days=15), now - timedelta(days=1))
    scores = {
        entity_id: n / (1.0 + before.get(entity_id, 0) / 14.0)
        for entity_id, n in recent.items()
        if n >= min_articles
    }
    entities = store.entities_by_id(list(scores))
    weighted = {i: score * specificity(entities[i]) for i, score in scores.items()}
    top = sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(entities[entity_id], round(score, 2)) for entity_id, score in top]


def trending_json(store: Store, limit: int = 10) -> list[JSON]:
    return [entity_json(e) | {"score": score} for e, score in trending(store, limit)]


def apply_curation(store: Store, actions: list[curation.Action]) -> list[str]:
    """Apply a curation file in one transaction; what was done, in words."""
    done: list[str] = []
    resolved: list[tuple[curation.Action, list[EntityRecord]]] = []
    for action in actions:  # every tag is looked up before anything changes
        tags = action.tags if isinstance(action, curation.Merge | curation.Block) else (action.tag,)
        resolved.append((action, [find_tag(store, tag) for tag in tags]))
    with curating(store) as curator:
        for action, entities in resolved:
            if isinstance(action, curation.Merge):
                keep = entities[0]
                for other in entities[1:]:
                    if other.id != keep.id:
                        curator.merge(keep.id, other.id)
                        done.append(f"merged #{other.slug} into #{keep.slug}")
            elif isinstance(action, curation.Rename):
                curator.rename(entities[0].id, action.name)
                done.append(f"renamed #{entities[0].slug} to {action.name!r}")
            elif isinstance(action, curation.Split):
                new_id = curator.split(entities[0].id, action.forms, action.name)
                if new_id is not None:
                    done.append(f"split {action.name!r} off #{entities[0].slug}")
            else:
                for entity in entities:
                    curator.block(entity.id)
                    done.append(f"blocked #{entity.slug}")
    return done
