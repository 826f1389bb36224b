"""The rows of curation (``tagwire curate FILE``): merges, renames, splits and blocks of
entities, applied to every stored article. What moves is decided by
``tagwire.ingest.tagging.EntityCurator``; an import's learned abbreviation merges through
``merge`` too."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from tagwire.store import schema as t
from tagwire.types import EntityKind, Mention


class Curator:
    """The rows of curation's merges, renames, splits and blocks of entities (what to move
    is decided by ``tagwire.ingest.tagging.EntityCurator``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def merge(self, keep: int, gone: int) -> None:
        """``gone`` becomes ``keep`` everywhere; its slug and spellings answer for ``keep``."""
        tags = t.article_tags
        both = select(tags.c.article_id).where(tags.c.entity_id == keep)
        self.conn.execute(
            tags.delete().where(tags.c.entity_id == gone, tags.c.article_id.in_(both))
        )
        self.conn.execute(update(tags).where(tags.c.entity_id == gone).values(entity_id=keep))
        for table in (t.mentions, t.entity_keys, t.entity_aliases):
            self.conn.execute(update(table).where(table.c.entity_id == gone).values(entity_id=keep))
        self.move_name_forms(gone, keep, None)
        self.conn.execute(t.entities.delete().where(t.entities.c.id == gone))
        self.recount(keep)

    def kind_and_key(self, entity_id: int) -> tuple[str, str, str]:
        """An entity's kind, key and slug."""
        e = t.entities.c
        row = self.conn.execute(select(e.kind, e.key, e.slug).where(e.id == entity_id)).one()
        return str(row.kind), str(row.key), str(row.slug)

    def keys_held(self, kind: str, keys: Collection[str]) -> dict[str, int]:
        """The entity holding each of these keys of one kind."""
        k = t.entity_keys.c
        rows = self.conn.execute(
            select(k.key, k.entity_id).where(k.kind == kind, k.key.in_(list(keys)))
        )
        return {str(r.key): int(r.entity_id) for r in rows}

    def mention_names(self, entity_id: int) -> list[tuple[int, int, str]]:
        """(mention id, article id, resolved name) of an entity's mentions."""
        m = t.mentions.c
        rows = self.conn.execute(select(m.id, m.article_id, m.name).where(m.entity_id == entity_id))
        return [(int(r.id), int(r.article_id), str(r.name)) for r in rows]

    def drop_keys(self, kind: str, keys: Collection[str]) -> None:
        k = t.entity_keys.c
        self.conn.execute(t.entity_keys.delete().where(k.kind == kind, k.key.in_(list(keys))))

    def drop_aliases(self, entity_id: int, keys: Collection[str]) -> None:
        a = t.entity_aliases.c
        self.conn.execute(
            t.entity_aliases.delete().where(a.key.in_(list(keys)), a.entity_id == entity_id)
        )

    def add_keys(self, kind: str, keys: Collection[str], entity_id: int) -> None:
        if keys:
            self.conn.execute(
                t.entity_keys.insert(),
                [{"kind": kind, "key": key, "entity_id": entity_id} for key in keys],
            )

    def fix_name(self, entity_id: int, name: str | None = None) -> None:
        """The display name no longer follows the most common form (and is ``name``, if
        given)."""
        values: dict[str, Any] = {"name_fixed": True}
        if name is not None:
            values["name"] = name
        self.conn.execute(update(t.entities).where(t.entities.c.id == entity_id).values(**values))

    def move_mentions(self, mention_ids: Collection[int], entity_id: int) -> None:
        if mention_ids:
            m = t.mentions.c
            self.conn.execute(
                update(t.mentions).where(m.id.in_(list(mention_ids))).values(entity_id=entity_id)
            )

    def move_name_forms(self, old: int, new: int, which: Collection[str] | None) -> None:
        """The counted name forms of ``old`` (those in ``which``, or all) go to ``new``."""
        n = t.entity_names.c
        rows = self.conn.execute(select(n.name, n.uses).where(n.entity_id == old)).all()
        there = dict(self.conn.execute(select(n.name, n.uses).where(n.entity_id == new)).all())
        for form, uses in rows:
            if which is not None and form not in which:
                continue
            self.conn.execute(t.entity_names.delete().where(n.entity_id == old, n.name == form))
            if form in there:
                self.conn.execute(
                    update(t.entity_names)
                    .where(n.entity_id == new, n.name == form)
                    .values(uses=n.uses + uses)
                )
            else:
                self.conn.execute(
                    t.entity_names.insert().values(entity_id=new, name=form, uses=uses)
                )

    def name_forms(self, entity_id: int) -> list[str]:
        """The name forms counted for an entity."""
        n = t.entity_names.c
        return [
            str(f)
            for f in self.conn.execute(select(n.name).where(n.entity_id == entity_id)).scalars()
        ]

    def listed_times(self, article_ids: Collection[int]) -> dict[int, datetime]:
        """The sort times of those of these articles that are listed."""
        ar = t.articles.c
        return {
            int(i): at
            for i, at in self.conn.execute(
                select(ar.id, ar.sort_at).where(ar.id.in_(list(article_ids)), ar.listed.is_(True))
            ).all()
        }

    def unblocked_mentions(
        self, article_ids: Collection[int]
    ) -> dict[int, list[tuple[int, Mention]]]:
        """(entity id, mention) of these articles' mentions of entities not blocked, in text
        order, by article."""
        m = t.mentions.c
        found: dict[int, list[tuple[int, Mention]]] = {a: [] for a in article_ids}
        rows = self.conn.execute(
            select(m.article_id, m.entity_id, m.surface, m.name, m.start, m.end, m.in_title)
            .add_columns(t.entities.c.kind)
            .join(t.entities, t.entities.c.id == m.entity_id)
            .where(m.article_id.in_(list(article_ids)), t.entities.c.blocked.is_(False))
            .order_by(m.article_id, m.start)
        )
        for r in rows:
            mention = Mention(
                r.surface, r.name, EntityKind(r.kind), r.start, r.end, bool(r.in_title)
            )
            found[int(r.article_id)].append((int(r.entity_id), mention))
        return found

    def replace_tags(self, article_ids: Collection[int], rows: Sequence[Mapping[str, Any]]) -> None:
        tags = t.article_tags
        self.conn.execute(tags.delete().where(tags.c.article_id.in_(list(article_ids))))
        if rows:
            self.conn.execute(tags.insert(), list(rows))

    def block(self, entity_id: int) -> None:
        """Never a tag again, on stored articles or new ones; mentions are kept."""
        self.conn.execute(
            update(t.entities).where(t.entities.c.id == entity_id).values(blocked=True)
        )
        self.conn.execute(t.article_tags.delete().where(t.article_tags.c.entity_id == entity_id))
        self.recount(entity_id)

    def recount(self, entity_id: int) -> None:
        count = (
            select(func.count())
            .select_from(t.article_tags)
            .where(t.article_tags.c.entity_id == entity_id)
            .scalar_subquery()
        )
        self.conn.execute(
            update(t.entities).where(t.entities.c.id == entity_id).values(article_count=count)
        )
