"""Articles as lists of cards (a tag's, an edition's, a source's, a story's, a category's,
a search's), one article, and what explains it (mentions, alias evidence)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, and_, bindparam, func, or_, select

from tagwire.errors import NotFound, StoreError
from tagwire.search import SearchQuery
from tagwire.store import schema as t
from tagwire.store import search_index
from tagwire.store.base import ENTITY, MAX_TAGS_PER_CARD, Base, entity_record
from tagwire.store.records import ArticleRecord, CardRecord, EntityRecord, MentionRecord
from tagwire.types import now_utc

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


class BadCursor(StoreError, ValueError):
    pass


class Page:
    """One page of a list: items and the cursor of the next page (or None)."""

    def __init__(self, items: list[CardRecord], next_cursor: str | None) -> None:
        self.items = items
        self.next_cursor = next_cursor


class Articles(Base):
    """Lists of cards by keyset pages, search, one article and its explanations."""

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
            tags.setdefault(r.article_id, []).append(entity_record(r))
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
