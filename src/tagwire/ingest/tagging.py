"""Which entity each of an article's names is, and what that changes in the entities' rows:
the decisions the store's ``Writer`` used to make inside its transaction, now made here over
what the store reads and handed back to it as rows (``store/write_entities.py`` writes
them). Ingest (``ingest.writer.ArticleWriter``), the import (``backfill.store_side``) and
curation (``EntityCurator``) all call these.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import chain
from typing import Any

from tagwire.entities.hashtags import lookup_key, slugify
from tagwire.entities.identity import (
    Known,
    family_name,
    identify,
    known_by_abbreviation_only,
    lookup_keys,
    short_forms,
    voted_kind,
    without_place,
)
from tagwire.entities.names import display_name, entity_key, surname
from tagwire.entities.ner import salience
from tagwire.entities.places import country_of
from tagwire.errors import ConfigError
from tagwire.ingest.rows import RowStore, regions, tag_rows
from tagwire.store.curator import Curator
from tagwire.store.lookups import EntityLookups
from tagwire.store.records import KnownRow, NewEntity
from tagwire.store.writer import Writer


class IdentityLookups:
    """``entities.identity.Lookups`` answered by the store's ``EntityLookups`` (which
    returns its own records: the store imports no stage)."""

    def __init__(self, rows: EntityLookups) -> None:
        self.rows = rows

    def stored_keys(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return self.rows.stored_keys(keys)

    def alias_ids(self, forms: set[str]) -> dict[str, int]:
        return self.rows.alias_ids(forms)

    def people_named(self, family: str) -> list[Known]:
        return [_known(r) for r in self.rows.people_named(family)]

    def people_of(self, families: set[str]) -> dict[str, list[Known]]:
        return {f: [_known(r) for r in rows] for f, rows in self.rows.people_of(families).items()}

    def kind_of(self, entity_id: int) -> str:
        return self.rows.kind_of(entity_id)


def _known(row: KnownRow) -> Known:
    return Known(row.id, row.name, row.kind, row.articles)


def entity_ids(w: Writer, names: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of (kind, name) pairs: ``entities.identity.identify`` decides from what the store
    knows; the writer writes the plan: new keys, changed kinds, and new entities with their
    slugs and aliases in a few statements."""
    wanted = {(kind, name): entity_key(name, kind) for kind, name in dict.fromkeys(names)}
    if not wanted:
        return {}
    plan = identify(wanted, IdentityLookups(w.lookups))
    for kind, key, entity_id, form in plan.new_keys:
        w.add_key(kind, key, entity_id)
        if form is not None:
            w.add_alias(lookup_key(form), entity_id)  # /tags/BillClinton answers too
    for entity_id, kind, name in plan.new_kinds:
        set_kind(w, entity_id, kind, name)
    found = dict(plan.found)
    if plan.create:
        found.update(create_entities(w, plan.create))
    return {(kind, name): found[(kind, key)] for (kind, name), key in wanted.items()}


def resolution_rounds(
    articles: Sequence[Sequence[tuple[str, str]]],
) -> list[list[tuple[str, str]]]:
    """The (kind, name) pairs new to the store that a run of articles names (each article's
    in order), cut into rounds for ``entity_ids`` so that a batch of articles resolves its
    names as ingest would one article after the other: ``identify`` asked about two names
    at once does not see the entity it creates for the first when it decides the second, so
    a name that may be the same entity as a name of an earlier article ("Zorbia" the place,
    then "Zorbia" the organisation; "William Jefferson Clinton", then "Bill Clinton") goes
    in a later round than it, and the names of one article that may be one entity stay
    together, as in ingest's one call per article. "May be" is judged by what identity
    looks at: the keys under every kind, the lookup keys of the name and its slug, a
    person's family name. Most batches need one round."""
    token_round: dict[tuple[str, str], int] = {}  # earlier articles' names, by token
    round_of: dict[tuple[str, str], int] = {}
    for names in articles:
        fresh = [n for n in dict.fromkeys(names) if n not in round_of]
        tokens = {n: _identity_tokens(*n) for n in fresh}
        base = {
            n: max((token_round[t] + 1 for t in tokens[n] if t in token_round), default=0)
            for n in fresh
        }
        group: dict[tuple[str, str], tuple[str, str]] = {n: n for n in fresh}
        root = partial(_root, group)
        first: dict[tuple[str, str], tuple[str, str]] = {}
        for n in fresh:
            for token in tokens[n]:
                other = first.setdefault(token, n)
                if root(other) != root(n):
                    group[root(n)] = root(other)
        highest: dict[tuple[str, str], int] = {}
        for n in fresh:
            highest[root(n)] = max(highest.get(root(n), 0), base[n])
        for n in fresh:
            round_of[n] = highest[root(n)]
            for token in tokens[n]:
                token_round[token] = max(token_round.get(token, -1), round_of[n])
    rounds: list[list[tuple[str, str]]] = [[] for _ in set(round_of.values())]
    for n, r in round_of.items():
        rounds[r].append(n)
    return rounds


def _root(group: dict[tuple[str, str], tuple[str, str]], n: tuple[str, str]) -> tuple[str, str]:
    while group[n] != n:
        n = group[n]
    return n


def _identity_tokens(kind: str, name: str) -> set[tuple[str, str]]:
    tokens = {("key", f"{k}:{key}") for k, key in lookup_keys(name, kind)}
    tokens.update(("alias", lookup_key(form)) for form in (name, slugify(name)))
    if kind == "person":
        family = family_name(name)
        if family:
            tokens.add(("family", family))
    return tokens


def set_kind(w: Writer, entity_id: int, kind: str, name: str) -> None:
    """The entity takes ``kind``; a person keeps the family name its name gives."""
    w.set_kind(entity_id, kind, surname(name) if kind == "person" else None)


def create_entities(w: Writer, missing: list[tuple[str, str, str]]) -> dict[tuple[str, str], int]:
    """New entities for (kind, name, key) triples: one per (kind, key) ("U.S." and "US" in
    one article are one entity), each with a free slug (PRODUCT.md: qualified by kind when
    taken) and the lookup keys of its slug and name; ids by (kind, key)."""
    forms = {lookup_key(f) for _, name, _ in missing for f in (slugify(name), name)}
    taken = w.aliases_taken(forms)
    first = {(kind, key): name for kind, name, key in reversed(missing)}
    new: list[NewEntity] = []
    for (kind, key), name in reversed(first.items()):
        slug = free_slug(w, slugify(name), kind, taken)
        keys = tuple(
            a for a in dict.fromkeys((lookup_key(slug), lookup_key(name))) if a and a not in taken
        )
        taken.update(keys)
        new.append(
            NewEntity(
                slug=slug,
                name=name,
                kind=kind,
                key=key,
                aliases=keys,
                surname=surname(name) if kind == "person" else None,
                country=country_of(name) if kind == "place" else None,
            )
        )
    created = w.create_entities(new)
    return {(n.kind, n.key): entity_id for n, entity_id in zip(new, created, strict=True)}


def free_slug(w: Writer, slug: str, kind: str, taken: set[str] | None = None) -> str:
    """``slug``, or, when a different entity already answers to it, the slug qualified by
    the kind ("GeorgiaPerson" next to the place "Georgia"), then by a number. ``taken``:
    the lookup keys known taken, the plain slug's among them when it is."""
    candidates = chain(
        (slug, slug + kind.title()), (f"{slug}{kind.title()}{n}" for n in range(2, 100))
    )
    for candidate in candidates:
        key = lookup_key(candidate)
        if taken is not None and key in taken:
            continue
        if candidate == slug and taken is not None:
            return candidate  # `taken` already holds what the store has for this form
        if not w.alias_taken(key):
            return candidate
    raise RuntimeError(f"no free slug for {slug!r}")


def learn_aliases(
    w: Writer, mention_rows: Iterable[Mapping[str, Any]], merge: bool = True
) -> dict[int, int]:
    """Keep the abbreviations an article resolved (``identity.short_forms``) as keys of
    their entities, where no other entity has the key: "NFL" alone is then the league.
    ``merge``: an entity known only by the abbreviation becomes the introduced one (an
    import, which keeps entity ids in memory across batches, passes False)."""
    rows = [(r["surface"], r["name"], int(r["entity_id"])) for r in mention_rows]
    taught = short_forms(rows)
    placeless = [(form, e) for _, n, e in rows if (form := without_place(n)) is not None]
    if not taught and not placeless:
        return {}
    kinds = w.entity_kinds({entity for _, entity in taught + placeless})
    taught += [(f, e) for f, e in dict.fromkeys(placeless) if kinds.get(e) == "organization"]
    wanted = {
        (kinds[entity], entity_key(form, kinds[entity])): (form, entity)
        for form, entity in taught
        if entity in kinds
    }
    every = {pair: lookup_keys(form, pair[0]) for pair, (form, _) in wanted.items()}
    stored = w.lookups.stored_keys({k for keys in every.values() for k in keys})
    merged: dict[int, int] = {}  # gone -> kept
    for (kind, key), (form, entity) in wanted.items():
        if (kind, key) not in stored:
            w.add_key(kind, key, entity)
            w.add_alias(lookup_key(form), entity)  # /tags/NFL answers too
        holders = {stored[k] for k in every[(kind, key)] if k in stored} - {entity}
        for other in holders:
            if merge and known_by_abbreviation_only(w.lookups.entity_name(other), form):
                # "UNICEF" seen alone before an article introduced it: one entity, so
                # that what the store ends with does not depend on which came first.
                w.curator().merge(keep=entity, gone=other)
                merged[other] = entity
    if merged:
        w.changed(None)
    return merged


def vote_kinds(w: Writer, seen_kinds: Iterable[tuple[str, int]]) -> None:
    """Entities named under another kind than their stored one (``seen_kinds``: the kind of
    each new mention and its entity) take the kind all their mentions vote for
    (``identity.voted_kind``), whichever article came first; curation's renamed entities
    keep theirs."""
    seen: dict[int, set[str]] = {}
    for kind, entity_id in seen_kinds:
        seen.setdefault(entity_id, set()).add(kind)
    if not seen:
        return
    stored = w.unfixed(seen)
    differ = [i for i, (kind, _) in stored.items() if seen[i] - {kind}]
    if not differ:
        return
    votes = w.mention_kinds(differ)
    changed = []
    for entity_id in differ:
        kind, name = stored[entity_id]
        new = voted_kind(name, kind, votes.get(entity_id, {}))
        if new is not None:
            set_kind(w, entity_id, new, name)
            changed.append(entity_id)
    if changed:
        w.changed(changed)


def count_name_forms(w: Writer, forms: Mapping[int, Mapping[str, int]]) -> None:
    """More uses of each form per entity (an article counts one use of each form it has); a
    display name that is no longer the most common full form is replaced (slugs stay:
    PRODUCT.md) and answers as an alias."""
    uses = w.count_name_forms(forms)
    for entity_id, (kind, name) in w.unfixed(uses).items():
        new = display_name(uses[entity_id], kind, name)
        if new != name:
            w.set_name(entity_id, new)
            w.add_alias(lookup_key(new), entity_id)


def after_mentions(
    w: Writer, mention_rows: list[dict[str, Any]], listed: set[int], merge: bool = True
) -> dict[int, int]:
    """What stored mentions change in their entities, for one article (ingest) or a batch
    (the import) alike: the abbreviations they teach, the kinds they vote for, and, for
    listed articles (``listed``: their ids), the name forms they count. Returns the
    entities merged away (gone -> kept)."""
    if not mention_rows:
        return {}
    merged = learn_aliases(w, mention_rows, merge)
    if merged:  # the rows name the entities that stay
        mention_rows = [{**r, "entity_id": kept(merged, r["entity_id"])} for r in mention_rows]
    vote_kinds(w, ((str(r["kind"]), int(r["entity_id"])) for r in mention_rows))
    forms: dict[int, dict[int, set[str]]] = {}  # article -> entity -> forms
    for r in mention_rows:
        if r["article_id"] in listed:
            forms.setdefault(r["article_id"], {}).setdefault(r["entity_id"], set()).add(r["name"])
    counts: dict[int, dict[str, int]] = {}
    for per_article in forms.values():
        for entity_id, names in per_article.items():
            counted = counts.setdefault(entity_id, {})
            for name in names:
                counted[name] = counted.get(name, 0) + 1
    if counts:
        count_name_forms(w, counts)
    return merged


def kept(merged: Mapping[int, int], entity_id: int) -> int:
    """The entity an id names after ``merged`` (gone -> kept, possibly in a chain)."""
    while entity_id in merged:
        entity_id = merged[entity_id]
    return entity_id


def write_regions(w: Writer, article_id: int) -> list[str]:
    """(Re)write the editions of a listed article from its stored tags (``rows.regions``)."""
    sort_at, region = w.source_region(article_id)
    found = regions(region, w.tag_countries(article_id))
    w.set_regions(article_id, sort_at, found)
    return found


class EntityCurator:
    """Curation's merges, renames, splits and blocks (``tagwire curate FILE``): which keys,
    spellings and mentions move is decided here, the store's ``Curator`` writes it."""

    def __init__(self, w: Writer) -> None:
        self.w = w
        self.rows: Curator = w.curator()

    def merge(self, keep: int, gone: int) -> None:
        """``gone`` becomes ``keep`` everywhere; its slug and spellings answer for ``keep``."""
        self.rows.merge(keep, gone)

    def block(self, entity_id: int) -> None:
        """Never a tag again, on stored articles or new ones; mentions are kept."""
        self.rows.block(entity_id)

    def rename(self, entity_id: int, name: str) -> None:
        """A new display name, kept from now on (it no longer follows the most common form);
        the slug stays (slugs never change) and the name is an alias."""
        self.rows.fix_name(entity_id, name)
        self.w.add_alias(lookup_key(name), entity_id)

    def split(self, entity_id: int, forms: tuple[str, ...], name: str) -> int | None:
        """The mentions written in one of ``forms`` (or another spelling of them) become a new
        entity called ``name``, with its own slug; new articles follow. Returns its id, or
        None when no key, mention or spelling of the entity matches (already split)."""
        kind, own_key, slug = self.rows.kind_and_key(entity_id)
        keys = {entity_key(f, kind) for f in (*forms, name)}
        held = self.rows.keys_held(kind, keys)
        moved_keys = [k for k, owner in held.items() if owner == entity_id]
        mentions = [
            (mention_id, article_id)
            for mention_id, article_id, form in self.rows.mention_names(entity_id)
            if entity_key(form, kind) in keys
        ]
        if not moved_keys and not mentions:
            return None
        new_key = entity_key(name, kind)
        if new_key == own_key:
            raise ConfigError(f"split: {name!r} is the entity's own name; name the other one")
        if held.get(new_key) not in (None, entity_id):
            raise ConfigError(f"split: {name!r} already names another entity (merge instead?)")
        self.rows.drop_keys(kind, moved_keys)
        # The forms' spellings stop answering for the old entity, except its own slug.
        spellings = {lookup_key(x) for f in (*forms, name) for x in (f, slugify(f))}
        self.rows.drop_aliases(entity_id, spellings - {lookup_key(slug)})
        new_id = create_entities(self.w, [(kind, name, new_key)])[(kind, new_key)]
        self.rows.fix_name(new_id)
        owned = set(self.rows.keys_held(kind, keys))
        self.rows.add_keys(kind, sorted(keys - owned), new_id)
        for spelling in spellings:
            self.w.add_alias(spelling, new_id)
        self.rows.move_mentions([i for i, _ in mentions], new_id)
        self.rows.move_name_forms(
            entity_id, new_id, _forms_with_keys(self.rows, entity_id, kind, keys)
        )
        self._retag({article for _, article in mentions})
        for entity in (entity_id, new_id):
            self.rows.recount(entity)
        return new_id

    def _retag(self, article_ids: Collection[int]) -> None:
        """Recompute the tags of these listed articles from their stored mentions, by the
        salience ingest uses, after mentions moved between entities."""
        listed = self.rows.listed_times(article_ids)
        if not listed:
            return
        new_rows = []
        for article, pairs in self.rows.unblocked_mentions(listed).items():
            entity_of = {(mn.kind.value, mn.name): entity for entity, mn in pairs}
            scores: dict[int, float] = {}
            for key, score in salience(tuple(mn for _, mn in pairs)).items():
                scores[entity_of[key]] = scores.get(entity_of[key], 0.0) + score
            new_rows.extend(tag_rows(article, listed[article], scores))
        self.rows.replace_tags(list(listed), new_rows)
        for article in listed:
            write_regions(self.w, article)  # places may have moved with the tags


def _forms_with_keys(rows: Curator, entity_id: int, kind: str, keys: set[str]) -> set[str]:
    """The counted name forms of an entity whose key is one of ``keys``."""
    return {form for form in rows.name_forms(entity_id) if entity_key(form, kind) in keys}


@contextmanager
def curating(store: RowStore) -> Iterator[EntityCurator]:
    """Curation of entities, in one write transaction (``Store.rows``)."""
    with store.rows() as w:
        yield EntityCurator(w)
        w.changed(None)
