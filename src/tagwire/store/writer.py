"""Rows in, rows out, inside one write transaction: an article and what hangs on it, entities,
stories. No decision is made here (which copy survives, which entity a name is, what a
story becomes): the callers decide (``tagwire.ingest``: the pipeline, the import,
curation) and hand this writer the rows. So the store imports no stage
(tests/test_imports.py), and ingest and import write through the same methods.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, CursorResult, Select, bindparam, func, select, update

from tagwire.store import schema as t
from tagwire.store import search_index
from tagwire.store.curator import Curator
from tagwire.store.lookups import EntityLookups
from tagwire.store.records import NearRow, NewEntity, StoryRow
from tagwire.types import Mention, now_utc

MAX_CANDIDATES = 500
MAX_STORY_CANDIDATES = 30  # the stories sharing most keys; more never won in the evaluations
MAX_MERGE_CHAIN = 20  # a story merged into one merged into another...: far more than happens


CHANGES_KEPT = timedelta(days=1)  # longer than any cache's time to live
CHANGES_PRUNE_EVERY = 1000  # rows; the prune is one indexed delete


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


def record_change(conn: Connection, entity_ids: Iterable[int] | None) -> None:
    """Tell the web processes' response caches what a write changed: the pages of these tags
    (and every page not about a tag), or with None everything. In the writer's transaction,
    so a cache learns of a change exactly when its rows become visible."""
    ids = None if entity_ids is None else sorted(set(entity_ids))
    change_id = conn.execute(
        t.changes.insert().values(entity_ids=ids, at=now_utc())
    ).inserted_primary_key
    if change_id and int(change_id[0]) % CHANGES_PRUNE_EVERY == 0:
        conn.execute(t.changes.delete().where(t.changes.c.at < now_utc() - CHANGES_KEPT))


@dataclass(frozen=True, slots=True)
class Survivor:
    id: int
    sort_at: datetime
    story_id: int | None
    words: int


class Writer:
    """Bound to a connection inside a write transaction (see ``Store.rows``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lookups = EntityLookups(conn)

    # -- copies ----------------------------------------------------------------------------

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

    # -- entities --------------------------------------------------------------------------

    def blocked(self, ids: Iterable[int]) -> set[int]:
        """Which of these entities curation has blocked."""
        e = t.entities.c
        rows = self.conn.execute(select(e.id).where(e.id.in_(list(ids)), e.blocked.is_(True)))
        return {int(r.id) for r in rows}

    def aliases_taken(self, keys: Collection[str]) -> set[str]:
        """Which of these lookup keys answer for an entity already."""
        a = t.entity_aliases.c
        return set(self.conn.execute(select(a.key).where(a.key.in_(list(keys)))).scalars())

    def alias_taken(self, key: str) -> bool:
        return (
            self.conn.execute(
                select(t.entity_aliases.c.entity_id).where(t.entity_aliases.c.key == key)
            ).first()
            is not None
        )

    def add_alias(self, key: str, entity_id: int) -> None:
        """``key`` answers for the entity, unless it is empty or answers for one already."""
        if key and not self.alias_taken(key):
            self.conn.execute(t.entity_aliases.insert().values(key=key, entity_id=entity_id))

    def add_key(self, kind: str, key: str, entity_id: int) -> None:
        self.conn.execute(t.entity_keys.insert().values(kind=kind, key=key, entity_id=entity_id))

    def set_kind(self, entity_id: int, kind: str, surname: str | None) -> None:
        """The entity takes ``kind`` (and the family name that goes with it), unless another
        entity holds that kind with its key: the row's (kind, key) is unique."""
        e = t.entities.c
        key = select(e.key).where(e.id == entity_id).scalar_subquery()
        if self.conn.execute(select(e.id).where(e.kind == kind, e.key == key)).first():
            return
        self.conn.execute(
            update(t.entities).where(e.id == entity_id).values(kind=kind, surname=surname)
        )

    def create_entities(self, new: Sequence[NewEntity]) -> list[int]:
        """Write new entities with their keys and aliases, in a few statements; their ids in
        the same order."""
        if not new:
            return []
        rows = [
            {
                "slug": n.slug,
                "name": n.name,
                "kind": n.kind,
                "key": n.key,
                "created_at": now_utc(),
                "article_count": 0,
                "surname": n.surname,
                "blocked": False,
                "name_fixed": False,
                "country": n.country,
            }
            for n in new
        ]
        created = [
            int(i)
            for i in self.conn.execute(
                t.entities.insert().returning(t.entities.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        ]
        links = [
            {"key": a, "entity_id": entity_id}
            for n, entity_id in zip(new, created, strict=True)
            for a in n.aliases
        ]
        if links:
            self.conn.execute(t.entity_aliases.insert(), links)
        self.conn.execute(
            t.entity_keys.insert(),
            [
                {"kind": n.kind, "key": n.key, "entity_id": entity_id}
                for n, entity_id in zip(new, created, strict=True)
            ],
        )
        return created

    def entity_kinds(self, ids: Iterable[int]) -> dict[int, str]:
        e = t.entities.c
        rows = self.conn.execute(select(e.id, e.kind).where(e.id.in_(list(ids))))
        return {int(r.id): str(r.kind) for r in rows}

    def unfixed(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """(kind, display name) of these entities that curation has not renamed."""
        e = t.entities.c
        rows = self.conn.execute(
            select(e.id, e.kind, e.name).where(e.id.in_(list(ids)), e.name_fixed.is_(False))
        )
        return {int(r.id): (str(r.kind), str(r.name)) for r in rows}

    def mention_kinds(self, ids: Iterable[int]) -> dict[int, dict[str, int]]:
        """How many stored mentions of each entity carry each kind (mentions stored before
        schema 12 carry none)."""
        mn = t.mentions.c
        votes: dict[int, dict[str, int]] = {}
        rows = self.conn.execute(
            select(mn.entity_id, mn.kind, func.count())
            .where(mn.entity_id.in_(list(ids)), mn.kind.is_not(None))
            .group_by(mn.entity_id, mn.kind)
        )
        for entity_id, kind, count in rows:
            votes.setdefault(int(entity_id), {})[str(kind)] = int(count)
        return votes

    def count_name_forms(self, forms: Mapping[int, Mapping[str, int]]) -> dict[int, dict[str, int]]:
        """More uses of each form per entity; returns every stored form's uses of these
        entities, counted."""
        n = t.entity_names.c
        rows = self.conn.execute(
            select(n.entity_id, n.name, n.uses).where(n.entity_id.in_(list(forms)))
        ).all()
        uses: dict[int, dict[str, int]] = {}
        for row in rows:
            uses.setdefault(int(row.entity_id), {})[row.name] = int(row.uses)
        seen = [
            (e, name, k)
            for e, names in forms.items()
            for name, k in names.items()
            if name in uses.get(e, {})
        ]
        new = [
            (e, name, k)
            for e, names in forms.items()
            for name, k in names.items()
            if name not in uses.get(e, {})
        ]
        if seen:
            self.conn.execute(
                update(t.entity_names)
                .where(n.entity_id == bindparam("e"), n.name == bindparam("n"))
                .values(uses=n.uses + bindparam("k")),
                [{"e": e, "n": name, "k": k} for e, name, k in seen],
            )
        if new:
            self.conn.execute(
                t.entity_names.insert(),
                [{"entity_id": e, "name": name, "uses": k} for e, name, k in new],
            )
        for e, name, k in (*seen, *new):
            uses.setdefault(e, {})[name] = uses.get(e, {}).get(name, 0) + k
        return uses

    def set_name(self, entity_id: int, name: str) -> None:
        """A new display name (the slug stays: PRODUCT.md)."""
        self.conn.execute(update(t.entities).where(t.entities.c.id == entity_id).values(name=name))

    # -- stories ---------------------------------------------------------------------------

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
        return _new_id(
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

    def changed(self, entity_ids: Iterable[int] | None) -> None:
        """``record_change`` in this transaction."""
        record_change(self.conn, entity_ids)

    def curator(self) -> Curator:
        """Curation's rows on this transaction (an import's learned alias may merge)."""
        return Curator(self.conn)

    # -- articles --------------------------------------------------------------------------

    def insert_article_row(self, row: Mapping[str, Any]) -> int:
        """An ``articles`` row (``tagwire.ingest.rows.article_row`` makes it); its id."""
        return _new_id(self.conn.execute(t.articles.insert().values(**row)))

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


def _new_id(result: CursorResult[object]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


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
