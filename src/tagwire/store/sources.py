"""Sources and their feeds: the publishers, what each check of a feed found, pauses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, literal, or_, select, update

from tagwire.errors import NotFound
from tagwire.store import schema as t
from tagwire.store.base import Base
from tagwire.store.records import FeedHealth, FeedRecord, SourceRecord
from tagwire.store.write_base import new_id as _new_id
from tagwire.store.write_base import record_change
from tagwire.types import Source, now_utc

# Feed problems found in the document, not in fetching it (pipeline.Pipeline._feed).
DOCUMENT_PROBLEMS = ("items_failed", "malformed")


class Sources(Base):
    """Sources and feeds as the sources files and the admin API keep them; each check."""

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

    def _set_source(self, source_id: int, **values: object) -> None:
        with self.rows() as w:
            done = w.conn.execute(
                update(t.sources).where(t.sources.c.id == source_id).values(**values)
            )
            if done.rowcount == 0:
                raise NotFound("source", source_id)
