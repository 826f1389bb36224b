"""The JSON shapes of PRODUCT.md that the API, the webhooks and live updates send: a card, an
entity, a page of cards, an article, a source with its health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagwire.store import Page
from tagwire.store.records import ArticleRecord, CardRecord, EntityRecord, SourceRecord

JSON = dict[str, Any]


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


def page_json(page: Page) -> JSON:
    return {"articles": [card_json(c) for c in page.items], "next": page.next_cursor}


def article_json(record: ArticleRecord) -> JSON:
    return card_json(record.card) | {"text": record.text}


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
