"""Which known entity a resolved name is, across articles (pure: the store supplies what
it knows, these functions decide).

One entity per identity, not per name and label: a name already known under another kind
is that entity (the model said "organisation" this time); a new spelling of a known
person ("Bill Clinton" for "William Jefferson Clinton") is that person when exactly one
known person fits; a surname alone ("Trump") is the one well-known person of that family
name, when one person clearly dominates the corpus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tagwire.entities.hashtags import lookup_key
from tagwire.entities.knowledge import (
    is_common_given_name,
    is_frequent_word,
    kind_evidence,
    organisation_evidence,
)
from tagwire.entities.names import entity_key, initials, name_key, same_person, surname
from tagwire.entities.places import demonym_country, is_country, is_known_place
from tagwire.types import EntityKind

KINDS = tuple(k.value for k in EntityKind if k is not EntityKind.OTHER)
# A surname alone is the person who has it most often in the corpus only if that person
# has at least this many articles and this many times as many as the next.
SURNAME_MIN_ARTICLES = 2
SURNAME_DOMINANCE = 3


@dataclass(frozen=True, slots=True)
class Known:
    """An entity as the store knows it."""

    id: int
    name: str
    kind: str
    articles: int


class Lookups(Protocol):
    """What identity decisions read of the store (the writer, inside its transaction)."""

    def stored_keys(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Entity ids of the stored (kind, key) pairs among ``keys``."""
        ...

    def alias_ids(self, forms: set[str]) -> dict[str, int]:
        """Entity ids of the lookup keys (slugs and name forms) among ``forms``."""
        ...

    def people_named(self, family: str) -> list[Known]:
        """The known people of a family name, and those known by that word alone."""
        ...

    def people_of(self, families: set[str]) -> dict[str, list[Known]]:
        """``people_named`` for several family names at once."""
        ...

    def kind_of(self, entity_id: int) -> str:
        """The kind an entity is stored with."""
        ...


@dataclass
class Plan:
    """What the store should write for one article's names: the ids found, the new keys
    (kind, key, entity, a form whose lookup key should answer too, or None), the kinds to
    change, and the names to create as new entities (kind, name, key)."""

    found: dict[tuple[str, str], int] = field(default_factory=dict)
    new_keys: list[tuple[str, str, int, str | None]] = field(default_factory=list)
    new_kinds: list[tuple[int, str, str]] = field(default_factory=list)
    create: list[tuple[str, str, str]] = field(default_factory=list)


def identify(names: Iterable[tuple[str, str]], known: Lookups) -> Plan:
    """Which entity each (kind, name) is, in order: a stored key under any kind (the
    entity may take this kind, ``better_kind``), an entity whose slug the name makes, a
    known person the name fits; else a new entity. ``found`` is keyed by (kind, key)."""
    wanted = {(kind, name): entity_key(name, kind) for kind, name in dict.fromkeys(names)}
    plan = Plan()
    candidates = {pair: lookup_keys(pair[1], pair[0]) for pair in wanted}
    stored = known.stored_keys({key for keys in candidates.values() for key in keys})
    for (kind, name), key in wanted.items():
        via = next((k for k in candidates[(kind, name)] if k in stored), None)
        if via is None or (kind, key) in plan.found:
            continue
        plan.found[(kind, key)] = stored[via]
        if (kind, key) not in stored:  # known under another kind: this one too
            stored[(kind, key)] = stored[via]
            plan.new_keys.append((kind, key, stored[via], name))
            better = better_kind(known.kind_of(stored[via]), kind, name)
            if better is not None:
                plan.new_kinds.append((stored[via], better, name))
    missing = [(k, n, key) for (k, n), key in wanted.items() if (k, key) not in plan.found]
    by_alias = known.alias_ids({lookup_key(name) for _, name, _ in missing})
    person = EntityKind.PERSON.value
    families = {name: family_name(name) for kind, name, _ in missing if kind == person}
    people = known.people_of({f for f in families.values() if f})
    for kind, name, key in missing:
        if (kind, key) in plan.found:
            continue
        hit = by_alias.get(lookup_key(name))
        if hit is None and kind == person:
            family = families[name]
            hit = known_person(name, people.get(family, [])) if family else None
            if hit is not None:
                plan.new_keys.append((kind, key, hit, name))
        elif hit is not None:
            plan.new_keys.append((kind, key, hit, None))
        if hit is None:
            plan.create.append((kind, name, key))
            plan.found[(kind, key)] = -1  # one new entity per (kind, key)
        else:
            plan.found[(kind, key)] = hit
    for kind, _, key in plan.create:
        del plan.found[(kind, key)]
    return plan


def find(name: str, known: Lookups) -> int | None:
    """The entity a name typed by a reader is (a tag lookup by words): its key under any
    kind (another order of a person's names, another split of a given name), else the one
    known person whose name it can be (a nickname)."""
    keys = lookup_keys(name, EntityKind.PERSON.value)
    stored = known.stored_keys(set(keys))
    hit = next((stored[k] for k in keys if k in stored), None)
    family = surname(name)
    if hit is None and family:
        fits = [p.id for p in known.people_named(family) if same_person(name, p.name)]
        hit = fits[0] if len(fits) == 1 else None
    return hit


def lookup_keys(name: str, kind: str) -> list[tuple[str, str]]:
    """The (kind, key) pairs under which an entity of this name may be stored: its own
    kind's first, then the others' (one entity whatever label the model gave)."""
    return [(kind, entity_key(name, kind))] + [
        (other, entity_key(name, other)) for other in KINDS if other != kind
    ]


def better_kind(stored: str, seen: str, name: str) -> str | None:
    """The kind a stored entity should take when an article names it as ``seen``: a
    person's full name (a given name or an initial first) outweighs an organisation or
    place label on it (the model's usual error on names it does not know), and a
    gazetteer's place or organisation outweighs a person label. None: keep the stored kind."""
    if stored == seen:
        return None
    evidence = kind_evidence(name)
    if evidence is not None:
        return evidence.value if evidence.value != stored else None
    words = name.split()
    if seen == EntityKind.PERSON.value and len(words) in (2, 3) and _given_first(words[0]):
        return seen
    return None


def _given_first(word: str) -> bool:
    """A given name or an initial first: a person's name, not "White House"."""
    return is_common_given_name(word) or len(word.rstrip(".")) == 1


def voted_kind(name: str, stored: str, votes: Mapping[str, int]) -> str | None:
    """The kind an entity should have after its articles' votes (mentions by kind): a
    gazetteer's or an institution word's evidence first, else the kind most mentions got,
    when it has more votes than the stored one. None: keep the stored kind."""
    evidence = kind_evidence(name)
    if evidence is not None:
        return evidence.value if evidence.value != stored else None
    counted = {k: n for k, n in votes.items() if k in KINDS}
    if not counted:
        return None
    best = max(counted, key=lambda k: (counted[k], k == stored))
    return best if best != stored and counted[best] > counted.get(stored, 0) else None


def family_name(name: str) -> str | None:
    """What to look known people up by: the surname of a full name, or the one word."""
    words = name_key(name).split()
    return words[0] if len(words) == 1 else surname(name)


def known_person(name: str, known: Sequence[Known]) -> int | None:
    """The known person ``name`` is, among ``known`` (the people sharing its family name),
    or None. A full name: the one person it can be (same family name, given names that
    agree, ``same_person``); else the one person known by the surname alone, when no other
    full name has it. A surname alone: the one full name with it, or the one that dominates."""
    full = [p for p in known if len(p.name.split()) > 1]
    if len(name.split()) == 1:
        return _dominant(full)
    fits = [p.id for p in full if same_person(name, p.name)]
    if len(fits) == 1:
        return fits[0]
    singles = [p for p in known if len(p.name.split()) == 1]
    if not fits and not full and len(singles) == 1:
        return singles[0].id
    return None


# An institution's initials are learned from its full name from three letters on: "UN" or
# "AP" are too short to be one organisation's.
MIN_INITIALS = 3


def short_forms(rows: Iterable[tuple[str, str, int]]) -> list[tuple[str, int]]:
    """Aliases an article teaches: a mention (surface, resolved name, entity id) written as
    an abbreviation ("NFL", "U.N.", "Calif.") or a team's nickname ("Browns") that the
    article resolved to a longer name, and an institution's initials ("WHO" for "World
    Health Organization", whether or not the article writes them).
    The corpus keeps them, so that a later article writing "NFL" alone is that entity; the
    mention row is the evidence (``Store.alias_evidence``)."""
    taught: dict[tuple[str, int], None] = {}
    for surface, name, entity_id in rows:
        form = surface.strip().removeprefix("the ")
        abbreviation = is_abbreviation(form) and name_key(form) != name_key(name)
        if abbreviation or is_team_nickname(form, name):
            taught[(form, entity_id)] = None
        letters = initials(name)
        if len(letters) >= MIN_INITIALS and organisation_evidence(name):
            taught[(letters, entity_id)] = None  # "WHO" for "World Health Organization"
    return list(taught)


def without_place(name: str) -> str | None:
    """What an organisation qualified by its place is written as elsewhere ("Polytechnic
    University" for "Hong Kong Polytechnic University", "Taliban" for "Afghan Taliban"), or
    None when the rest is a common word or an institution's word alone ("US Senate", "New
    York Times": many have those). Common words after a country's name stay qualified:
    every country has its "Communist Party" and its "Supreme Court"."""
    words = name.split()
    for n in (3, 2, 1):
        if len(words) <= n:
            continue
        head, rest = " ".join(words[:n]), " ".join(words[n:])
        national = demonym_country(head) is not None or is_country(head)
        if not national and not is_known_place(head):
            continue
        if " " in rest:
            return None if national else rest
        # a frequent word names many: "Taliban" alone does, "Senate", "Navy", "Times" do not
        distinctive = not is_frequent_word(rest) and not organisation_evidence(rest)
        return rest if distinctive else None
    return None


def is_team_nickname(form: str, name: str) -> bool:
    """ "Browns" written for "Cleveland Browns": the last word of a team named by its city or
    state, as the sports pages write it alone (a country's name makes no team's)."""
    words = name.split()
    if len(words) < 2 or form != words[-1] or not form[:1].isupper():
        return False
    place = " ".join(words[:-1])
    return is_known_place(place) and not is_country(place)


def known_by_abbreviation_only(name: str, form: str) -> bool:
    """An entity whose name is the abbreviation (or the nickname) itself ("UNICEF",
    "Browns", made from an article that never wrote the full name) is the entity an article
    later introduces it for."""
    return name_key(name) == name_key(form)


def is_abbreviation(form: str) -> bool:
    """ "NFL", "U.N.", "Calif.": capitals (dots allowed), or a short dotted form."""
    letters = form.replace(".", "").replace("&", "")
    if not letters.isalpha() or not 2 <= len(letters) <= 8:
        return False
    return letters.isupper() or (form.endswith(".") and len(letters) <= 5)


def _dominant(people: Sequence[Known]) -> int | None:
    if len(people) == 1:
        return people[0].id
    ranked = sorted(people, key=lambda p: -p.articles)
    if (
        len(ranked) > 1
        and ranked[0].articles >= SURNAME_MIN_ARTICLES
        and ranked[0].articles >= SURNAME_DOMINANCE * ranked[1].articles
    ):
        return ranked[0].id
    return None
