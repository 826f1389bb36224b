"""A tag and what is known of it: the entity a tag names (its slug, an alias, or the words of
the tag as a name), its page of articles, the most active tags, the related tags, its
timeline, and the tags rising fastest."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from tagwire.entities import identity
from tagwire.entities.hashtags import lookup_key
from tagwire.entities.knowledge import is_broad_place
from tagwire.entities.ner import BROAD_PLACE_WEIGHT
from tagwire.errors import BadRequest, NotFound
from tagwire.ingest.tagging import IdentityLookups
from tagwire.service.parsing import parse_limit
from tagwire.service.shapes import JSON, card_json, entity_json
from tagwire.store import BadCursor, Page, Store
from tagwire.store.records import EntityRecord
from tagwire.types import now_utc

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
