"""Tags (entities): one by slug or alias, their neighbours, timelines, counts, the top
ones overall and per edition."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import bindparam, func, select

from tagwire.errors import NotFound
from tagwire.store import schema as t
from tagwire.store.base import ENTITY, Base, entity_record
from tagwire.store.lookups import EntityLookups
from tagwire.store.records import EntityRecord

RELATED_ARTICLES = 300  # the latest articles of a tag that related tags are counted over
_TAGS = t.article_tags.c

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


class Tags(Base):
    """Tags by slug, alias or id; their neighbours, timelines and counts."""

    # -- entities ------------------------------------------------------------------------

    def entity(self, key: str) -> EntityRecord:
        """An entity by the lookup key of its slug or any alias (case-insensitive)."""
        with self._read() as conn:
            row = conn.execute(_ENTITY_BY_KEY, {"key": key}).first()
        if row is None:
            raise NotFound("tag", key)
        return entity_record(row)

    def entity_by_id(self, entity_id: int) -> EntityRecord:
        with self._read() as conn:
            row = conn.execute(select(*ENTITY).where(t.entities.c.id == entity_id)).first()
        if row is None:
            raise NotFound("tag", str(entity_id))
        return entity_record(row)

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
        return [(entity_record(r), int(r.shared)) for r in rows]

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
        return {int(r.id): entity_record(r) for r in rows}

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
            return [entity_record(r) for r in conn.execute(query)]

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
            return [
                replace(entity_record(r), article_count=int(r.recent)) for r in conn.execute(query)
            ]

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
