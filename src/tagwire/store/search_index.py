"""The full-text index of listed articles: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Kept in the write transaction of the article (``ArticleWriter.insert_article`` adds, ``fold``
swaps the survivor), so search never shows a folded copy nor misses a listed article.
SQLite's index is an external-content FTS5 table over ``articles`` (no second copy of the
texts; the porter stemmer over unicode61 with diacritics removed); PostgreSQL's a table of
tsvectors (English configuration; title weighted A, text B). Both rank by relevance
(bm25 with the title counting five times; ts_rank_cd).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BindParameter, Connection, text

from tagwire.search import SearchQuery

MAX_TEXT_CHARS = 100_000  # a tsvector holds at most 1 MB; the start of a text is enough
# FTS5 merges an index's segments sixteen at a time instead of four (its 'automerge'): each
# posting is then rewritten fewer times as the index grows. Measured on 300,000 articles
# written 1,000 at a time (bench/scale.py's batches): 105 instead of 148 us of CPU an
# article, and the same query times (0 to 96 ms for seven searches, best of five).
FTS5_MERGE = 16


def create(conn: Connection) -> None:
    """Create the index (if missing) and fill it with every listed article."""
    if conn.dialect.name == "sqlite":
        exists = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'article_search'")
        ).first()
        if exists:
            return
        conn.execute(
            text(
                "CREATE VIRTUAL TABLE article_search USING fts5(title, text, "
                "content='articles', content_rowid='id', "
                "tokenize='porter unicode61 remove_diacritics 2')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO article_search(rowid, title, text) "
                "SELECT id, title, substr(text, 1, :n) FROM articles WHERE listed"
            ),
            {"n": MAX_TEXT_CHARS},
        )
        return
    conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS article_search ("
            " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
            " document TSVECTOR NOT NULL)"
        )
    )
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS ix_article_search ON article_search USING GIN (document)")
    )
    conn.execute(
        text(
            "INSERT INTO article_search (article_id, document) "
            f"SELECT id, {_PG_DOCUMENT} FROM articles WHERE listed "
            "ON CONFLICT (article_id) DO NOTHING"
        ),
        {"n": MAX_TEXT_CHARS},
    )


_PG_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', left(coalesce(text, ''), :n)), 'B')"
)


def merge_wider(conn: Connection) -> None:
    """Set SQLite's index to merge FTS5_MERGE segments at a time (kept in the index)."""
    if conn.dialect.name == "sqlite":
        conn.execute(
            text("INSERT INTO article_search(article_search, rank) VALUES ('automerge', :n)"),
            {"n": FTS5_MERGE},
        )


def rebuild(conn: Connection) -> None:
    """Index exactly the listed articles again (after a bulk copy)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO article_search(article_search) VALUES ('delete-all')"))
        conn.execute(
            text(
                "INSERT INTO article_search(rowid, title, text) "
                "SELECT id, title, substr(text, 1, :n) FROM articles WHERE listed"
            ),
            {"n": MAX_TEXT_CHARS},
        )
    else:
        conn.execute(text("DELETE FROM article_search"))
        create(conn)


def add(conn: Connection, article_id: int) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(
            text(
                "INSERT INTO article_search(rowid, title, text) "
                "SELECT id, title, substr(text, 1, :n) FROM articles WHERE id = :id"
            ),
            {"id": article_id, "n": MAX_TEXT_CHARS},
        )
    else:
        conn.execute(
            text(
                "INSERT INTO article_search (article_id, document) "
                f"SELECT id, {_PG_DOCUMENT} FROM articles WHERE id = :id "
                "ON CONFLICT (article_id) DO NOTHING"
            ),
            {"id": article_id, "n": MAX_TEXT_CHARS},
        )


def add_many(conn: Connection, article_ids: Sequence[int]) -> None:
    """Index these articles (a batch written at once: one statement per 500 ids)."""
    for i in range(0, len(article_ids), 500):
        ids = ",".join(str(int(a)) for a in article_ids[i : i + 500])  # ints: no injection
        if conn.dialect.name == "sqlite":
            sql = (
                "INSERT INTO article_search(rowid, title, text) "
                f"SELECT id, title, substr(text, 1, :n) FROM articles WHERE id IN ({ids})"
            )
        else:
            sql = (
                "INSERT INTO article_search (article_id, document) "
                f"SELECT id, {_PG_DOCUMENT} FROM articles WHERE id IN ({ids}) "
                "ON CONFLICT (article_id) DO NOTHING"
            )
        conn.execute(text(sql), {"n": MAX_TEXT_CHARS})


def remove(conn: Connection, article_id: int) -> None:
    """Out of the index (a survivor that became a copy); its row must still be stored."""
    if conn.dialect.name == "sqlite":
        # External content: FTS5 removes a row given the values it indexed.
        conn.execute(
            text(
                "INSERT INTO article_search(article_search, rowid, title, text) "
                "SELECT 'delete', id, title, substr(text, 1, :n) FROM articles WHERE id = :id"
            ),
            {"id": article_id, "n": MAX_TEXT_CHARS},
        )
    else:
        conn.execute(text("DELETE FROM article_search WHERE article_id = :id"), {"id": article_id})


def matches(
    conn: Connection,
    query: SearchQuery,
    where: str,
    params: dict[str, Any],
    typed: list[BindParameter[Any]],
    offset: int,
    limit: int,
    newest_first: bool,
) -> Sequence[int]:
    """Ids of listed articles matching ``query`` and the SQL condition ``where`` (on alias
    ``a`` for articles; bound parameters only), best first (or newest first)."""
    if conn.dialect.name == "sqlite":
        rank = "bm25(article_search, 5.0, 1.0)"  # lower is better
        order = "a.sort_at DESC, a.id DESC" if newest_first else f"{rank}, a.id DESC"
        sql = (
            "SELECT a.id FROM article_search JOIN articles a ON a.id = article_search.rowid "
            f"WHERE article_search MATCH :match AND a.listed AND {where} "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
        match = query.fts5()
    else:
        rank = "ts_rank_cd(s.document, websearch_to_tsquery('english', :match))"
        order = "a.sort_at DESC, a.id DESC" if newest_first else f"{rank} DESC, a.id DESC"
        sql = (
            "SELECT a.id FROM article_search s JOIN articles a ON a.id = s.article_id "
            "WHERE s.document @@ websearch_to_tsquery('english', :match) "
            f"AND a.listed AND {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
        match = query.websearch()
    statement = text(sql).bindparams(*typed)  # typed: times stored as each backend stores them
    values = params | {"match": match, "limit": limit, "offset": offset}
    return [int(r[0]) for r in conn.execute(statement, values)]
