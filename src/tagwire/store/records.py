"""What the store hands back: frozen records, aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FeedRecord:
    id: int
    url: str
    source_id: int
    source_name: str
    source_url: str
    source_language: str | None
    source_category: str | None
    etag: str | None
    last_modified: str | None
    next_check_at: datetime | None
    error_count: int = 0
    failing_since: datetime | None = None
    interval_seconds: float | None = None
    publish_gap: float | None = None


@dataclass(frozen=True, slots=True)
class FeedHealth:
    url: str
    title: str | None
    format: str | None
    last_checked_at: datetime | None
    last_success_at: datetime | None
    next_check_at: datetime | None
    last_error: str | None
    error_count: int


@dataclass(frozen=True, slots=True)
class SourceRecord:
    id: int
    name: str
    url: str
    country: str | None
    region: str | None
    language: str | None
    category: str | None
    enabled: bool
    feeds: tuple[str, ...]
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    articles: int
    paused_at: datetime | None = None
    paused_reason: str | None = None
    items_per_day: float = 0.0  # listed articles a day over the last week
    feed_health: tuple[FeedHealth, ...] = ()

    @property
    def next_check_at(self) -> datetime | None:
        due = [f.next_check_at for f in self.feed_health if f.next_check_at is not None]
        return min(due) if due and self.paused_at is None and self.enabled else None


@dataclass(frozen=True, slots=True)
class EntityRecord:
    id: int
    slug: str
    name: str
    kind: str
    article_count: int


@dataclass(frozen=True, slots=True)
class CardRecord:
    id: int
    url: str
    title: str
    source_id: int
    source_name: str
    source_url: str
    published_at: datetime | None
    sort_at: datetime
    category: str | None
    summary: str
    tags: tuple[EntityRecord, ...]
    story_id: int
    duplicates: tuple[str, ...]
    image: str | None
    author: str | None
    # When tagwire first stored it: never changes (the date in the article's Atom id).
    first_seen_at: datetime | None = None
    # The publisher of each of ``duplicates``, in the same order (pages name them).
    duplicate_publishers: tuple[str, ...] = ()
    # How many listed articles the card's story has (pages link "Full coverage" past one).
    story_articles: int = 1


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    card: CardRecord
    text: str
    language: str | None
    extraction: str
    first_seen_at: datetime
    story_score: float | None
    duplicate_of: int | None
    copies: tuple[tuple[str, str], ...] = ()  # (url, publisher) of each folded copy


@dataclass(frozen=True, slots=True)
class StoryMerge:
    """A story that became part of another, and how close their mean vectors were."""

    story_id: int
    into: int
    similarity: float | None


@dataclass(frozen=True, slots=True)
class StoryChoice:
    """Why an article is in its story: the decision as it was taken."""

    article_id: int
    story_id: int
    started: bool  # the article started the story (the one it was in then: see merges)
    duplicate_of: int | None  # a folded copy is in its survivor's story
    score: float | None
    text_similarity: float | None
    shared: tuple[EntityRecord, ...]
    meaning_similarity: float | None = None  # None for articles stored before schema 7
    # How the story the article started or joined became part of story_id, in order.
    merges: tuple[StoryMerge, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryRecord:
    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    publishers: int
    article_count: int
    tags: tuple[EntityRecord, ...]


@dataclass(frozen=True, slots=True)
class MentionRecord:
    surface: str
    name: str
    start: int
    end: int
    in_title: bool


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: int
    tag: str  # the entity's slug
    url: str
    created_at: datetime
    pending: int  # deliveries not yet made (and not given up)
    delivered: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    webhook_id: int
    url: str
    secret: str
    tag: str
    article_id: int
    attempts: int


# -- what the writer reads and writes for the callers' decisions (tagwire.ingest) -----------


@dataclass(frozen=True, slots=True)
class KnownRow:
    """An entity as identity decisions read it (``entities.identity.Known``'s fields)."""

    id: int
    name: str
    kind: str
    articles: int


@dataclass(frozen=True, slots=True)
class NearRow:
    """A stored article whose band keys met a new one's, with its fingerprint's bytes."""

    article_id: int
    survivor_id: int
    fingerprint: bytes
    at: datetime


@dataclass(frozen=True, slots=True)
class NewEntity:
    """An entity row to create, every column decided by the caller: its slug, key, the
    lookup keys that answer for it, its family name (people) and country (places)."""

    slug: str
    name: str
    kind: str
    key: str
    aliases: tuple[str, ...]
    surname: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class StoryRow:
    """A ``stories`` row as the story stage's ``StoryCandidate`` needs it; its mean headline
    vector as the stored bytes (float16, ``embeddings.to_blob``)."""

    id: int
    title: str
    terms: dict[str, float]
    entity_ids: frozenset[int]
    last_seen: datetime
    first_seen: datetime
    size: int
    meaning: bytes | None
    publishers: int = 1
