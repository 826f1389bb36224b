"""What identity decisions read of the store, on one connection: rows in, rows out, no
decision. ``tagwire.ingest.tagging.IdentityLookups`` answers ``entities.identity.Lookups``
with it (the store imports no stage, so it returns its own records). The writer asks inside
its transaction; tag lookups ask on a read connection."""

from __future__ import annotations

from sqlalchemy import Connection, select

from tagwire.store import schema as t
from tagwire.store.records import KnownRow


class EntityLookups:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stored_keys(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        k = t.entity_keys.c
        rows = self.conn.execute(
            select(k.kind, k.key, k.entity_id).where(k.key.in_({key for _, key in keys}))
        )
        return {(r.kind, r.key): int(r.entity_id) for r in rows if (r.kind, r.key) in keys}

    def alias_ids(self, forms: set[str]) -> dict[str, int]:
        a = t.entity_aliases.c
        rows = self.conn.execute(select(a.key, a.entity_id).where(a.key.in_(forms)))
        return {str(r.key): int(r.entity_id) for r in rows}

    def people_named(self, family: str) -> list[KnownRow]:
        return self.people_of({family}).get(family, [])

    def people_of(self, families: set[str]) -> dict[str, list[KnownRow]]:
        """``people_named`` for several family names in one query."""
        if not families:
            return {}
        e, k = t.entities.c, t.entity_keys.c
        alone = select(k.entity_id, k.key).where(k.kind == "person", k.key.in_(families))
        by_key = {int(r.entity_id): str(r.key) for r in self.conn.execute(alone)}
        rows = self.conn.execute(
            select(e.id, e.name, e.kind, e.article_count, e.surname).where(
                e.kind == "person", e.surname.in_(families) | e.id.in_(list(by_key))
            )
        )
        found: dict[str, list[KnownRow]] = {}
        for r in rows:
            known = KnownRow(int(r.id), str(r.name), str(r.kind), int(r.article_count))
            for family in {r.surname, by_key.get(int(r.id))} & families:
                found.setdefault(str(family), []).append(known)
        return found

    def kind_of(self, entity_id: int) -> str:
        e = t.entities.c
        return str(self.conn.execute(select(e.kind).where(e.id == entity_id)).scalar_one())

    def entity_name(self, entity_id: int) -> str:
        e = t.entities.c
        return str(self.conn.execute(select(e.name).where(e.id == entity_id)).scalar_one())
