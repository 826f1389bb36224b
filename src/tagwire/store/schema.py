"""The tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

Times are stored as UTC and come back timezone-aware (:class:`UTCDateTime`). Each article
stores its sort time (published, else first seen); tag pages read ``article_tags`` through
its (entity, sort time, article) index, a single range scan whatever the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("country", String(2)),
    Column("region", String(20)),
    Column("language", String(10)),
    Column("category", String(40)),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("paused_at", UTCDateTime),  # failing too long, or paused by the user
    Column("paused_reason", Text),
)

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False, unique=True),
    Column("title", String(500)),
    Column("format", String(20)),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("last_checked_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("next_check_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_reason", String(40)),
    Column("last_error_at", UTCDateTime),
    Column("error_count", Integer, nullable=False, default=0),
    Column("failing_since", UTCDateTime),  # first failure of the current run of failures
    Column("interval_seconds", Float),  # between checks, following how often it publishes
    Column("publish_gap", Float),  # median seconds between its recent items, if dated
    Index("ix_feeds_source", "source_id"),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("article_count", Integer, nullable=False, default=0),
    Column("publishers", Integer, nullable=False, default=0),
    Column("terms", JSON, nullable=False),
    Column("entity_ids", JSON, nullable=False),
    Index("ix_stories_last_seen", "last_seen"),
    # The mean of its articles' headline vectors, float16 (tagwire.embeddings.to_blob); null
    # for a story stored before schema 7 until an article joins it.
    Column("meaning", LargeBinary),
    # Set when the story became part of another (stories.group.choose_merge): its articles moved
    # there, and its id answers with that story.
    Column("merged_into", Integer),
    Column("merge_similarity", Float),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
    Column("feed_id", Integer, ForeignKey("feeds.id")),
    Column("url", String(2048), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(500)),
    Column("image", String(2048)),
    Column("category", String(40)),
    Column("language", String(10)),
    Column("published_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("sort_at", UTCDateTime, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("extraction", String(20), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id")),
    Column("story_score", Float),
    Column("story_shared", JSON),
    Column("duplicate_of", Integer, ForeignKey("articles.id")),
    Column("listed", Boolean, nullable=False),
    # near-duplicate detection
    Column("words", Integer),
    Column("story_text", Float),
    Column("title_key", String(500)),
    Column("fingerprint", LargeBinary),
    # What the article's own story decision was, kept to explain it after a merge moved
    # the article (story_id): the story it started or joined, and the meaning similarity.
    Column("story_origin", Integer),
    Column("story_started", Boolean),
    Column("story_meaning", Float),
    Index("ix_articles_listed_sort", "listed", "sort_at", "id"),
    Index("ix_articles_source_sort", "source_id", "listed", "sort_at", "id"),
    # source_id last: a story's counts (listed articles, publishers) read from the index
    # alone, not from a million articles' rows (migration 8)
    Index("ix_articles_story_sort", "story_id", "listed", "sort_at", "id", "source_id"),
    Index("ix_articles_hash", "content_hash"),
    Index("ix_articles_duplicate_of", "duplicate_of"),
    Index("ix_articles_source_title", "source_id", "title_key"),
)

# LSH band keys of each article's MinHash (dedup.near.band_keys): candidates by lookup. An
# index, derived from articles.fingerprint (backfill.complete_near_keys writes it again),
# so one B-tree on SQLite (WITHOUT ROWID) and no foreign key: articles are never deleted,
# and the check of each key's article, the table's own rows and an index by article had
# made a key cost six times as much to write (migration 10).
near_dup_keys = Table(
    "near_dup_keys",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("sort_at", UTCDateTime, primary_key=True),
    Column("article_id", Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

article_urls = Table(
    "article_urls",
    metadata,
    Column("url", String(2048), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
)

entities = Table(
    "entities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(200), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("key", String(300), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("article_count", Integer, nullable=False, default=0),
    Column("surname", String(100)),
    Column("blocked", Boolean, nullable=False, default=False),  # curation: never a tag
    # curation renamed it: the display name no longer follows the most common form
    Column("name_fixed", Boolean, nullable=False, default=False),
    Column("country", String(2)),  # of a place known to GeoNames: its editions
    UniqueConstraint("kind", "key", name="uq_entities_kind_key"),
    Index("ix_entities_surname", "kind", "surname"),
)

entity_aliases = Table(
    "entity_aliases",
    metadata,
    Column("key", String(300), primary_key=True),  # lookup key of a slug or name form
    Column("entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), nullable=False),
)

# How many listed articles wrote each form of an entity's name: the display name is the
# most common full form (PRODUCT.md, tag slugs).
entity_names = Table(
    "entity_names",
    metadata,
    Column("entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(300), primary_key=True),
    Column("uses", Integer, nullable=False),
)

mentions = Table(
    "mentions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("entity_id", Integer, ForeignKey("entities.id"), nullable=False),
    Column("surface", String(300), nullable=False),
    Column("name", String(300), nullable=False),  # the name it was resolved to
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("in_title", Boolean, nullable=False),
    Column("kind", String(20)),  # the kind this article's resolution gave it: a vote
    Index("ix_mentions_article", "article_id"),
    Index("ix_mentions_entity", "entity_id"),
)

article_tags = Table(
    "article_tags",
    metadata,
    Column("entity_id", Integer, ForeignKey("entities.id"), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("sort_at", UTCDateTime, nullable=False),
    Column("salience", Float, nullable=False),
    Column("rank", Integer, nullable=False),  # 0 = the article's most salient tag
    Index("ix_article_tags_page", "entity_id", "sort_at", "article_id"),
    # entity_id too, so the tags of cards and the related tags read the index alone
    Index("ix_article_tags_article_entity", "article_id", "rank", "entity_id"),
)

# The editions an article belongs to: its publisher's region and the regions of the places
# it is tagged with. Read like article_tags: one range scan per edition page.
article_regions = Table(
    "article_regions",
    metadata,
    Column("region", String(20), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("sort_at", UTCDateTime, nullable=False),
    Index("ix_article_regions_page", "region", "sort_at", "article_id"),
    Index("ix_article_regions_article", "article_id"),
)

# Webhooks per tag: each new listed article with the tag is queued for delivery in the
# article's own transaction, so a crash loses no delivery; the deliverer retries with
# back-off until the receiver answers 2xx (or gives up after MAX_ATTEMPTS).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_webhooks_entity", "entity_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),  # None once delivered or given up
    Column("delivered_at", UTCDateTime),
    Column("last_error", Text),
    Index("ix_webhook_deliveries_due", "next_attempt_at"),
)

fetch_log = Table(
    "fetch_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(20), nullable=False),  # ok | not_modified | failed
    Column("message", Text),
    Column("items", Integer, nullable=False, default=0),
    Column("new_articles", Integer, nullable=False, default=0),
    Index("ix_fetch_log_feed_at", "feed_id", "at"),
)

# What the writes changed, for the response caches of the web processes (web/cache.py):
# one row per article written (the ids of its tags) or per other change that pages show
# (entity_ids null: anything may have changed). Kept a day.
changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity_ids", JSON),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_changes_at", "at"),  # the daily prune
)

# An inverted index of stories by their articles' top terms and entities, so the story
# stage scores only the recent stories that share something with the new article.
story_keys = Table(
    "story_keys",
    metadata,
    Column("key", String(120), nullable=False),  # "t:<term>" or "e:<entity id>"
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),  # the article's sort time
    Index("ix_story_keys_key_at", "key", "at"),
)

# Every spelling key under which an entity is found ("bill clinton" and "clinton william
# jefferson" -> one person), and the family name of people, to find nickname and middle-name
# forms of a name already known.
entity_keys = Table(
    "entity_keys",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("key", String(300), primary_key=True),
    Column("entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), nullable=False),
)
