"""Stories: one story with its tags, and why an article is in the story it is in."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from tagwire.errors import NotFound
from tagwire.store import schema as t
from tagwire.store.base import ENTITY, MAX_TAGS_PER_CARD, Base, entity_record
from tagwire.store.records import StoryChoice, StoryMerge, StoryRecord
from tagwire.store.write_stories import MAX_MERGE_CHAIN


class Stories(Base):
    """One story, and the story decision of an article."""

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
                r.id: entity_record(r)
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
            tags=tuple(entity_record(r) for r in tag_rows),
        )


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
