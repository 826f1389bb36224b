"""The writer's rows for an article and what hangs on it: its row, URLs, the rows of its
keys, mentions and tags, tag counts, editions, the search index and webhook deliveries."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from tagwire.store import schema as t
from tagwire.store import search_index
from tagwire.store.write_base import WriteBase, new_id
from tagwire.types import Mention, now_utc


class ArticleWrites(WriteBase):
    """A part of ``writer.Writer``: articles."""

    def insert_article_row(self, row: Mapping[str, Any]) -> int:
        """An ``articles`` row (``tagwire.ingest.rows.article_row`` makes it); its id."""
        return new_id(self.conn.execute(t.articles.insert().values(**row)))

    def story_of_copy(self, article_id: int) -> int | None:
        """The story of the article a new copy folds under."""
        found = self.conn.execute(
            select(t.articles.c.story_id).where(t.articles.c.id == article_id)
        ).scalar_one()
        return None if found is None else int(found)

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows of a table that hangs on articles (story_keys, near_dup_keys, mentions,
        article_tags, article_regions), as given."""
        if rows:
            self.conn.execute(_ARTICLE_TABLES[table].insert(), list(rows))

    def add_urls(self, urls: Iterable[str], article_id: int) -> None:
        """The URLs of a new article that no article has yet."""
        wanted = set(urls)
        taken = set(
            self.conn.execute(select(t.article_urls.c.url).where(t.article_urls.c.url.in_(wanted)))
            .scalars()
            .all()
        )
        if wanted - taken:
            self.conn.execute(
                t.article_urls.insert(),
                [{"url": url, "article_id": article_id} for url in sorted(wanted - taken)],
            )

    def count_tags(self, entity_ids: Collection[int]) -> None:
        """One more listed article for each of these entities."""
        if entity_ids:
            self.conn.execute(
                update(t.entities)
                .where(t.entities.c.id.in_(list(entity_ids)))
                .values(article_count=t.entities.c.article_count + 1)
            )

    def tag_countries(self, article_id: int) -> list[str]:
        """The countries of the places among an article's tags."""
        e, tags = t.entities.c, t.article_tags.c
        return list(
            self.conn.execute(
                select(e.country)
                .join(t.article_tags, tags.entity_id == e.id)
                .where(tags.article_id == article_id, e.country.is_not(None))
            ).scalars()
        )

    def source_region(self, article_id: int) -> tuple[datetime, str | None]:
        """An article's sort time and its publisher's region."""
        a, s = t.articles.c, t.sources.c
        row = self.conn.execute(
            select(a.sort_at, s.region)
            .join(t.sources, s.id == a.source_id)
            .where(a.id == article_id)
        ).one()
        return row.sort_at, row.region

    def set_regions(self, article_id: int, sort_at: datetime, regions: Iterable[str]) -> None:
        """(Re)write the editions a listed article appears in."""
        self.conn.execute(
            t.article_regions.delete().where(t.article_regions.c.article_id == article_id)
        )
        rows = [{"region": r, "article_id": article_id, "sort_at": sort_at} for r in regions]
        if rows:
            self.conn.execute(t.article_regions.insert(), rows)

    def index_for_search(self, article_id: int) -> None:
        search_index.add(self.conn, article_id)

    def queue_webhooks(self, article_id: int, entity_ids: list[int]) -> None:
        """A delivery for each webhook of these tags."""
        if not entity_ids:
            return
        hooks = self.conn.execute(
            select(t.webhooks.c.id).where(t.webhooks.c.entity_id.in_(entity_ids))
        ).scalars()
        rows = [
            {
                "webhook_id": hook,
                "article_id": article_id,
                "attempts": 0,
                "next_attempt_at": now_utc(),
            }
            for hook in dict.fromkeys(hooks)
        ]
        if rows:
            self.conn.execute(t.webhook_deliveries.insert(), rows)


_ARTICLE_TABLES = {
    table.name: table
    for table in (t.story_keys, t.near_dup_keys, t.mentions, t.article_tags, t.article_regions)
}


def mention_row(article_id: int, entity_id: int, mention: Mention) -> dict[str, Any]:
    """A ``mentions`` row (texts cut to the column's 300 characters)."""
    return {
        "article_id": article_id,
        "entity_id": entity_id,
        "surface": mention.surface[:300],
        "name": mention.name[:300],
        "start": mention.start,
        "end": mention.end,
        "in_title": mention.in_title,
        "kind": mention.kind.value,
    }
