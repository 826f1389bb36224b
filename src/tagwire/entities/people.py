"""Who is a person in one article, and under which name (pure functions over its
mentions): evidence that a name is a person's (a given name, a title or role, a verb of
speech, the surname alone), people the model labelled organisations, the forms of one
person's name ("Josh Apte" = "Joshua Apte", "Eriksson Ek" = "Joel Eriksson Ek"). The
steps of ``resolve.resolve_article`` call them in its order.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import replace

from tagwire.entities.knowledge import (
    is_census_surname,
    is_common_given_name,
    is_common_word,
    is_direction,
    kind_evidence,
)
from tagwire.entities.names import is_given_name, name_key, same_person
from tagwire.entities.places import (
    city_population,
    demonym_country,
    is_country_or_state,
)
from tagwire.types import EntityKind, Mention

PERSON, ORG = EntityKind.PERSON, EntityKind.ORGANIZATION


def people_named_as_organisations(mentions: list[Mention]) -> list[Mention]:
    """ "Marcelo Claure" labelled an organisation where "Claure" alone is a person: the
    person, and every "Claure" of the article is that full name (when one fits)."""
    surnames = {
        name_key(m.name)
        for m in mentions
        if m.kind is PERSON and " " not in m.name and not m.in_title
    }
    out = []
    for m in mentions:
        words = m.name.split()
        if (
            m.kind is not PERSON
            and 2 <= len(words) <= 3
            and name_key(words[-1]) in surnames
            and kind_evidence(m.name) is None
        ):
            m = replace(m, kind=PERSON)
        out.append(m)
    full: dict[str, set[str]] = defaultdict(set)
    for m in out:
        if m.kind is PERSON and " " in m.name:
            full[name_key(m.name.split()[-1])].add(m.name)
    return [
        replace(m, name=next(iter(full[name_key(m.name)])))
        if m.kind is PERSON and " " not in m.name and len(full.get(name_key(m.name), ())) == 1
        else m
        for m in out
    ]


def one_name_per_person(mentions: list[Mention]) -> list[Mention]:
    """ "Josh Apte" and "Joshua Apte" in one article: one person (``same_person``: the same
    family name, a nickname or initial of the same given name), under the form the article
    uses most (the longer on a tie)."""
    counts = Counter(m.name for m in mentions if m.kind is PERSON and " " in m.name)
    ranked = sorted(counts, key=lambda n: (-counts[n], -len(n), n))
    canonical: dict[str, str] = {}
    for name in ranked:
        canonical[name] = next(
            (c for c in ranked[: ranked.index(name)] if same_person(name, c) and canonical[c] == c),
            name,
        )
    return [replace(m, name=canonical[m.name]) if m.name in canonical else m for m in mentions]


def longer_forms(mentions: list[Mention]) -> list[Mention]:
    """A name of two words or more that ends exactly one longer name of the same kind in
    the article is that name: a compound surname without the given name ("Eriksson Ek" for
    "Joel Eriksson Ek"), an organisation without its country ("Communist Party" for
    "Chinese Communist Party", when the country's form is the only one named)."""
    names = {m.name: m.kind for m in mentions if m.kind in (PERSON, ORG)}
    longer: dict[str, set[str]] = defaultdict(set)
    for name, kind in names.items():
        words = name.split()
        for n in range(2, len(words)):
            tail = " ".join(words[-n:])
            if names.get(tail) is kind and _is_qualifier(words[:-n], kind):
                longer[tail].add(name)
    return [
        replace(m, name=next(iter(longer[m.name]))) if len(longer.get(m.name, ())) == 1 else m
        for m in mentions
    ]


def _is_qualifier(head: list[str], kind: EntityKind) -> bool:
    """What may come before a name and leave it the same thing: a person's given names, or
    an organisation's country or demonym."""
    if kind is PERSON:
        return True
    text = " ".join(head)
    return demonym_country(text) is not None or is_country_or_state(text)


def words_of_one_person(mentions: list[Mention]) -> list[Mention]:
    """ "Scooter" or "Braun" labelled an organisation where "Scooter Braun" is the article's
    one person with that word: that person (gazetteer places and companies stay)."""
    people: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        if m.kind is PERSON and " " in m.name and not m.in_title:  # headlines vouch for nobody
            for word in name_key(m.name).split():
                people[word].add(m.name)
    out = []
    for m in mentions:
        fits = people.get(name_key(m.name), set())
        if m.kind is not PERSON and len(fits) == 1 and kind_evidence(m.name) is None:
            m = replace(m, name=next(iter(fits)), kind=PERSON)
        out.append(m)
    return out


# Words around a name that only a person's name has: a title or role before it, a verb of
# speech after it, or an apposition ("Jane Doe, 34," "Jane Doe, the company's founder").
_PERSON_BEFORE = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sir|Dame|Lord|Lady|Gov|Sen|Rep|Gen|Col|Capt|Sgt|Lt|Rev|"
    r"President|Vice President|Minister|Secretary|Chancellor|Governor|Senator|Mayor|Judge|"
    r"Justice|King|Queen|Prince|Princess|Pope|General|Coach|CEO|chief executive|"
    r"founder|director|chairman|chairwoman|spokesman|spokeswoman|spokesperson|actor|"
    r"actress|singer|rapper|author|writer|star|player|quarterback|striker|manager|"
    r"professor|researcher|scientist|analyst|lawyer|attorney|officer|senior|junior|"
    r"freshman|sophomore|rookie|guard|forward|center|midfielder|defender|goalkeeper|keeper|"
    r"pitcher|winger|chair|executive|official|ambassador|envoy|adviser|advisor|aide|deputy|"
    r"boss|investor|billionaire|entrepreneur|candidate|lawmaker|congressman|congresswoman|"
    r"commissioner|sheriff|detective|journalist|reporter|editor|producer|host|comedian|"
    r"musician|artist|designer|chef|owner|COO|CFO|CTO|under|said|says|told)\.?\s+)$",
    re.IGNORECASE,
)
_PERSON_AFTER = re.compile(
    r"^(?:['’]s\s+(?:wife|husband|son|daughter|mother|father|family|career|death|lawyer|"
    r"team|campaign|administration|office|spokes\w+)\b|\s*,?\s+(?:said|says|told|added|"
    r"wrote|tweeted|asked|explained|noted|argued|announced|stated|recalled|admitted|"
    r"who|whose|he|she|his|her)\b|,\s+(?:\d{1,3},|who\b|a\s|an\s|the\s)|\s+\(\d{1,3}\))"
)


def people_without_evidence(body: str, mentions: list[Mention]) -> list[Mention]:
    """A "person" of two or more words whose first word is no common given name and whose
    last is a common English word ("MacBook Pro", "Fallen Order", "Switch Lite"), which no
    title, role, verb of speech or apposition marks as a person, and whose last word the
    article never uses alone, is most often a product or a work the model misread: dropped.
    A rare last word ("Olaf Scholz") is a name; famous ones have the other evidence
    ("Modi said", "Kanye West, the rapper")."""
    proven: set[str] = set()
    singles = {name_key(m.surface) for m in mentions if " " not in m.surface.strip()}
    for m in mentions:
        if m.kind is not PERSON or m.name in proven:
            continue
        words = m.name.split()
        before = body[max(0, m.start - 40) : m.start]
        after = body[m.end : m.end + 40]
        if (
            len(words) == 1
            or is_common_given_name(words[0].strip("."))
            or not is_common_word(words[-1])
            or len(words[0].rstrip(".")) == 1  # an initial: "J. Smith"
            or name_key(words[-1]) in singles
            or _PERSON_BEFORE.search(before)
            or _PERSON_AFTER.match(after)
        ):
            proven.add(m.name)
    # A word alone that was read as a dropped name ("Apple" as "Apple Watches") is itself,
    # when the article writes it more than once.
    alone = Counter(m.surface.strip() for m in mentions if " " not in m.surface.strip())
    return [
        _unproven_person(m) if m.kind is PERSON and m.name not in proven else m
        for m in mentions
        if m.kind is not PERSON
        or m.name in proven
        or alone[m.surface.strip()] > 1
        or _named_after_place(m.name)
    ]


def _unproven_person(m: Mention) -> Mention:
    if _named_after_place(m.name):
        return replace(m, kind=ORG)  # "Manchester United", "Boston Globe": a club, a paper
    return replace(m, name=m.surface.strip())


def _country_state_or_city_of_a_million(name: str) -> bool:
    return is_country_or_state(name) or city_population(name) >= 1_000_000


def _named_after_place(name: str) -> bool:
    """A known city, state or country, then common words: what a town names after itself
    (a club, a newspaper, a company), not a person."""
    first = name.split()[0]
    return is_country_or_state(first) or city_population(first) >= 100_000


def people_by_context(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "quarterback Mason Rudolph", "executive chair Marcelo Claure" labelled organisations:
    a name of two or three words with no institution's word, which a title or role precedes
    somewhere in the article, is a person; its surname alone is that person."""
    people: dict[str, str] = {}
    aged = _aged_words(body)
    for m in mentions:
        words = m.name.split()
        if m.kind is PERSON or not 2 <= len(words) <= 3 or kind_evidence(m.name) is not None:
            continue
        if demonym_country(words[0]) is not None:
            continue  # "the Afghan Taliban": a nation's group, nobody's given name
        if (_titled(body, m) and not _MODIFIER_AFTER.match(body, m.end)) or words[-1] in aged:
            people[name_key(m.name)] = m.name
    surnames: dict[str, set[str]] = defaultdict(set)
    for name in people.values():
        surnames[name_key(name.split()[-1])].add(name)

    def person(m: Mention) -> Mention:
        key = name_key(m.name)
        if key in people:
            return replace(m, name=people[key], kind=PERSON)
        if len(surnames.get(key, ())) == 1 and kind_evidence(m.name) is None:
            return replace(m, name=next(iter(surnames[key])), kind=PERSON)
        return m

    return [person(m) for m in mentions]


# A word, then an age in apposition: "Braun, 38, who", "Doe, 41 – the singer" (not a score:
# "Northern Illinois, 45-17").
_AGED = re.compile(r"(?<![\w-])([A-Z][\w'’-]*),\s+\d{1,2}(?:,|\s+[–—-]\s)")


def _aged_words(body: str) -> set[str]:
    """The words written with an age after them: a name whose last word is one of them is
    a person's ("Scooter Braun" read as an organisation, then "Braun, 38, who reps ...")."""
    return {m.group(1) for m in _AGED.finditer(body)}


def _titled(body: str, m: Mention) -> bool:
    """A title or role right before the mention ("coach Vogel"); a verb of speech ("said
    SpaceX") or "under" introduces companies as often as people."""
    match = _PERSON_BEFORE.search(body[max(0, m.start - 40) : m.start])
    return match is not None and match.group(0).split()[-1].lower() not in _NOT_TITLES


_NOT_TITLES = frozenset({"said", "says", "told", "under"})


# A family word before a name: "his wife, Kimberly", "my son Theo".
_FAMILY_BEFORE = re.compile(
    r"\b(?:wife|husband|son|daughter|mother|father|brother|sister|fiancée?|partner),?\s+$"
)


def one_word_organisations_as_people(body: str, mentions: list[Mention]) -> list[Mention]:
    """A one-word "organisation" or small place the text also writes after a given name
    ("Chris Pine" ... "Pine", "Kate York" ... "York said"), or after a family word ("his
    wife, Kimberly"), is a person."""

    named = _after_given_names(body)

    def person(m: Mention) -> bool:
        if m.kind is PERSON or " " in m.name or m.name.isupper():
            return False
        if m.kind is EntityKind.PLACE:  # "York said" where "Kate York" is written
            return m.name in named and not _country_state_or_city_of_a_million(m.name)
        if kind_evidence(m.name):
            return False
        family = _FAMILY_BEFORE.search(body, max(0, m.start - 20), m.start)
        return family is not None or m.name in named

    people = {m.name for m in mentions if person(m)}
    return [replace(m, kind=PERSON) if m.name in people else m for m in mentions]


def _after_given_names(body: str) -> set[str]:
    """The words written right after a given name: "Adolf Hitler" written somewhere, though
    the model read only "Hitler", makes "Hitler" a person's name. One pass over the text."""
    return {
        m.group(2)
        for m in re.finditer(r"\b([A-Z][a-z]+) (?=([A-Z][\w-]*)\b)", body)
        if given_name_of_no_place(m.group(1))
    }


def given_name_of_no_place(word: str) -> bool:
    """A given name that is no direction, country or state: "David" of "David Walliams",
    not "West" of "West Midlands" or "Georgia" of "Georgia Dome" (a town's name is as often
    a given name: David, Paul, Marion)."""
    return is_given_name(word) and not is_direction(word) and not is_country_or_state(word)


# After a name, what only a person has: "Obama administration", "Kerr’s wife", "Kerr, who",
# "Kerr and his" (a company "said" and "announced" as often as a person).
_PERSON_ONLY_AFTER = re.compile(
    r"(?:\s+administration\b|['’]s\s+(?:wife|husband|son|daughter|mother|father|family|"
    r"administration|presidency|death|birthday)\b|,?\s+(?:who|whose|he|she)\b|"
    r"\s+and\s+(?:his|her)\b)"
)
# "deputy White House press secretary", "former Google product manager": after a role, an
# organisation's name qualifies the role that follows it; a person's name is not followed
# by another role.
_MODIFIER_AFTER = re.compile(
    r"\s+(?:[A-Z][a-z]+\s+)?(?:press|chief|senior|deputy|product|policy|general|staff|"
    r"secretary|spokesman|spokeswoman|spokesperson|adviser|advisor|aide|official|officials|"
    r"counsel|director|correspondent|reporter|executive|lawyer|attorney|employee|"
    r"employees|veteran|insider)\b"
)


def one_word_people_by_context(body: str, mentions: list[Mention]) -> list[Mention]:
    """A one-word "person" ("Twitter", "Ubisoft") that is no given name or Census surname,
    no surname of a full name in the article, and after no title or role anywhere
    ("President Obama", "striker Neymar"), is an organisation: the model's usual error on
    company names (measured on real pages, docs/quality.md)."""
    full_words = {
        w for m in mentions if m.kind is PERSON and " " in m.name for w in name_key(m.name).split()
    }
    titled = {
        m.name
        for m in mentions
        if m.kind is PERSON and (_titled(body, m) or _PERSON_ONLY_AFTER.match(body, m.end))
    }
    named = _after_given_names(body)

    def organisation(m: Mention) -> bool:
        return (
            m.kind is PERSON
            and " " not in m.name
            and m.name not in titled
            and name_key(m.name) not in full_words
            and not is_common_given_name(m.name)
            and not is_census_surname(m.name)
            and m.name not in named
        )

    return [replace(m, kind=ORG) if organisation(m) else m for m in mentions]
