"""The writer's rows for copies: which article a URL or a text already names, the survivor
of a copy, the near-duplicate and same-title candidates, and a fold under a new survivor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tagwire.store import schema as t
from tagwire.store import search_index
from tagwire.store.records import NearRow
from tagwire.store.write_base import WriteBase, record_change
from tagwire.store.write_stories import story_counts

MAX_CANDIDATES = 500


@dataclass(frozen=True, slots=True)
class Survivor:
    id: int
    sort_at: datetime
    story_id: int | None
    words: int


class CopyWrites(WriteBase):
    """A part of ``writer.Writer``: copies."""

    def article_for_urls(self, urls: Iterable[str]) -> int | None:
        keys = list(dict.fromkeys(urls))
        row = self.conn.execute(
            select(t.article_urls.c.article_id).where(t.article_urls.c.url.in_(keys)).limit(1)
        ).first()
        return int(row[0]) if row else None

    def add_url(self, url: str, article_id: int) -> None:
        """Remember another URL under which an article was seen."""
        if self.article_for_urls([url]) is None:
            self.conn.execute(t.article_urls.insert().values(url=url, article_id=article_id))

    def survivor_for_hash(self, content_hash: str) -> Survivor | None:
        """The listed article with this normalised text, if any."""
        row = self.conn.execute(
            select(t.articles.c.id, t.articles.c.duplicate_of)
            .where(t.articles.c.content_hash == content_hash)
            .order_by(t.articles.c.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        return self.survivor(int(row.duplicate_of or row.id))

    def survivor(self, article_id: int) -> Survivor:
        row = self.conn.execute(
            select(
                t.articles.c.id,
                t.articles.c.sort_at,
                t.articles.c.story_id,
                t.articles.c.words,
                t.articles.c.duplicate_of,
            ).where(t.articles.c.id == article_id)
        ).one()
        if row.duplicate_of is not None:
            return self.survivor(int(row.duplicate_of))
        return Survivor(int(row.id), row.sort_at, row.story_id, int(row.words or 0))

    def near_duplicate_rows(
        self, keys: list[int], at: datetime, window: timedelta
    ) -> list[NearRow]:
        """Articles within the window that share an LSH band key with these keys, with their
        stored fingerprints (those without one are left out)."""
        k = t.near_dup_keys
        ids = (
            select(k.c.article_id)
            .where(k.c.key.in_(keys), k.c.sort_at >= at - window, k.c.sort_at <= at + window)
            .distinct()
            .limit(MAX_CANDIDATES)
        )
        rows = self.conn.execute(
            select(
                t.articles.c.id,
                t.articles.c.duplicate_of,
                t.articles.c.fingerprint,
                t.articles.c.sort_at,
            ).where(t.articles.c.id.in_(ids.scalar_subquery()))
        )
        return [
            NearRow(int(r.id), int(r.duplicate_of or r.id), bytes(r.fingerprint), r.sort_at)
            for r in rows
            if r.fingerprint
        ]

    def same_title(
        self, source_id: int, title_key: str, at: datetime, window: timedelta
    ) -> Survivor | None:
        """A listed article of this publisher with the same title key within the window."""
        row = self.conn.execute(
            select(t.articles.c.id)
            .where(
                t.articles.c.source_id == source_id,
                t.articles.c.title_key == title_key,
                t.articles.c.sort_at >= at - window,
                t.articles.c.sort_at <= at + window,
            )
            .order_by(t.articles.c.id)
            .limit(1)
        ).first()
        return self.survivor(int(row.id)) if row else None

    def fold(self, old_id: int, into: int) -> None:
        """Make ``old_id`` (and its copies) copies of the newly written survivor ``into``."""
        articles = t.articles
        self.conn.execute(
            update(articles).where(articles.c.duplicate_of == old_id).values(duplicate_of=into)
        )
        search_index.remove(self.conn, old_id)  # while its row still says what was indexed
        self.conn.execute(
            update(articles).where(articles.c.id == old_id).values(duplicate_of=into, listed=False)
        )
        self.conn.execute(
            t.article_regions.delete().where(t.article_regions.c.article_id == old_id)
        )
        old_tags = select(t.article_tags.c.entity_id).where(t.article_tags.c.article_id == old_id)
        self.conn.execute(
            update(t.entities)
            .where(t.entities.c.id.in_(old_tags.scalar_subquery()))
            .values(article_count=t.entities.c.article_count - 1)
        )
        self.conn.execute(t.article_tags.delete().where(t.article_tags.c.article_id == old_id))
        story_id = self.conn.execute(
            select(articles.c.story_id).where(articles.c.id == into)
        ).scalar_one()
        count, publishers = story_counts(self.conn, [story_id]).get(story_id, (0, 0))
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == story_id)
            .values(article_count=count, publishers=publishers)
        )
        record_change(self.conn, None)  # the old copy leaves lists that are not all known here
