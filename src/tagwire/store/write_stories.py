"""The writer's rows for stories: the candidates an article's keys find (a merged story
answering as the one it is part of), a story's row, a new story, its growth and a merge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, func, select, update

from tagwire.store import schema as t
from tagwire.store.records import StoryRow
from tagwire.store.write_base import WriteBase, new_id, record_change

MAX_STORY_CANDIDATES = 30  # the stories sharing most keys; more never won in the evaluations
MAX_MERGE_CHAIN = 20  # a story merged into one merged into another...: far more than happens


def story_counts_query(story_ids: list[int]) -> Select[Any]:
    """Story id, listed articles and publishers of these stories (read from the story index
    alone: it carries the articles' sources)."""
    a = t.articles.c
    return (
        select(a.story_id, func.count(), func.count(func.distinct(a.source_id)))
        .where(a.story_id.in_(story_ids), a.listed.is_(True))
        .group_by(a.story_id)
    )


def story_counts(conn: Connection, story_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Listed articles and publishers of each of these stories that has listed articles."""
    rows = conn.execute(story_counts_query(story_ids))
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


class StoryWrites(WriteBase):
    """A part of ``writer.Writer``: stories."""

    def story_rows(self, keys: list[str], at: datetime, window: timedelta) -> list[StoryRow]:
        """Stories with an article within the window that shares a key with the new one,
        most shared keys first: found through the index, not by reading every story."""
        k = t.story_keys
        shared = func.count(func.distinct(k.c.key))
        hits = (
            select(k.c.story_id, shared.label("shared"))
            .where(k.c.key.in_(keys), k.c.at >= at - window, k.c.at <= at + window)
            .group_by(k.c.story_id)
            .order_by(shared.desc(), k.c.story_id.desc())
            .limit(MAX_STORY_CANDIDATES)
            .subquery()
        )
        found = self.conn.execute(
            select(t.stories)
            .join(hits, hits.c.story_id == t.stories.c.id)
            .order_by(hits.c.shared.desc(), t.stories.c.id.desc())
        ).all()
        # A story merged into another still has its index keys (moving them would need an
        # index on story_keys.story_id, paid by every article): it stands for the story it
        # became part of.
        candidates: dict[int, StoryRow] = {}
        for row in found:
            story = _story_row(row) if row.merged_into is None else self._merged_story(row)
            if story is not None:
                candidates.setdefault(story.id, story)
        return list(candidates.values())

    def _merged_story(self, row: Any) -> StoryRow | None:
        """The story a merged story became part of (merges can chain)."""
        for _ in range(MAX_MERGE_CHAIN):
            row = self.conn.execute(
                select(t.stories).where(t.stories.c.id == row.merged_into)
            ).first()
            if row is None or row.merged_into is None:
                return None if row is None else _story_row(row)
        return None

    def story_row(self, story_id: int) -> StoryRow:
        return _story_row(
            self.conn.execute(select(t.stories).where(t.stories.c.id == story_id)).one()
        )

    def story_of(self, article_id: int) -> int | None:
        story_id = self.conn.execute(
            select(t.articles.c.story_id).where(t.articles.c.id == article_id)
        ).scalar_one()
        return None if story_id is None else int(story_id)

    def publisher_in_story(self, story_id: int, source_id: int) -> bool:
        """Whether the story has a listed article of this publisher."""
        a = t.articles.c
        count = self.conn.execute(
            select(func.count())
            .select_from(t.articles)
            .where(a.story_id == story_id, a.source_id == source_id, a.listed.is_(True))
        ).scalar_one()
        return bool(count)

    def insert_story(self, story: StoryRow) -> int:
        """A new story (its id the database's); one article, one publisher."""
        return new_id(
            self.conn.execute(
                t.stories.insert().values(
                    title=story.title,
                    first_seen=story.first_seen,
                    last_seen=story.last_seen,
                    article_count=story.size,
                    publishers=1,
                    terms=story.terms,
                    entity_ids=sorted(story.entity_ids),
                    meaning=story.meaning,
                )
            )
        )

    def update_story(self, story: StoryRow, publishers: int) -> None:
        """A story's state after an article joined it, and its publishers."""
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == story.id)
            .values(
                first_seen=story.first_seen,
                last_seen=story.last_seen,
                article_count=story.size,
                publishers=publishers,
                terms=story.terms,
                entity_ids=sorted(story.entity_ids),
                meaning=story.meaning,
            )
        )

    def write_merge(self, keep: StoryRow, gone: int, similarity: float) -> None:
        """Story ``gone`` became part of ``keep`` (its state as the caller merged it): its
        articles move there and its counts are recounted. The gone story's row stays,
        pointing at the kept one, so that its id, its index keys and the explanations of its
        articles' decisions still lead somewhere."""
        a = t.articles.c
        moved_tags = self.conn.execute(
            select(t.article_tags.c.entity_id)
            .distinct()
            .join(t.articles, a.id == t.article_tags.c.article_id)
            .where(a.story_id == gone)
        ).scalars()
        record_change(self.conn, list(moved_tags))  # their cards show another story now
        self.conn.execute(update(t.articles).where(a.story_id == gone).values(story_id=keep.id))
        count, publishers = story_counts(self.conn, [keep.id]).get(keep.id, (0, 0))
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == keep.id)
            .values(
                first_seen=keep.first_seen,
                last_seen=keep.last_seen,
                article_count=count,
                publishers=publishers,
                terms=keep.terms,
                entity_ids=sorted(keep.entity_ids),
                meaning=keep.meaning,
            )
        )
        self.conn.execute(
            update(t.stories)
            .where(t.stories.c.id == gone)
            .values(merged_into=keep.id, merge_similarity=similarity, article_count=0)
        )


def _story_row(row: Any) -> StoryRow:
    return StoryRow(
        id=row.id,
        title=row.title,
        terms=dict(row.terms),
        entity_ids=frozenset(row.entity_ids),
        last_seen=row.last_seen,
        first_seen=row.first_seen,
        size=row.article_count,
        meaning=row.meaning,
        publishers=row.publishers,
    )
