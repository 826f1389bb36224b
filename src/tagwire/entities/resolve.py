"""One article's mentions -> the entities it names (pure functions, no store, no model).

What NER finds is spans with a label; what a reader should see is one tag per real person,
organisation or place the article names. Between the two, in this order:

1. what is no name of one thing goes: spans across a line break (a heading run into the
   next line), a person's name after "the" or a given name alone, and what ``filters``
   finds (common abbreviations, directions, events, works, laws, model numbers,
   addresses, a word the article also writes in lower case); an owner's possessive is cut
   ("Jeff Bezos’s Blue Origin" -> "Blue Origin");
2. what the model missed is found by name: countries, US states and large cities, a
   state's postal code after a place ("Cuyahoga Falls, OH"); state abbreviations
   ("Calif.", "N.J.") are their states;
3. demonyms stand for their country beside an actor ("Egyptian mediators"); headings in
   capitals need the text to confirm them;
4. short forms join the full form of the same article: acronyms of a named
   organisation ("NFL"), legal suffixes ("Acme Corp." = "Acme"), a company's group word or
   region ("Alibaba Group", "Ascom North America"), a word of the article's one person
   ("Braun" = "Scooter Braun"), a team's plural nickname ("Steelers");
5. one kind per name: a gazetteer's kind, else the label most mentions got; a full name
   labelled an organisation whose surname alone is a person is that person; a product
   named after its maker ("Apple AirPods") goes;
6. the headline confirms: a span found only in the title-cased headline is kept when it is
   a known place; an entity of the text that the headline names (by full name, surname or
   short form) counts as in the headline, which ranks it first.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace

from tagwire.entities.filters import not_an_entity
from tagwire.entities.knowledge import (
    is_broad_place,
    is_census_surname,
    is_common_given_name,
    is_common_word,
    kind_evidence,
    known_places,
    organisation_evidence,
    state_for,
    without_legal_suffix,
)
from tagwire.entities.names import is_given_name, name_key, same_person
from tagwire.entities.places import (
    canonical_place,
    city_population,
    country_of,
    demonym_country,
    is_country_or_state,
    is_known_place,
)
from tagwire.types import EntityKind, Mention

PERSON, ORG, PLACE = EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.PLACE


def resolve_article(body: str, title_end: int, mentions: Iterable[Mention]) -> tuple[Mention, ...]:
    """The article's mentions after the steps of the module's docstring."""
    found = [
        _place_before_person(_owned(m))
        for m in _sides_of_results(mentions)
        if "\n" not in m.surface.strip()
    ]
    found = [m for m in found if not _not_a_person(m)]
    found = _states(body, found)
    found += _places_the_model_missed(body, title_end, found)
    lower_words = frozenset(_LOWER_WORD.findall(body))
    found = _without_sentence_starts(body, found, lower_words)
    found = [m for m in found if not not_an_entity(m.name, m.kind, lower_words)]
    found = _no_organisms(body, found)
    found = _no_common_noun_acronyms(body, found)
    found = _demonyms_of_actors(body, found)
    found = _capitals_confirmed(body, found)
    # Headline spans the text does not confirm go before any step that joins names, so
    # "NASA Picks SpaceX" never becomes the full name that "NASA" and "SpaceX" join.
    found = _confirmed_by_text(found)
    found = _acronyms(found)
    found = _company_forms(_one_kind_per_name(found))
    found = _one_kind_per_name(found)
    found = _people_without_evidence(body, found)
    found = _people_by_context(body, found)
    found = _one_word_people_by_context(body, found)
    found = _people_named_as_organisations(found)
    found = _words_of_one_person(found)
    found = _one_name_per_person(found)
    found = _longer_forms(found)
    found = _teams_by_nickname(found)
    found = _products_of_named_makers(body, found)
    found = _confirmed_by_text(found)
    found += _named_in_headline(body[:title_end], found)
    return tuple(sorted(found, key=lambda m: m.start))


_VERB_FIRST = re.compile(r"^[A-Z][a-z]{2,}ing$")
_POSITION = re.compile(r"^(?!II$|IV$|VI$)[A-Z]{2,3}$")
_POSSESSIVE_INSIDE = re.compile(r"^.+?['’]s\s+(?=[A-Z])")


def _place_before_person(m: Mention) -> Mention:
    """ "envoy for Ukraine Kurt Volker": a country ran into the person named after it."""
    words = m.name.split()
    for n in (1, 2):
        rest = words[n:]
        if (
            2 <= len(rest) <= 3
            and is_country_or_state(" ".join(words[:n]))
            and is_common_given_name(rest[0])
        ):
            return replace(m, name=" ".join(rest), kind=PERSON)
    return m


def _owned(m: Mention) -> Mention:
    """ "Vietnam’s Communist Party": the owner's possessive ran into the name; the name is
    what follows it, or, for a span the model read as a person ("Jeff Bezos’s Blue Origin"),
    the owner. "Hosting Cook": a sentence's first verb ran into a person's name; the name
    is what follows it."""
    if m.kind is PERSON:
        owner = _POSSESSIVE_INSIDE.match(m.name)
        if owner and " " in owner.group(0).strip():
            return replace(m, name=re.sub(r"['’]s\s+$", "", owner.group(0)))
        first, _, rest = m.name.partition(" ")
        if rest and _VERB_FIRST.match(first) and not is_given_name(first):
            return replace(m, name=rest)
        words = m.name.split()
        # "Browns DL Sheldon Richardson": a team and a position's abbreviation ran into the
        # name; the name is what follows the abbreviation.
        for i, word in enumerate(words[:-2]):
            if _POSITION.match(word):
                return replace(m, name=" ".join(words[i + 1 :]))
        return m
    owned = _POSSESSIVE_INSIDE.sub("", m.name)
    return replace(m, name=owned) if owned != m.name and len(owned) > 1 else m


# "Viera d. Rockledge", "Arsenal v Chelsea": a result or a fixture, two names in one span.
_RESULT = re.compile(r"\s(?:d|def|vs?)\.?\s")


def _sides_of_results(mentions: Iterable[Mention]) -> list[Mention]:
    """A span across a result's or fixture's word is its two sides, each a mention."""
    out: list[Mention] = []
    for m in mentions:
        cut = _RESULT.search(m.surface)
        if cut is None:
            out.append(m)
            continue
        left, right = m.surface[: cut.start()], m.surface[cut.end() :]
        out.append(replace(m, surface=left, name=left, end=m.start + len(left)))
        out.append(replace(m, surface=right, name=right, start=m.start + cut.end()))
    return out


def _without_sentence_starts(
    body: str, mentions: list[Mention], lower_words: frozenset[str]
) -> list[Mention]:
    """ "Recent Samsung phones": a sentence's first word, capitalised only because it comes
    first and written in lower case elsewhere in the article, ran into a name the article
    also writes alone ("Samsung"); every mention given the longer name is the shorter one."""
    alone = {name_key(m.surface) for m in mentions}
    cut: dict[str, str] = {}
    for m in mentions:
        first, _, rest = m.name.partition(" ")
        if not rest or name_key(rest) not in alone or first.lower() not in lower_words:
            continue
        before = body[: m.start].rstrip()
        if not before or before[-1] in '.!?:\n"“':
            cut[m.name] = rest
    return [replace(m, name=cut[m.name]) if m.name in cut else m for m in mentions]


def _not_a_person(m: Mention) -> bool:
    """A person's name is not written after "the" ("the Tomb Raider"), and a given name
    alone ("Max", "James") that no full name of the article explains names nobody."""
    if m.kind is not PERSON:
        return False
    if m.surface.lower().startswith("the "):
        return True
    return " " not in m.name and is_given_name(m.name)


_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")


def _compact(name: str) -> str:
    return name_key(name).replace(" ", "")


def _states(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "Calif.", "N.J." and "Trenton, NJ" -> the state, a place."""
    out = []
    for m in mentions:
        after_comma = body[max(0, m.start - 2) : m.start].rstrip().endswith((",", "-"))
        state = state_for(m.surface, after_comma)
        out.append(replace(m, name=state, kind=PLACE) if state else m)
    return out


# A demonym names its country when it qualifies who acts ("Egyptian mediators", "Turkish
# President Erdoğan", "South Korean and Japanese officials"); as a plain adjective
# ("Japanese brand", "German engineering") it is not what the article is about.
_ACTORS = re.compile(
    r"\b(?:president|prime|minister|ministers|chancellor|king|queen|leader|leaders|officials?|"
    r"government|authorities|forces|troops|military|army|navy|police|mediators|diplomats?|"
    r"negotiators|embassy|ambassador|envoy|delegation|foreign|defen[cs]e|regime|state|"
    r"counterpart|parliament|lawmakers|courts?|judges?|investigators|prosecutors)\b",
    re.IGNORECASE,
)


def _places_the_model_missed(body: str, title_end: int, mentions: list[Mention]) -> list[Mention]:
    """Countries, US states and large cities written in the text where the model found no
    entity: the knowledge layer finds known names the model missed (a tour's list of
    states, a country in a long sentence). Not in the headline (title case), and never
    inside or across a span the model found."""
    taken = [(m.start, m.end) for m in mentions]
    named = [
        (s + title_end, e + title_end, canonical_place(n))
        for s, e, n in known_places(body[title_end:])
    ]
    for code in _CITY_STATE.finditer(body, title_end):
        state = state_for(code.group(1), after_comma=True)
        if state:
            named.append((code.start(1), code.end(1), state))
    return [
        Mention(body[start:end], place, PLACE, start, end, False)
        for start, end, place in named
        if not any(s < end and start < e for s, e in taken)
    ]


# "Cuyahoga Falls, OH": a state's postal code after a place's name and a comma.
_CITY_STATE = re.compile(r"(?<=[a-z]), ([A-Z]{2})(?![\w.])")


# "the Wolbachia bacterium", "Ebola virus", "Wolbachia-carrying mosquitoes", "the bacterium
# Yersinia pestis": a name written as a kind of organism or disease anywhere in the article
# is one, in every mention (no organisation is written so).
_ORGANISMS = (
    r"bacterium|bacteria|virus|viruses|parasite|parasites|fungus|species|genus|strain|"
    r"disease|infection|infections|outbreak|vaccine"
)
_ORGANISM_AFTER = re.compile(  # a species' epithet may come between: "Yersinia pestis bacterium"
    rf"(?=(?:\s+[a-z]+)?\s+(?i:{_ORGANISMS})\b|-(?i:carrying|infected|resistant|borne)\b)"
)
_ORGANISM_BEFORE = re.compile(rf"\b(?i:{_ORGANISMS})\s+(?=[A-Z])")


def _no_organisms(body: str, mentions: list[Mention]) -> list[Mention]:
    ends = [match.start() for match in _ORGANISM_AFTER.finditer(body)]
    starts = {match.end() for match in _ORGANISM_BEFORE.finditer(body)}
    if not ends and not starts:
        return mentions
    named_after = {m.name for m in mentions if m.start in starts}

    def written_before(name: str, end: int) -> bool:
        start = end - len(name)
        return body.startswith(name, start) and (start == 0 or not body[start - 1].isalnum())

    organisms = {
        m.name
        for m in mentions
        if kind_evidence(m.name) is None
        and (m.name in named_after or any(written_before(m.name, e) for e in ends))
    }
    return [m for m in mentions if m.name not in organisms]


# "hypersensitivity pneumonitis, or HP", "electric vehicles (EVs)": an abbreviation the
# article introduces for words it writes in lower case names a thing, not an organisation.
_INTRODUCED = re.compile(
    r"((?:[a-z][a-z-]*\s+){1,5}[a-z][a-z-]*)\s*(?:,\s*or\s+|\(\s*)([A-Z]{2,6})s?\b"
)


def _no_common_noun_acronyms(body: str, mentions: list[Mention]) -> list[Mention]:
    if not any(_is_acronym(m.surface.strip()) for m in mentions):
        return mentions
    common = set()
    for match in _INTRODUCED.finditer(body):
        letters = match.group(2)
        words = match.group(1).replace("-", " ").split()
        if "".join(w[0] for w in words[-len(letters) :]).upper() == letters:
            common.add(letters)
    return [m for m in mentions if m.surface.strip().rstrip("s") not in common]


def _demonyms_of_actors(body: str, mentions: list[Mention]) -> list[Mention]:
    """A demonym stands for its country where the country is named too, or where it
    qualifies an actor within the next few words."""
    named = {name_key(m.name) for m in mentions if demonym_country(m.surface) is None}

    def kept(m: Mention) -> bool:
        if demonym_country(m.surface) is None or name_key(m.name) in named:
            return True
        following = " ".join(body[m.end : m.end + 80].split()[:4])
        return bool(_ACTORS.search(following))

    return [m for m in mentions if kept(m)]


def _capitals_confirmed(body: str, mentions: list[Mention]) -> list[Mention]:
    """A name of several words seen only in a heading in capitals ("MAKING SPICED") is
    kept when the article writes it in ordinary case too; a sentence in capitals (it ends
    like one) is read as text."""
    ordinary = {name_key(m.name) for m in mentions if not m.surface.isupper()}

    def heading(m: Mention) -> bool:
        end = body.find("\n", m.end)
        line = body[m.start : end if end >= 0 else len(body)].rstrip()
        return not line.endswith((".", "!", "?", '"', "”"))

    return [
        m
        for m in mentions
        if not (m.surface.isupper() and len(m.surface.split()) > 1 and heading(m))
        or name_key(m.name) in ordinary
    ]


_MINOR = frozenset({"of", "the", "and", "for", "on", "in", "de", "du", "des", "la", "le", "&"})


def initials(name: str) -> str:
    """The capitals an organisation's name abbreviates to ("National Football League" ->
    "NFL"); small words (of, the, and, de...) do not count."""
    words = name.replace("-", " ").split()
    return "".join(w[0] for w in words if w.lower() not in _MINOR and w[0].isalpha()).upper()


def _is_acronym(surface: str) -> bool:
    letters = surface.replace(".", "").replace("&", "")
    return 2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper()


def _acronyms(mentions: list[Mention]) -> list[Mention]:
    """ "NFL" where "National Football League" is named: that organisation. Only when one
    full name of the article has those initials (two would make the letters ambiguous)."""
    full: dict[str, set[tuple[str, EntityKind]]] = defaultdict(set)
    for m in mentions:
        if len(m.name.split()) > 1 and m.kind is not PERSON:
            full[initials(m.name)].add((m.name, m.kind))
    out = []
    for m in mentions:
        letters = m.name.replace(".", "").upper()
        fits = full.get(letters, set()) if _is_acronym(m.name) else set()
        if len(fits) == 1:
            name, kind = next(iter(fits))
            m = replace(m, name=name, kind=kind)
        out.append(m)
    return out


def _company_forms(mentions: list[Mention]) -> list[Mention]:
    """ "Acme Corp." -> "Acme"; "Alibaba Group" or "Ascom North America" -> "Alibaba",
    "Ascom" when the shorter name is an organisation of the same article."""
    shorter = {
        name_key(m.name): m.name for m in mentions if m.kind is ORG and len(m.name.split()) <= 3
    }
    out = []
    for m in mentions:
        if m.kind is ORG:
            base = without_legal_suffix(m.name)
            if base != m.name:
                m = replace(m, name=base)
            words = m.name.split()
            for n in range(len(words) - 1, 0, -1):
                head = name_key(" ".join(words[:n]))
                if head in shorter and _is_affiliate_tail(words[n:]):
                    m = replace(m, name=shorter[head], kind=ORG)
                    break
        out.append(m)
    return out


_AFFILIATE = frozenset(
    "group holdings holding company co corp inc plc international global airline airlines "
    "airways motors motor foundation bank capital partners".split()
)


def _is_affiliate_tail(words: list[str]) -> bool:
    """The rest of a company's name that leaves it the same company: a group word, or a
    country or region ("North America", "Philippines")."""
    tail = " ".join(words)
    return (
        all(name_key(w).strip(".,") in _AFFILIATE for w in words)
        or country_of(tail) is not None
        or (len(words) == 1 and organisation_evidence(tail))
    )


def _one_kind_per_name(mentions: list[Mention]) -> list[Mention]:
    """Every mention of one name gets one kind: the gazetteer's, else the majority label
    (ties: person, then organisation: the model's person and organisation labels are its
    more careful ones)."""
    votes: dict[str, Counter[EntityKind]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for m in mentions:
        key = _compact(m.name)
        votes[key][m.kind] += 1
        names.setdefault(key, m.name)
    kinds: dict[str, EntityKind] = {}
    order = {PERSON: 0, ORG: 1, PLACE: 2}
    for key, counter in votes.items():
        evidence = kind_evidence(names[key]) or _evidence_of_form(names[key], counter)
        # A one-word place name that is also a given name, read as a person most of the time,
        # is a person ("Jordan", "Georgia"); "Glasgow" or "Ho Chi Minh City" stay places.
        person_word = (
            " " not in names[key] and counter[PERSON] > counter[PLACE] and is_given_name(names[key])
        )
        if evidence is not None and not (evidence is PLACE and person_word):
            kinds[key] = evidence
        else:
            kinds[key] = min(counter, key=lambda k: (-counter[k], order[k]))
    return [replace(m, kind=kinds[_compact(m.name)]) for m in mentions]


# A one-word name the model read as a person is a city of at least this size instead.
CITY_NOT_NAME = 250_000


def _evidence_of_form(name: str, votes: Counter[EntityKind]) -> EntityKind | None:
    """One word the model called a place that no gazetteer knows ("Netflix", "Weibo") is
    an organisation; one word it called a person that is a known place is that place, and
    a plural ("Steelers", "Sabres") is a team."""
    if len(name.split()) != 1 or len(votes) != 1:
        return None
    (label,) = votes
    if label is PLACE and not is_known_place(name) and not is_broad_place(name):
        return ORG
    if label is PERSON and (is_country_or_state(name) or city_population(name) >= CITY_NOT_NAME):
        return PLACE  # "Glasgow" read as a person; not "Obama", a town of 30,000 in Japan
    if label is PERSON and name.endswith("s") and not name.endswith("ss"):
        return ORG
    return None


def _people_named_as_organisations(mentions: list[Mention]) -> list[Mention]:
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


def _one_name_per_person(mentions: list[Mention]) -> list[Mention]:
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


def _longer_forms(mentions: list[Mention]) -> list[Mention]:
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


def _words_of_one_person(mentions: list[Mention]) -> list[Mention]:
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


def _teams_by_nickname(mentions: list[Mention]) -> list[Mention]:
    """ "Steelers" where "Pittsburgh Steelers" is named: that team. A plural word only (team
    nicknames are), and only when one organisation of the article ends with it."""
    ends: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        if m.kind is ORG and " " in m.name:
            ends[name_key(m.name.split()[-1])].add(m.name)
    out = []
    for m in mentions:
        key = name_key(m.name)
        if " " not in m.name and key.endswith("s") and len(ends.get(key, ())) == 1:
            m = replace(m, name=next(iter(ends[key])), kind=ORG)
        out.append(m)
    return out


def _products_of_named_makers(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "Apple AirPods", "Google Stadia", "Ford Mustang Mach", "Apple’s AirPower" where Apple,
    Google or Ford is named on its own: a product of that maker, not another organisation
    or a person; and every other mention of the product's own name ("Stadia") is that
    product too."""
    makers = {name_key(m.name) for m in mentions if m.kind is ORG}
    ends = {m.end: name_key(m.name) for m in mentions}

    def product_name(m: Mention) -> str | None:
        if kind_evidence(m.name) is not None:
            return None
        adjacent = ends.get(m.start - 1) in makers and body[m.start - 1] == " "
        if adjacent and m.kind is not PERSON:  # not "European Union Gordon Sondland"
            return name_key(m.name)  # "Google" then "Stadia", two spans of the model
        if m.kind is ORG and _owners(body, m) & makers:
            return name_key(m.name)  # "Apple’s AirPower": an organisation's own thing
        words = name_key(m.name).split()
        for n in range(1, len(words)):
            if " ".join(words[:n]) in makers:
                return " ".join(words[n:])  # "Google Stadia", one span
        return None

    products = {p for p in map(product_name, mentions) if p is not None}
    return [
        m
        for m in mentions
        if product_name(m) is None and not (name_key(m.name) in products and m.kind is ORG)
    ]


def _owners(body: str, m: Mention) -> set[str]:
    """The names that may own the mention through a possessive ("Apple’s AirPower", as one
    span or two): the last one to three words before the "’s", as keys."""
    owned = _POSSESSIVE_INSIDE.match(m.surface.strip())
    before = owned.group(0) if owned else body[max(0, m.start - 60) : m.start]
    if not before.endswith(("’s ", "'s ")):
        return set()
    words = before[:-3].split()
    return {name_key(" ".join(words[-n:])) for n in (1, 2, 3) if len(words) >= n}


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


def _people_without_evidence(body: str, mentions: list[Mention]) -> list[Mention]:
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
        m if m.kind is not PERSON or m.name in proven else replace(m, name=m.surface.strip())
        for m in mentions
        if m.kind is not PERSON or m.name in proven or alone[m.surface.strip()] > 1
    ]


def _people_by_context(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "quarterback Mason Rudolph", "executive chair Marcelo Claure" labelled organisations:
    a name of two or three words with no institution's word, which a title or role precedes
    somewhere in the article, is a person; its surname alone is that person."""
    people: dict[str, str] = {}
    for m in mentions:
        words = m.name.split()
        if m.kind is PERSON or not 2 <= len(words) <= 3 or kind_evidence(m.name) is not None:
            continue
        if _PERSON_BEFORE.search(body[max(0, m.start - 40) : m.start]):
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


def _titled(body: str, m: Mention) -> bool:
    """A title or role right before the mention ("coach Vogel"); a verb of speech ("said
    SpaceX") or "under" introduces companies as often as people."""
    match = _PERSON_BEFORE.search(body[max(0, m.start - 40) : m.start])
    return match is not None and match.group(0).split()[-1].lower() not in _NOT_TITLES


_NOT_TITLES = frozenset({"said", "says", "told", "under"})


def _one_word_people_by_context(body: str, mentions: list[Mention]) -> list[Mention]:
    """A one-word "person" ("Twitter", "Ubisoft") that is no given name or Census surname,
    no surname of a full name in the article, and after no title or role anywhere
    ("President Obama", "striker Neymar"), is an organisation: the model's usual error on
    company names (measured on real pages, docs/quality.md)."""
    full_words = {
        w for m in mentions if m.kind is PERSON and " " in m.name for w in name_key(m.name).split()
    }
    titled = {m.name for m in mentions if m.kind is PERSON and _titled(body, m)}

    def organisation(m: Mention) -> bool:
        return (
            m.kind is PERSON
            and " " not in m.name
            and m.name not in titled
            and name_key(m.name) not in full_words
            and not is_common_given_name(m.name)
            and not is_census_surname(m.name)
        )

    return [replace(m, kind=ORG) if organisation(m) else m for m in mentions]


def _confirmed_by_text(mentions: list[Mention]) -> list[Mention]:
    """A headline span is kept when the text names the same entity, or when it is a known
    place; headlines are title-cased, and their words are read as names too easily."""
    in_text = {_compact(m.name) for m in mentions if not m.in_title}
    return [
        m
        for m in mentions
        if not m.in_title or _compact(m.name) in in_text or country_of(m.name) is not None
    ]


def _named_in_headline(title: str, mentions: list[Mention]) -> list[Mention]:
    """The text's entities that the headline names by a form the model missed there (its
    full name, a person's surname, an organisation's short form): title mentions, for
    ranking. Whole words only, case as written."""
    if not title:
        return []
    have = {_compact(m.name) for m in mentions if m.in_title}
    spans = [(m.start, m.end) for m in mentions if m.in_title]
    added: list[Mention] = []
    forms: dict[str, Mention] = {}
    for m in mentions:
        if m.in_title or _compact(m.name) in have:
            continue
        for form in _forms(m):
            forms.setdefault(form, m)
    for form, m in sorted(forms.items(), key=lambda kv: -len(kv[0])):
        if _compact(m.name) in have:
            continue
        start = _whole_word_at(title, form)
        end = start + len(form)
        if start >= 0 and not any(a < end and start < b for a, b in spans):
            spans.append((start, end))
            have.add(_compact(m.name))
            added.append(replace(m, surface=form, start=start, end=end, in_title=True))
    return added


def _whole_word_at(text: str, form: str) -> int:
    """Where ``form`` is first written in ``text`` as whole words, or -1 (a plain search:
    a regular expression per form costs more than the rest of resolution)."""
    start = text.find(form)
    while start >= 0:
        end = start + len(form)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return start
        start = text.find(form, start + 1)
    return -1


def _forms(m: Mention) -> list[str]:
    forms = [m.name, m.surface.strip()]
    words = m.name.split()
    if m.kind is PERSON and len(words) > 1 and len(words[-1]) > 2:
        forms.append(words[-1])
    return [f for f in dict.fromkeys(forms) if len(f) > 2]
