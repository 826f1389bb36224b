"""The store: one interface over SQLite (default) and PostgreSQL.

``Store`` reads and keeps sources and feeds; ``Store.rows()`` opens the one transaction in
which an article and its mentions, tags and story are written (see ``writer.Writer``): rows
in, rows out, the decisions made by the callers (``tagwire.ingest``).
"""

from __future__ import annotations

import base64
import binascii
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    update,
)

from tagwire.errors import NotFound, StoreError
from tagwire.search import SearchQuery
from tagwire.store import schema as t
from tagwire.store import search_index
from tagwire.store.changes import ChangeFeed
from tagwire.store.engine import WRITE, make_engine, read_engine
from tagwire.store.lookups import EntityLookups
from tagwire.store.migrations import migrate
from tagwire.store.records import (
    ArticleRecord,
    CardRecord,
    Delivery,
    EntityRecord,
    FeedHealth,
    FeedRecord,
    MentionRecord,
    SourceRecord,
    StoryChoice,
    StoryMerge,
    StoryRecord,
    WebhookRecord,
)
from tagwire.store.writer import MAX_MERGE_CHAIN, Writer, _new_id, record_change
from tagwire.types import Source, now_utc

if TYPE_CHECKING:
    from tagwire.ingest.writer import ArticleWriter

# Feed problems found in the document, not in fetching it (pipeline.Pipeline._feed).
DOCUMENT_PROBLEMS = ("items_failed", "malformed")

__all__ = [
    "ArticleRecord",
    "CardRecord",
    "EntityRecord",
    "FeedHealth",
    "FeedRecord",
    "Page",
    "SourceRecord",
    "Store",
    "StoryRecord",
    "Writer",
]

MAX_TAGS_PER_CARD = 10
# What an EntityRecord holds: selecting whole rows also parsed a datetime per tag of a card.
ENTITY = (
    t.entities.c.id,
    t.entities.c.slug,
    t.entities.c.name,
    t.entities.c.kind,
    t.entities.c.article_count,
)
RELATED_ARTICLES = 300  # the latest articles of a tag that related tags are counted over

# The tag page's statements, built once with bound parameters: building a Select and its
# subqueries took more Python time than SQLite took to run it (the related-tags query:
# ~3 ms of coercions against ~2 ms in SQLite, measured on 100,000 articles).
_TAGS = t.article_tags.c
_TAG_LIST = (
    select(_TAGS.article_id, _TAGS.sort_at)
    .where(_TAGS.entity_id == bindparam("entity"))
    .order_by(_TAGS.sort_at.desc(), _TAGS.article_id.desc())
    .limit(bindparam("limit", type_=Integer))
)


def _before(sort_col: Any, id_col: Any, at: Any, last: Any) -> Any:
    """The keyset condition of a newest-first list: rows after the one at (``at``,
    ``last``). The redundant ``sort_col <= at`` is the part an index range can use:
    PostgreSQL's generic plan of the OR alone read the tag from its newest row and filtered
    every row before the cursor (all of a big tag's rows for its last pages)."""
    return and_(sort_col <= at, or_(sort_col < at, and_(sort_col == at, id_col < last)))


_TAG_LIST_AFTER = _TAG_LIST.where(
    _before(_TAGS.sort_at, _TAGS.article_id, bindparam("at"), bindparam("last"))
)
_CARD_ROWS = (
    select(
        t.articles.c.id,
        t.articles.c.url,
        t.articles.c.title,
        t.articles.c.source_id,
        t.articles.c.published_at,
        t.articles.c.sort_at,
        t.articles.c.first_seen_at,
        t.articles.c.category,
        t.articles.c.summary,
        t.articles.c.story_id,
        t.articles.c.image,
        t.articles.c.author,
        t.sources.c.name.label("source_name"),
        t.sources.c.url.label("source_url"),
        t.stories.c.article_count.label("story_articles"),
    )
    .join(t.sources, t.sources.c.id == t.articles.c.source_id)
    .outerjoin(t.stories, t.stories.c.id == t.articles.c.story_id)
    .where(t.articles.c.id.in_(bindparam("ids", expanding=True)))
)
_CARD_TAGS = (
    select(_TAGS.article_id, *ENTITY)
    .join(t.entities, t.entities.c.id == _TAGS.entity_id)
    .where(_TAGS.article_id.in_(bindparam("ids", expanding=True)))
    .order_by(_TAGS.article_id, _TAGS.rank)
)
_CARD_COPIES = (
    select(t.articles.c.duplicate_of, t.articles.c.url, t.sources.c.name.label("source_name"))
    .join(t.sources, t.sources.c.id == t.articles.c.source_id)
    .where(t.articles.c.duplicate_of.in_(bindparam("ids", expanding=True)))
    .order_by(t.articles.c.id)
)
_ENTITY_BY_KEY = (
    select(*ENTITY)
    .join(t.entity_aliases, t.entity_aliases.c.entity_id == t.entities.c.id)
    .where(t.entity_aliases.c.key == bindparam("key"))
)
_LATEST_OF_TAG = (
    select(_TAGS.article_id)
    .where(_TAGS.entity_id == bindparam("entity"), _TAGS.sort_at >= bindparam("since"))
    .order_by(_TAGS.sort_at.desc())
    .limit(RELATED_ARTICLES)
    .subquery()
)
_SHARED = (
    select(_TAGS.entity_id, func.count(_TAGS.article_id).label("shared"))
    .join(_LATEST_OF_TAG, _LATEST_OF_TAG.c.article_id == _TAGS.article_id)
    .where(_TAGS.entity_id != bindparam("entity"))
    .group_by(_TAGS.entity_id)
    .subquery()
)
_RELATED = (
    select(*ENTITY, _SHARED.c.shared)
    .join(_SHARED, _SHARED.c.entity_id == t.entities.c.id)
    .order_by(_SHARED.c.shared.desc(), t.entities.c.slug)
    .limit(bindparam("limit"))
)


class BadCursor(StoreError, ValueError):
    pass


class Page:
    """One page of a list: items and the cursor of the next page (or None)."""

    def __init__(self, items: list[CardRecord], next_cursor: str | None) -> None:
        self.items = items
        self.next_cursor = next_cursor


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._reads = read_engine(self.engine)
        self._feeds: weakref.WeakSet[ChangeFeed] = weakref.WeakSet()
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            migrate(conn)

    def _read(self) -> Connection:
        """A connection for reading (see ``engine.read_engine``)."""
        return self._reads.connect()

    def close(self) -> None:
        for feed in list(self._feeds):
            feed.close()
        self.engine.dispose()

    @contextmanager
    def rows(self) -> Iterator[Writer]:
        """One write transaction: rows in, rows out (``writer.Writer``)."""
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            yield Writer(conn)

    @contextmanager
    def writer(self) -> Iterator[ArticleWriter]:
        """One write transaction with ingest's decisions around each write
        (``tagwire.ingest.writer.ArticleWriter``), for the tests and benches that write
        articles by hand. The store's one import of a caller, kept for them (listed in
        tests/test_imports.py); the pipeline and the import open their writers themselves."""
        from tagwire.ingest.writer import ArticleWriter

        with self.rows() as w:
            yield ArticleWriter(w.conn)

    # -- sources and feeds ---------------------------------------------------------------

    def upsert_sources(self, sources: Iterable[Source]) -> list[int]:
        """Add or update sources by site URL; new feeds are added, none removed."""
        ids = []
        now = now_utc()
        with self.rows() as w:
            for source in sources:
                values = dict(
                    name=source.name,
                    country=source.country,
                    region=source.region,
                    language=source.language,
                    category=source.category,
                )
                row = w.conn.execute(
                    select(t.sources.c.id).where(t.sources.c.url == source.url)
                ).first()
                if row:
                    source_id = int(row[0])
                    w.conn.execute(
                        update(t.sources)
                        .where(t.sources.c.id == source_id)
                        .values(enabled=True, **values)
                    )
                else:
                    source_id = _new_id(
                        w.conn.execute(
                            t.sources.insert().values(
                                url=source.url, enabled=True, created_at=now, **values
                            )
                        )
                    )
                for feed in source.feeds:
                    known = w.conn.execute(
                        select(t.feeds.c.id, t.feeds.c.source_id).where(t.feeds.c.url == feed)
                    ).first()
                    if known is None:
                        w.conn.execute(
                            t.feeds.insert().values(source_id=source_id, url=feed, error_count=0)
                        )
                    elif known.source_id != source_id:
                        w.conn.execute(
                            update(t.feeds)
                            .where(t.feeds.c.id == known.id)
                            .values(source_id=source_id)
                        )
                ids.append(source_id)
            record_change(w.conn, None)  # cards show source names
        return ids

    def feeds(
        self, source_ids: Sequence[int] | None = None, due_before: datetime | None = None
    ) -> list[FeedRecord]:
        query = (
            select(
                t.feeds,
                t.sources.c.name.label("source_name"),
                t.sources.c.url.label("source_url"),
                t.sources.c.language.label("source_language"),
                t.sources.c.category.label("source_category"),
            )
            .join(t.sources, t.sources.c.id == t.feeds.c.source_id)
            .where(t.sources.c.enabled.is_(True), t.sources.c.paused_at.is_(None))
            .order_by(t.feeds.c.id)
        )
        if source_ids is not None:
            query = query.where(t.feeds.c.source_id.in_(list(source_ids)))
        if due_before is not None:
            query = query.where(
                or_(t.feeds.c.next_check_at.is_(None), t.feeds.c.next_check_at <= due_before)
            )
        with self._read() as conn:
            return [
                FeedRecord(
                    id=r.id,
                    url=r.url,
                    source_id=r.source_id,
                    source_name=r.source_name,
                    source_url=r.source_url,
                    source_language=r.source_language,
                    source_category=r.source_category,
                    etag=r.etag,
                    last_modified=r.last_modified,
                    next_check_at=r.next_check_at,
                    error_count=r.error_count,
                    failing_since=r.failing_since,
                    interval_seconds=r.interval_seconds,
                    publish_gap=r.publish_gap,
                )
                for r in conn.execute(query)
            ]

    def record_feed(
        self,
        feed: FeedRecord,
        *,
        outcome: str,
        next_check: datetime,
        message: str | None = None,
        reason: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str | None = None,
        fmt: str | None = None,
        items: int = 0,
        new_articles: int = 0,
        interval: float | None = None,
        publish_gap: float | None = None,
        pause: str | None = None,
    ) -> None:
        """Store the result of one check of a feed, and its source's health; ``pause`` (a
        reason) pauses the source until the user resumes it."""
        now = now_utc()
        with self.rows() as w:
            feed_values: dict[str, object] = {"last_checked_at": now, "next_check_at": next_check}
            if interval is not None:
                feed_values["interval_seconds"] = interval
            if outcome == "failed":
                feed_values.update(
                    last_error=message,
                    last_error_reason=reason,
                    last_error_at=now,
                    error_count=t.feeds.c.error_count + 1,
                    failing_since=func.coalesce(t.feeds.c.failing_since, now),
                )
                if pause:
                    w.conn.execute(
                        update(t.sources)
                        .where(t.sources.c.id == feed.source_id)
                        .values(paused_at=now, paused_reason=pause)
                    )
                w.conn.execute(
                    update(t.sources)
                    .where(t.sources.c.id == feed.source_id)
                    .values(last_error=message, last_error_at=now)
                )
            else:
                feed_values.update(
                    last_error=message,  # None, or what was wrong with a feed read in part
                    last_error_reason=reason,
                    last_error_at=now if message else None,
                    error_count=0,
                    last_success_at=now,
                    failing_since=None,
                )
                if outcome == "ok":
                    feed_values.update(
                        etag=etag,
                        last_modified=last_modified,
                        title=title,
                        format=fmt,
                        publish_gap=publish_gap,
                    )
                w.conn.execute(
                    update(t.sources)
                    .where(t.sources.c.id == feed.source_id)
                    .values(
                        last_success_at=now,
                        last_error=message,
                        last_error_at=now if message else None,
                    )
                )
            w.conn.execute(update(t.feeds).where(t.feeds.c.id == feed.id).values(**feed_values))
            w.conn.execute(
                t.fetch_log.insert().values(
                    feed_id=feed.id,
                    at=now,
                    outcome=outcome,
                    message=message,
                    items=items,
                    new_articles=new_articles,
                )
            )

    def record_unchanged(self, checks: Sequence[tuple[FeedRecord, datetime, float]]) -> None:
        """Many 304 answers (feed, next check, interval) in one transaction: what
        ``record_feed(outcome="not_modified")`` writes for each, at a fourteenth of the cost
        (bench/polling.py: one transaction per 304 was half the CPU of a polling cycle)."""
        if not checks:
            return
        now = now_utc()
        f, s_ = t.feeds.c, t.sources.c
        # What was wrong with the document itself (items that failed, XML cut short) still
        # holds when it is unchanged, so it stays shown; a failed fetch's message goes.
        # Literal values, not an IN list's expanding parameter: this statement runs as
        # executemany, which cannot expand one.
        kept = or_(
            *(f.last_error_reason == literal(r, literal_execute=False) for r in DOCUMENT_PROBLEMS)
        )
        with self.rows() as w:
            w.conn.execute(
                update(t.feeds)
                .where(f.id == bindparam("feed_id"))
                .values(
                    last_checked_at=now,
                    next_check_at=bindparam("next_check"),
                    interval_seconds=bindparam("interval"),
                    last_error=case((kept, f.last_error), else_=None),
                    last_error_reason=case((kept, f.last_error_reason), else_=None),
                    last_error_at=case((kept, f.last_error_at), else_=None),
                    error_count=0,
                    last_success_at=now,
                    failing_since=None,
                ),
                [
                    {"feed_id": feed.id, "next_check": at, "interval": interval}
                    for feed, at, interval in checks
                ],
            )
            problem = (
                select(f.last_error, f.last_error_at)
                .where(f.source_id == s_.id, kept)
                .order_by(f.id)
                .limit(1)
            )
            w.conn.execute(
                update(t.sources)
                .where(s_.id.in_({feed.source_id for feed, _, _ in checks}))
                .values(
                    last_success_at=now,
                    last_error=problem.with_only_columns(f.last_error).scalar_subquery(),
                    last_error_at=problem.with_only_columns(f.last_error_at).scalar_subquery(),
                )
            )
            w.conn.execute(
                t.fetch_log.insert(),
                [
                    {
                        "feed_id": feed.id,
                        "at": now,
                        "outcome": "not_modified",
                        "message": None,
                        "items": 0,
                        "new_articles": 0,
                    }
                    for feed, _, _ in checks
                ],
            )

    def sources(self) -> list[SourceRecord]:
        week_ago = now_utc() - timedelta(days=7)
        a = t.articles.c
        counts = (
            select(
                a.source_id,
                func.count().label("n"),
                func.sum(case((a.first_seen_at >= week_ago, 1), else_=0)).label("week"),
            )
            .where(a.listed.is_(True))
            .group_by(a.source_id)
            .subquery()
        )
        query = (
            select(
                t.sources,
                func.coalesce(counts.c.n, 0).label("articles"),
                func.coalesce(counts.c.week, 0).label("week"),
            )
            .outerjoin(counts, counts.c.source_id == t.sources.c.id)
            .order_by(t.sources.c.name)
        )
        with self._read() as conn:
            feeds: dict[int, list[FeedHealth]] = {}
            for f in conn.execute(select(t.feeds).order_by(t.feeds.c.id)):
                feeds.setdefault(f.source_id, []).append(
                    FeedHealth(
                        url=f.url,
                        title=f.title,
                        format=f.format,
                        last_checked_at=f.last_checked_at,
                        last_success_at=f.last_success_at,
                        next_check_at=f.next_check_at,
                        last_error=f.last_error,
                        error_count=f.error_count,
                    )
                )
            return [
                SourceRecord(
                    id=r.id,
                    name=r.name,
                    url=r.url,
                    country=r.country,
                    region=r.region,
                    language=r.language,
                    category=r.category,
                    enabled=r.enabled,
                    feeds=tuple(f.url for f in feeds.get(r.id, ())),
                    last_success_at=r.last_success_at,
                    last_error=r.last_error,
                    last_error_at=r.last_error_at,
                    articles=r.articles,
                    paused_at=r.paused_at,
                    paused_reason=r.paused_reason,
                    items_per_day=round(float(r.week) / 7, 1),
                    feed_health=tuple(feeds.get(r.id, ())),
                )
                for r in conn.execute(query)
            ]

    def source(self, source_id: int) -> SourceRecord:
        found = [s for s in self.sources() if s.id == source_id]
        if not found:
            raise NotFound("source", source_id)
        return found[0]

    def pause_source(self, source_id: int, reason: str = "paused by the user") -> None:
        self._set_source(source_id, paused_at=now_utc(), paused_reason=reason)

    def resume_source(self, source_id: int) -> None:
        """Back to polling at once, failures forgotten."""
        self._set_source(source_id, paused_at=None, paused_reason=None, enabled=True)
        with self.rows() as w:
            w.conn.execute(
                update(t.feeds)
                .where(t.feeds.c.source_id == source_id)
                .values(next_check_at=None, error_count=0, failing_since=None)
            )

    def remove_source(self, source_id: int) -> None:
        """Its feeds go and it is polled no more; its articles stay, so a source that has
        some is kept (disabled) to name their publisher. Adding it again re-enables it."""
        self._set_source(source_id, enabled=False)
        with self.rows() as w:
            w.conn.execute(t.feeds.delete().where(t.feeds.c.source_id == source_id))
            has_articles = w.conn.execute(
                select(t.articles.c.id).where(t.articles.c.source_id == source_id).limit(1)
            ).first()
            if has_articles is None:
                w.conn.execute(t.sources.delete().where(t.sources.c.id == source_id))

    # -- webhooks ------------------------------------------------------------------------

    def add_webhook(self, entity_id: int, url: str, secret: str) -> int:
        with self.rows() as w:
            return _new_id(
                w.conn.execute(
                    t.webhooks.insert().values(
                        entity_id=entity_id, url=url, secret=secret, created_at=now_utc()
                    )
                )
            )

    def remove_webhook(self, webhook_id: int) -> None:
        with self.rows() as w:
            d = t.webhook_deliveries
            w.conn.execute(d.delete().where(d.c.webhook_id == webhook_id))
            if (
                w.conn.execute(t.webhooks.delete().where(t.webhooks.c.id == webhook_id)).rowcount
                == 0
            ):
                raise NotFound("webhook", webhook_id)

    def webhooks(self) -> list[WebhookRecord]:
        d = t.webhook_deliveries.c
        pending = func.sum(case((d.next_attempt_at.is_not(None), 1), else_=0))
        delivered = func.sum(case((d.delivered_at.is_not(None), 1), else_=0))
        stats = (
            select(d.webhook_id, pending.label("pending"), delivered.label("delivered"))
            .group_by(d.webhook_id)
            .subquery()
        )
        last_error = (
            select(d.last_error)
            .where(d.webhook_id == t.webhooks.c.id, d.last_error.is_not(None))
            .order_by(d.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(
                t.webhooks,
                t.entities.c.slug,
                func.coalesce(stats.c.pending, 0).label("pending"),
                func.coalesce(stats.c.delivered, 0).label("delivered"),
                last_error.label("last_error"),
            )
            .join(t.entities, t.entities.c.id == t.webhooks.c.entity_id)
            .outerjoin(stats, stats.c.webhook_id == t.webhooks.c.id)
            .order_by(t.webhooks.c.id)
        )
        with self._read() as conn:
            return [
                WebhookRecord(
                    r.id,
                    r.slug,
                    r.url,
                    r.created_at,
                    int(r.pending),
                    int(r.delivered),
                    r.last_error,
                )
                for r in conn.execute(query)
            ]

    def due_deliveries(self, now: datetime, limit: int = 50) -> list[Delivery]:
        d, h = t.webhook_deliveries.c, t.webhooks.c
        query = (
            select(d.id, d.webhook_id, h.url, h.secret, t.entities.c.slug, d.article_id, d.attempts)
            .join(t.webhooks, h.id == d.webhook_id)
            .join(t.entities, t.entities.c.id == h.entity_id)
            .where(d.next_attempt_at.is_not(None), d.next_attempt_at <= now)
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [Delivery(*row) for row in conn.execute(query)]

    def next_delivery_at(self) -> datetime | None:
        d = t.webhook_deliveries.c
        with self._read() as conn:
            value: datetime | None = conn.execute(
                select(func.min(d.next_attempt_at)).where(d.next_attempt_at.is_not(None))
            ).scalar()
        return value

    def record_delivery(
        self, delivery_id: int, *, error: str | None, next_attempt: datetime | None
    ) -> None:
        """A 2xx (``error`` None), or a failure retried at ``next_attempt`` (None: given up)."""
        d = t.webhook_deliveries
        values: dict[str, Any] = {"attempts": d.c.attempts + 1, "last_error": error}
        if error is None:
            values.update(delivered_at=now_utc(), next_attempt_at=None)
        else:
            values["next_attempt_at"] = next_attempt
        with self.rows() as w:
            w.conn.execute(update(d).where(d.c.id == delivery_id).values(**values))

    def _set_source(self, source_id: int, **values: object) -> None:
        with self.rows() as w:
            done = w.conn.execute(
                update(t.sources).where(t.sources.c.id == source_id).values(**values)
            )
            if done.rowcount == 0:
                raise NotFound("source", source_id)

    # -- reading articles ----------------------------------------------------------------

    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """Which of these URLs some stored article has (one query per 500: a feed's items
        are checked at once, not one query each)."""
        known: set[str] = set()
        wanted = list(dict.fromkeys(urls))
        with self._read() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                known.update(
                    conn.execute(
                        select(t.article_urls.c.url).where(t.article_urls.c.url.in_(chunk))
                    ).scalars()
                )
        return known

    def known_article(self, urls: Sequence[str]) -> int | None:
        """The article stored under any of these URLs (read-only: no write lock taken)."""
        with self._read() as conn:
            row = conn.execute(
                select(t.article_urls.c.article_id)
                .where(t.article_urls.c.url.in_(list(urls)))
                .limit(1)
            ).first()
        return int(row[0]) if row else None

    def list_cards(
        self,
        *,
        entity_id: int | None = None,
        source_id: int | None = None,
        story_id: int | None = None,
        region: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page:
        """Newest first by sort time, ties by id; folded copies left out; keyset pages. A
        tag or an edition (region) is read from its own index table; other filters apply to
        the articles of that list."""
        after = decode_cursor(cursor) if cursor else None
        if entity_id is not None and region is None and source_id is None and story_id is None:
            return self._tag_list(entity_id, after, limit)
        if entity_id is not None or region is not None:
            index: Any = t.article_tags if entity_id is not None else t.article_regions
            id_col, sort_col = index.c.article_id, index.c.sort_at
            query: Any = select(id_col, sort_col)  # SQLAlchemy 2.1 typing of variadic Select
            if entity_id is not None:
                query = query.where(index.c.entity_id == entity_id)
                if region is not None:
                    in_region = select(t.article_regions.c.article_id).where(
                        t.article_regions.c.region == region
                    )
                    query = query.where(id_col.in_(in_region))
            else:
                query = query.where(index.c.region == region)
            if source_id is not None or story_id is not None:
                query = query.join(t.articles, t.articles.c.id == id_col)
                if source_id is not None:
                    query = query.where(t.articles.c.source_id == source_id)
                if story_id is not None:
                    query = query.where(t.articles.c.story_id == story_id)
        else:
            table = t.articles
            id_col, sort_col = table.c.id, table.c.sort_at
            query = select(id_col, sort_col)
            query = query.where(table.c.listed.is_(True))
            if source_id is not None:
                query = query.where(table.c.source_id == source_id)
            if story_id is not None:
                query = query.where(table.c.story_id == story_id)
        if after is not None:
            at, last_id = after
            query = query.where(_before(sort_col, id_col, at, last_id))
        query = query.order_by(sort_col.desc(), id_col.desc()).limit(limit + 1)
        return self._keyset_page(query, {}, limit)

    def category_cards(
        self,
        category: str,
        *,
        entity_id: int | None = None,
        source_id: int | None = None,
        story_id: int | None = None,
        region: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page:
        """``list_cards`` of one category (its exact label), with the same other filters:
        listed articles newest first, ties by id, keyset pages."""
        a = t.articles.c
        query: Any = select(a.id, a.sort_at).where(a.listed.is_(True), a.category == category)
        if entity_id is not None:
            tagged = select(_TAGS.article_id).where(_TAGS.entity_id == entity_id)
            query = query.where(a.id.in_(tagged))
        if region is not None:
            regional = select(t.article_regions.c.article_id).where(
                t.article_regions.c.region == region
            )
            query = query.where(a.id.in_(regional))
        if source_id is not None:
            query = query.where(a.source_id == source_id)
        if story_id is not None:
            query = query.where(a.story_id == story_id)
        if cursor:
            at, last_id = decode_cursor(cursor)
            query = query.where(_before(a.sort_at, a.id, at, last_id))
        query = query.order_by(a.sort_at.desc(), a.id.desc()).limit(limit + 1)
        return self._keyset_page(query, {}, limit)

    def category_counts(self) -> dict[str, int]:
        """Listed articles per category label (articles without one left out)."""
        a = t.articles.c
        rows = self._rows(
            select(a.category, func.count().label("n"))
            .where(a.listed.is_(True), a.category.is_not(None))
            .group_by(a.category)
        )
        return {str(r.category): int(r.n) for r in rows}

    def search(
        self,
        query: SearchQuery,
        *,
        entity_id: int | None = None,
        source_id: int | None = None,
        category: str | None = None,
        region: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        newest_first: bool = False,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page:
        """Listed articles matching a search, best first (or newest first), with filters;
        pages by an opaque cursor (results are ranked, so pages go by position, up to
        MAX_SEARCH_RESULTS)."""
        offset = decode_offset(cursor) if cursor else 0
        conditions: list[str] = ["1 = 1"]
        params: dict[str, Any] = {}
        typed: list[Any] = []
        if entity_id is not None:
            conditions.append(
                "a.id IN (SELECT article_id FROM article_tags WHERE entity_id = :entity)"
            )
            params["entity"] = entity_id
        if source_id is not None:
            conditions.append("a.source_id = :source")
            params["source"] = source_id
        if category is not None:
            conditions.append("a.category = :category")
            params["category"] = category
        if region is not None:
            conditions.append(
                "a.id IN (SELECT article_id FROM article_regions WHERE region = :region)"
            )
            params["region"] = region
        for name, value, op in (("since", since, ">="), ("until", until, "<")):
            if value is not None:
                conditions.append(f"a.sort_at {op} :{name}")
                typed.append(bindparam(name, value, type_=t.UTCDateTime()))
        with self._read() as conn:
            ids = search_index.matches(
                conn,
                query,
                " AND ".join(conditions),
                params,
                typed,
                offset,
                limit + 1,
                newest_first,
            )
            more = len(ids) > limit and offset + limit < MAX_SEARCH_RESULTS
            cards = self._cards(conn, list(ids[:limit]))
        return Page(cards, encode_offset(offset + limit) if more else None)

    def list_query_sql(self, entity_id: int) -> str:
        """The tag-page query with a cursor, as SQL with literals, for EXPLAIN in tests and
        docs."""
        query = _TAG_LIST_AFTER.params(entity=entity_id, at=now_utc(), last=10**9, limit=21)
        return str(query.compile(self.engine, compile_kwargs={"literal_binds": True}))

    def _tag_list(self, entity_id: int, after: tuple[datetime, int] | None, limit: int) -> Page:
        """``list_cards`` of one tag (the tag page): the prebuilt statements."""
        params: dict[str, Any] = {"entity": entity_id, "limit": limit + 1}
        if after is not None:
            params["at"], params["last"] = after
        return self._keyset_page(_TAG_LIST if after is None else _TAG_LIST_AFTER, params, limit)

    def _keyset_page(self, query: Any, params: dict[str, Any], limit: int) -> Page:
        """The cards of a query's rows (id, sort time), at most ``limit + 1`` of them: the
        extra row says there is a next page, whose cursor is the last card's key."""
        with self._read() as conn:
            rows = conn.execute(query, params).all()
            more = len(rows) > limit
            rows = rows[:limit]
            cards = self._cards(conn, [int(r[0]) for r in rows])
        next_cursor = encode_cursor(rows[-1][1], int(rows[-1][0])) if more and rows else None
        return Page(cards, next_cursor)

    def _cards(self, conn: Connection, ids: Sequence[int]) -> list[CardRecord]:
        if not ids:
            return []
        wanted = {"ids": list(ids)}
        rows = {r.id: r for r in conn.execute(_CARD_ROWS, wanted)}
        tags: dict[int, list[EntityRecord]] = {}
        for r in conn.execute(_CARD_TAGS, wanted):
            tags.setdefault(r.article_id, []).append(_entity(r))
        dups: dict[int, list[tuple[str, str]]] = {}
        for d in conn.execute(_CARD_COPIES, wanted):
            dups.setdefault(d.duplicate_of, []).append((d.url, d.source_name))
        return [_card(rows[i], tags.get(i, []), dups.get(i, [])) for i in ids if i in rows]

    def article(self, article_id: int) -> ArticleRecord:
        with self._read() as conn:
            row = conn.execute(select(t.articles).where(t.articles.c.id == article_id)).first()
            if row is None:
                raise NotFound("article", article_id)
            card = self._cards(conn, [article_id])[0]
            copies = conn.execute(
                select(t.articles.c.url, t.sources.c.name)
                .join(t.sources, t.sources.c.id == t.articles.c.source_id)
                .where(t.articles.c.duplicate_of == article_id)
                .order_by(t.articles.c.id)
            ).all()
        return ArticleRecord(
            card=card,
            text=row.text,
            language=row.language,
            extraction=row.extraction,
            first_seen_at=row.first_seen_at,
            story_score=row.story_score,
            duplicate_of=row.duplicate_of,
            copies=tuple((url, name) for url, name in copies),
        )

    def story_choice(self, article_id: int) -> StoryChoice:
        with self._read() as conn:
            row = conn.execute(
                select(
                    t.articles.c.story_id,
                    t.articles.c.story_score,
                    t.articles.c.story_text,
                    t.articles.c.story_shared,
                    t.articles.c.duplicate_of,
                    t.articles.c.story_origin,
                    t.articles.c.story_started,
                    t.articles.c.story_meaning,
                ).where(t.articles.c.id == article_id)
            ).first()
            if row is None:
                raise NotFound("article", article_id)
            shared_ids = list(row.story_shared or [])
            entities = {
                r.id: _entity(r)
                for r in conn.execute(select(*ENTITY).where(t.entities.c.id.in_(shared_ids)))
            }
            started = row.story_started
            if started is None:  # stored before schema 7: the first article started it
                first = conn.execute(
                    select(func.min(t.articles.c.id)).where(
                        t.articles.c.story_id == row.story_id, t.articles.c.listed.is_(True)
                    )
                ).scalar_one()
                started = first == article_id and row.duplicate_of is None
            merges = _merges(conn, row.story_origin, row.story_id)
        return StoryChoice(
            article_id=article_id,
            story_id=row.story_id,
            started=bool(started),
            duplicate_of=row.duplicate_of,
            score=row.story_score,
            text_similarity=row.story_text,
            shared=tuple(entities[i] for i in shared_ids if i in entities),
            meaning_similarity=row.story_meaning,
            merges=merges,
        )

    def replaced_copy(self, article_id: int) -> int | None:
        """The copy whose place in its story ``article_id`` took: the earliest of its folded
        copies that was once listed with a story decision of its own (a copy folded at
        arrival never had one), or None when the article replaced no copy."""
        a = t.articles.c
        with self._read() as conn:
            found = conn.execute(
                select(func.min(a.id)).where(
                    a.duplicate_of == article_id, a.story_score.is_not(None)
                )
            ).scalar_one()
        return int(found) if found is not None else None

    def mentions(self, article_id: int, entity_id: int) -> list[MentionRecord]:
        """The mentions of one entity in one article, in text order."""
        m = t.mentions.c
        with self._read() as conn:
            rows = conn.execute(
                select(m.surface, m.name, m.start, m.end, m.in_title)
                .where(m.article_id == article_id, m.entity_id == entity_id)
                .order_by(m.start)
            ).all()
        return [MentionRecord(r.surface, r.name, r.start, r.end, r.in_title) for r in rows]

    def alias_evidence(self, entity_id: int, surface: str) -> int | None:
        """The first article that resolved ``surface`` to the entity under a longer name:
        the evidence of an alias learned from the corpus (``ingest.tagging.learn_aliases``)."""
        m = t.mentions.c
        with self._read() as conn:
            return conn.execute(
                select(func.min(m.article_id)).where(
                    m.entity_id == entity_id, m.surface == surface, m.name != surface
                )
            ).scalar()

    def story(self, story_id: int) -> StoryRecord:
        """A story; the id of one merged into another answers with that one (see its id)."""
        with self._read() as conn:
            row = conn.execute(select(t.stories).where(t.stories.c.id == story_id)).first()
            for _ in range(MAX_MERGE_CHAIN):
                if row is None or row.merged_into is None:
                    break
                row = conn.execute(
                    select(t.stories).where(t.stories.c.id == row.merged_into)
                ).first()
            if row is None:
                raise NotFound("story", story_id)
            story_id = row.id
            tag_rows = conn.execute(
                select(*ENTITY, func.sum(t.article_tags.c.salience).label("weight"))
                .join(t.article_tags, t.article_tags.c.entity_id == t.entities.c.id)
                .join(t.articles, t.articles.c.id == t.article_tags.c.article_id)
                .where(t.articles.c.story_id == story_id)
                .group_by(*ENTITY)
                .order_by(func.sum(t.article_tags.c.salience).desc(), t.entities.c.slug)
                .limit(MAX_TAGS_PER_CARD)
            ).all()
        return StoryRecord(
            id=row.id,
            title=row.title,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            publishers=row.publishers,
            article_count=row.article_count,
            tags=tuple(_entity(r) for r in tag_rows),
        )

    # -- entities ------------------------------------------------------------------------

    def entity(self, key: str) -> EntityRecord:
        """An entity by the lookup key of its slug or any alias (case-insensitive)."""
        with self._read() as conn:
            row = conn.execute(_ENTITY_BY_KEY, {"key": key}).first()
        if row is None:
            raise NotFound("tag", key)
        return _entity(row)

    def entity_by_id(self, entity_id: int) -> EntityRecord:
        with self._read() as conn:
            row = conn.execute(select(*ENTITY).where(t.entities.c.id == entity_id)).first()
        if row is None:
            raise NotFound("tag", str(entity_id))
        return _entity(row)

    @contextmanager
    def lookups(self) -> Iterator[EntityLookups]:
        """What identity decisions read (``entities.identity.find``), on a read connection."""
        with self._read() as conn:
            yield EntityLookups(conn)

    def related_entities(
        self, entity_id: int, since: datetime, limit: int = 10
    ) -> list[tuple[EntityRecord, int]]:
        """The tags that appear most often beside this one in its latest RELATED_ARTICLES
        articles since ``since``: bounded work per page, however large the tag (a 14-day
        self-join over #Germany read ~10,000 rows; the latest few hundred give the same
        neighbours)."""
        with self._read() as conn:
            params = {"entity": entity_id, "since": since, "limit": limit}
            rows = conn.execute(_RELATED, params).all()
        return [(_entity(r), int(r.shared)) for r in rows]

    def timeline(self, entity_id: int, since: datetime) -> dict[date, int]:
        """The entity's articles per UTC day since ``since``, counted by the database (one
        index range scan; no row per article reaches Python)."""
        day = self._utc_day(t.article_tags.c.sort_at)
        rows = self._rows(
            select(day.label("day"), func.count().label("n"))
            .where(t.article_tags.c.entity_id == entity_id, t.article_tags.c.sort_at >= since)
            .group_by(day)
        )
        return {date.fromisoformat(str(r.day)[:10]): int(r.n) for r in rows}

    def _utc_day(self, column: Any) -> Any:
        if self.engine.dialect.name == "sqlite":
            return func.substr(column, 1, 10)  # stored as "YYYY-MM-DD HH:MM:SS[.ffffff]", UTC
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")

    def change_feed(self) -> ChangeFeed:
        """A reader of what writes changed, on a connection of its own (response caches);
        closed with the store."""
        feed = ChangeFeed(self.engine)
        self._feeds.add(feed)
        return feed

    def entity_counts(self, since: datetime, until: datetime) -> dict[int, int]:
        """Articles per entity with a sort time in [since, until)."""
        count = func.count(t.article_tags.c.article_id)
        rows = self._rows(
            select(t.article_tags.c.entity_id, count.label("n"))
            .where(t.article_tags.c.sort_at >= since, t.article_tags.c.sort_at < until)
            .group_by(t.article_tags.c.entity_id)
        )
        return {int(r.entity_id): int(r.n) for r in rows}

    def entities_by_id(self, ids: Sequence[int]) -> dict[int, EntityRecord]:
        rows = self._rows(select(*ENTITY).where(t.entities.c.id.in_(list(ids))))
        return {int(r.id): _entity(r) for r in rows}

    def _rows(self, query: Any) -> list[Any]:
        with self._read() as conn:
            return list(conn.execute(query).all())

    def top_entities(self, limit: int = 20, since: datetime | None = None) -> list[EntityRecord]:
        """The tags with most articles (since a time, if given)."""
        count = func.count(t.article_tags.c.article_id)
        query = (
            select(*ENTITY, count.label("recent"))
            .join(t.article_tags, t.article_tags.c.entity_id == t.entities.c.id)
            .group_by(*ENTITY)
            .order_by(count.desc(), t.entities.c.id)
            .limit(limit)
        )
        if since is not None:
            query = query.where(t.article_tags.c.sort_at >= since)
        with self._read() as conn:
            return [_entity(r) for r in conn.execute(query)]

    def top_entities_in_region(self, region: str, limit: int = 20) -> list[EntityRecord]:
        """``top_entities`` over an edition's articles only (its article_regions rows); the
        records' ``article_count`` is the tag's number of articles in the edition."""
        tags, regions = t.article_tags.c, t.article_regions.c
        count = func.count(tags.article_id)
        query = (
            select(*ENTITY, count.label("recent"))
            .join(t.article_tags, tags.entity_id == t.entities.c.id)
            .join(t.article_regions, regions.article_id == tags.article_id)
            .where(regions.region == region)
            .group_by(*ENTITY)
            .order_by(count.desc(), t.entities.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [replace(_entity(r), article_count=int(r.recent)) for r in conn.execute(query)]

    def entity_counts_in_region(
        self, region: str, since: datetime, until: datetime
    ) -> dict[int, int]:
        """``entity_counts`` over an edition's articles only."""
        tags, regions = t.article_tags.c, t.article_regions.c
        count = func.count(tags.article_id)
        rows = self._rows(
            select(tags.entity_id, count.label("n"))
            .join(t.article_regions, regions.article_id == tags.article_id)
            .where(regions.region == region, tags.sort_at >= since, tags.sort_at < until)
            .group_by(tags.entity_id)
        )
        return {int(r.entity_id): int(r.n) for r in rows}

    def region_article_count(self, region: str) -> int:
        """The number of articles in an edition."""
        regions = t.article_regions.c
        query = select(func.count()).select_from(t.article_regions).where(regions.region == region)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                "articles": conn.execute(
                    select(func.count())
                    .select_from(t.articles)
                    .where(t.articles.c.listed.is_(True))
                ).scalar_one(),
                "duplicates": conn.execute(
                    select(func.count())
                    .select_from(t.articles)
                    .where(t.articles.c.listed.is_(False))
                ).scalar_one(),
                "stories": conn.execute(
                    select(func.count())
                    .select_from(t.stories)
                    .where(t.stories.c.merged_into.is_(None))  # a merged one lives on in another
                ).scalar_one(),
                "entities": conn.execute(select(func.count()).select_from(t.entities)).scalar_one(),
                "sources": conn.execute(select(func.count()).select_from(t.sources)).scalar_one(),
            }


def _merges(conn: Connection, origin: int | None, story_id: int | None) -> tuple[StoryMerge, ...]:
    """The merges that took an article's story (``origin``) into the one it is in now."""
    merges: list[StoryMerge] = []
    while origin is not None and origin != story_id and len(merges) < MAX_MERGE_CHAIN:
        row = conn.execute(select(t.stories).where(t.stories.c.id == origin)).first()
        if row is None or row.merged_into is None:
            break
        merges.append(StoryMerge(int(row.id), int(row.merged_into), row.merge_similarity))
        origin = row.merged_into
    return tuple(merges)


def _entity(row: Any) -> EntityRecord:
    m = row._mapping
    return EntityRecord(
        id=m["id"], slug=m["slug"], name=m["name"], kind=m["kind"], article_count=m["article_count"]
    )


def _card(r: Any, tags: list[EntityRecord], dups: list[tuple[str, str]]) -> CardRecord:
    m = r._mapping
    return CardRecord(
        id=m["id"],
        url=m["url"],
        title=m["title"],
        source_id=m["source_id"],
        source_name=m["source_name"],
        source_url=m["source_url"],
        published_at=m["published_at"],
        sort_at=m["sort_at"],
        category=m["category"],
        summary=m["summary"],
        tags=tuple(tags[:MAX_TAGS_PER_CARD]),
        story_id=m["story_id"],
        duplicates=tuple(url for url, _ in dups),
        image=m["image"],
        author=m["author"],
        first_seen_at=m["first_seen_at"],
        duplicate_publishers=tuple(name for _, name in dups),
        story_articles=m["story_articles"] or 1,
    )


MAX_SEARCH_RESULTS = 1000  # pages of a search go this deep, as in every search engine


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"search|{offset}".encode()).decode().rstrip("=")


def decode_offset(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = raw.partition("|")
        offset = int(number)
        if kind != "search" or not 0 <= offset < MAX_SEARCH_RESULTS:
            raise ValueError(raw)
        return offset
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor(f"invalid cursor {cursor[:40]!r}") from exc


def encode_cursor(at: datetime, article_id: int) -> str:
    raw = f"{at.isoformat()}|{article_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at_text, _, id_text = raw.partition("|")
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError("naive time")
        return at, int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor(f"invalid cursor {cursor[:40]!r}") from exc
