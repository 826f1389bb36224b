"""Ordered schema migrations. Each runs once, in order, in its own transaction, and is
recorded in ``schema_version``; a new change is a new function appended to MIGRATIONS,
never an edit of an old one."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, func, inspect, select, text

from tagwire.store import schema
from tagwire.store.frozen import country_of, name_key, surname, write_regions
from tagwire.types import now_utc


def _v1_initial(conn: Connection) -> None:
    tables = [t for t in schema.metadata.sorted_tables if t.name != "schema_version"]
    schema.metadata.create_all(conn, tables=tables)


def _v2_name_forms(conn: Connection) -> None:
    """Display names follow the most common full form (entity_names, entities.name_fixed);
    entity keys ignore the accents of Latin letters ("Erdoğan" = "Erdogan"), and those of
    organisations and places their word breaks ("Hewlett-Packard" = "Hewlett Packard")."""
    if not inspect(conn).has_table("entity_names"):
        schema.entity_names.create(conn)
    _add_columns(conn, "entities", ["name_fixed BOOLEAN NOT NULL DEFAULT FALSE"])
    m, a, n = schema.mentions.c, schema.articles.c, schema.entity_names.c
    if conn.execute(select(func.count()).select_from(schema.entity_names)).scalar_one() == 0:
        uses = (
            select(m.entity_id, m.name, func.count(func.distinct(m.article_id)))
            .join(schema.articles, a.id == m.article_id)
            .where(a.listed.is_(True))
            .group_by(m.entity_id, m.name)
        )
        conn.execute(schema.entity_names.insert().from_select([n.entity_id, n.name, n.uses], uses))
    _refold_entity_keys(conn)
    e = schema.entities.c
    for entity_id, name, family in conn.execute(
        select(e.id, e.name, e.surname).where(e.kind == "person")
    ).all():
        if surname(name) != family:
            conn.execute(
                schema.entities.update().where(e.id == entity_id).values(surname=surname(name))
            )


def _refold_entity_keys(conn: Connection) -> None:
    k = schema.entity_keys.c
    rows = conn.execute(select(k.kind, k.key, k.entity_id)).all()
    kept = {(r.kind, r.key) for r in rows}
    for kind, key, entity_id in rows:
        new = _refold(kind, key)
        if new == key:
            continue
        conn.execute(schema.entity_keys.delete().where(k.kind == kind, k.key == key))
        kept.discard((kind, key))
        if (kind, new) not in kept:  # a second entity with the folded key keeps its slug
            kept.add((kind, new))
            conn.execute(
                schema.entity_keys.insert().values(kind=kind, key=new, entity_id=entity_id)
            )
    e = schema.entities.c
    entities = conn.execute(select(e.id, e.kind, e.key)).all()
    taken = {(r.kind, r.key) for r in entities}
    for entity_id, kind, key in entities:
        new = _refold(kind, key)
        if new != key and (kind, new) not in taken:
            taken.add((kind, new))
            conn.execute(schema.entities.update().where(e.id == entity_id).values(key=new))


def _refold(kind: str, key: str) -> str:
    """A schema-1 key as `entity_key` makes it now (the key is all that is stored)."""
    words = [name_key(w) for w in key.split()]
    if kind == "person":
        return " ".join(sorted(words) if len(words) <= 3 else words)
    return "".join(words)  # other entities' keys ignore word breaks


def _v3_feed_schedule(conn: Connection) -> None:
    """Per-feed intervals and back-off (feeds.interval_seconds, publish_gap, failing_since)
    and paused sources (sources.paused_at, paused_reason)."""
    _add_columns(conn, "feeds", ["interval_seconds FLOAT", "publish_gap FLOAT"])
    _add_columns(conn, "feeds", [f"failing_since {_timestamp(conn)}"])
    _add_columns(conn, "sources", [f"paused_at {_timestamp(conn)}", "paused_reason TEXT"])


def _timestamp(conn: Connection) -> str:
    return "DATETIME" if conn.dialect.name == "sqlite" else "TIMESTAMP WITH TIME ZONE"


def _add_columns(conn: Connection, table: str, columns: list[str]) -> None:
    """Add the columns a table lacks (a fresh database has them from schema 1 already)."""
    present = {c["name"] for c in inspect(conn).get_columns(table)}
    for column in columns:
        if column.split()[0] not in present:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column}"))


def _v4_editions_and_search(conn: Connection) -> None:
    """Editions (entities.country, article_regions) and the full-text index, filled from
    what is stored."""
    from tagwire.store import search_index

    _add_columns(conn, "entities", ["country VARCHAR(2)"])
    e = schema.entities.c
    for entity_id, name in conn.execute(select(e.id, e.name).where(e.kind == "place")).all():
        code = country_of(name)
        if code:
            conn.execute(schema.entities.update().where(e.id == entity_id).values(country=code))
    if not inspect(conn).has_table("article_regions"):
        schema.article_regions.create(conn)
    a = schema.articles.c
    listed = select(a.id).where(a.listed.is_(True)).order_by(a.id)
    for (article_id,) in conn.execute(listed).all():
        write_regions(conn, int(article_id))
    search_index.create(conn)


def _v5_webhooks(conn: Connection) -> None:
    for table in (schema.webhooks, schema.webhook_deliveries):
        table.create(conn, checkfirst=True)


def _v6_changes(conn: Connection) -> None:
    """The changes log of the response caches, and a covering index for the tags of cards."""
    schema.changes.create(conn, checkfirst=True)
    conn.execute(text("DROP INDEX IF EXISTS ix_article_tags_article"))
    for index in schema.article_tags.indexes:
        index.create(conn, checkfirst=True)


def _v7_story_meaning(conn: Connection) -> None:
    """Stories keep the mean of their articles' headline vectors and can merge; articles keep
    their own story decision (schema.stories and schema.articles say what each column is).
    Stories stored before get a vector from the next article that joins them."""
    blob = "BLOB" if conn.dialect.name == "sqlite" else "BYTEA"
    _add_columns(
        conn, "stories", [f"meaning {blob}", "merged_into INTEGER", "merge_similarity FLOAT"]
    )
    _add_columns(
        conn, "articles", ["story_origin INTEGER", "story_started BOOLEAN", "story_meaning FLOAT"]
    )


def _v8_story_counts_index(conn: Connection) -> None:
    """A story's index carries the articles' sources: counting a story's listed articles
    and publishers, after every article that joins it, read an article row for each (at a
    million articles, a tenth of an import's time went to reading them back)."""
    conn.execute(text("DROP INDEX IF EXISTS ix_articles_story_sort"))
    index = next(i for i in schema.articles.indexes if i.name == "ix_articles_story_sort")
    index.create(conn)


def _v9_search_merges(conn: Connection) -> None:
    """The full-text index merges wider (search_index.FTS5_MERGE)."""
    from tagwire.store import search_index

    search_index.merge_wider(conn)


def _v10_near_dup_keys_one_tree(conn: Connection) -> None:
    """The near-duplicate keys in one B-tree by (key, time, article), without the foreign
    key and the index by article (schema.near_dup_keys says why); the keys are copied."""
    conn.execute(text("ALTER TABLE near_dup_keys RENAME TO near_dup_keys_old"))
    for index in ("ix_near_dup_keys_key", "ix_near_dup_keys_article"):
        conn.execute(text(f"DROP INDEX IF EXISTS {index}"))
    schema.near_dup_keys.create(conn)
    columns = "key, sort_at, article_id"
    copy = f"SELECT {columns} FROM near_dup_keys_old ORDER BY {columns}"  # the tree in order
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"INSERT OR IGNORE INTO near_dup_keys ({columns}) {copy}"))
    else:
        conn.execute(text(f"INSERT INTO near_dup_keys ({columns}) {copy} ON CONFLICT DO NOTHING"))
    conn.execute(text("DROP TABLE near_dup_keys_old"))


def _v11_one_entity_per_identity(conn: Connection) -> None:
    """One entity per identity, whatever label the model gave (entities/identity.py): the
    entities whose names are equal once case, accents, dots, hyphens and spaces are set
    aside ("Apple" the organisation and "Apple" the place, "JaneDoe" and its
    "JaneDoeOrganization") become the one with the most articles; the others' slugs and
    spellings answer for it. The identity is computed here by a frozen copy of the rule."""
    e = schema.entities.c
    groups: dict[str, list[Row[Any, Any, Any]]] = {}
    for row in conn.execute(select(e.id, e.name, e.article_count).order_by(e.id)):
        groups.setdefault(_identity_v11(str(row.name)), []).append(row)
    for rows in groups.values():
        if len(rows) > 1:
            keep = max(rows, key=lambda r: (r.article_count, -r.id))
            for gone in rows:
                if gone.id != keep.id:
                    _merge_v11(conn, int(keep.id), int(gone.id))


def _identity_v11(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


def _merge_v11(conn: Connection, keep: int, gone: int) -> None:
    tags, n, e = schema.article_tags, schema.entity_names.c, schema.entities.c
    both = select(tags.c.article_id).where(tags.c.entity_id == keep)
    conn.execute(tags.delete().where(tags.c.entity_id == gone, tags.c.article_id.in_(both)))
    for table in (
        tags,
        schema.mentions,
        schema.entity_keys,
        schema.entity_aliases,
        schema.webhooks,
    ):
        conn.execute(table.update().where(table.c.entity_id == gone).values(entity_id=keep))
    there = {
        str(r.name): int(r.uses)
        for r in conn.execute(select(n.name, n.uses).where(n.entity_id == keep))
    }
    for form, uses in conn.execute(select(n.name, n.uses).where(n.entity_id == gone)).all():
        conn.execute(schema.entity_names.delete().where(n.entity_id == gone, n.name == form))
        if form in there:
            conn.execute(
                schema.entity_names.update()
                .where(n.entity_id == keep, n.name == form)
                .values(uses=n.uses + uses)
            )
        else:
            conn.execute(schema.entity_names.insert().values(entity_id=keep, name=form, uses=uses))
    conn.execute(schema.entities.delete().where(e.id == gone))
    count = select(func.count()).select_from(tags).where(tags.c.entity_id == keep)
    conn.execute(
        schema.entities.update().where(e.id == keep).values(article_count=count.scalar_subquery())
    )


def _v12_mention_kinds(conn: Connection) -> None:
    """Each mention keeps the kind its article's resolution gave it, so that an entity's
    kind follows the votes of all its articles, not the first one's (older mentions have
    none and do not vote)."""
    _add_columns(conn, "mentions", ["kind VARCHAR(20)"])


# Places the press names two ways that are now one entity, by the name kept (a frozen copy
# of entities/places.py's city aliases when this migration was written).
_ONE_PLACE_V13 = {"New York City": "New York"}


def _v13_one_place_per_name(conn: Connection) -> None:
    """ "New York City" and "New York" are one place (#NewYork): the entity of the other name
    joins it with every article, mention and spelling, its slug answering; where only the
    other name's entity exists, it takes the kept name and its key."""
    e, k = schema.entities.c, schema.entity_keys.c
    for other, kept in _ONE_PLACE_V13.items():
        gone = conn.execute(select(e.id).where(e.name == other, e.kind == "place")).scalars()
        for gone_id in list(gone):
            keep = conn.execute(
                select(e.id).where(e.name == kept, e.kind == "place").order_by(e.id)
            ).scalar()
            if keep is not None:
                _merge_v11(conn, int(keep), int(gone_id))
                continue
            key = _identity_v11(kept)
            conn.execute(schema.entities.update().where(e.id == gone_id).values(name=kept))
            if not conn.execute(select(k.entity_id).where(k.kind == "place", k.key == key)).first():
                conn.execute(
                    schema.entity_keys.insert().values(kind="place", key=key, entity_id=gone_id)
                )
            a = schema.entity_aliases.c
            if not conn.execute(select(a.entity_id).where(a.key == key)).first():
                conn.execute(schema.entity_aliases.insert().values(key=key, entity_id=gone_id))


MIGRATIONS: tuple[tuple[int, Callable[[Connection], None]], ...] = (
    (1, _v1_initial),
    (2, _v2_name_forms),
    (3, _v3_feed_schedule),
    (4, _v4_editions_and_search),
    (5, _v5_webhooks),
    (6, _v6_changes),
    (7, _v7_story_meaning),
    (8, _v8_story_counts_index),
    (9, _v9_search_merges),
    (10, _v10_near_dup_keys_one_tree),
    (11, _v11_one_entity_per_identity),
    (12, _v12_mention_kinds),
    (13, _v13_one_place_per_name),
)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(conn: Connection) -> list[int]:
    """Apply the migrations not yet applied; return their numbers."""
    schema.schema_version.create(conn, checkfirst=True)
    done = current_version(conn)
    applied = []
    for version, step in MIGRATIONS:
        if version > done:
            step(conn)
            conn.execute(
                schema.schema_version.insert().values(version=version, applied_at=now_utc())
            )
            applied.append(version)
    return applied
