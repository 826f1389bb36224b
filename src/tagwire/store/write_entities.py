"""The writer's rows for entities: blocked ones, aliases and keys, kinds, new entities with
their keys and aliases, the kinds their mentions voted for, name forms and display names."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from sqlalchemy import bindparam, func, select, update

from tagwire.store import schema as t
from tagwire.store.records import NewEntity
from tagwire.store.write_base import WriteBase
from tagwire.types import now_utc


class EntityWrites(WriteBase):
    """A part of ``writer.Writer``: entities."""

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
