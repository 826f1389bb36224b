"""One article's mentions -> the entities it names (pure functions, no store, no model).

What NER finds is spans with a label; what a reader should see is one tag per real person,
organisation or place the article names. Between the two, in this order:

1. what is no name of one thing goes or is cut: spans across a line break, a result line
   split into its sides ("Viera d. Rockledge"), a person's name after "the" or a given
   name alone, an owner's possessive ("Vietnam’s Communist Party"), a team-position
   prefix ("Browns DL Sheldon Richardson"), a country run into a name, a sentence's first
   word; the owner of a possessive span is a mention of its own ("Apple’s AirPods"); what
   ``filters`` finds (common abbreviations, directions, events, works, instruments, model
   numbers, numbers, addresses, a place's people, a word the article also writes in lower
   case); what ``things`` finds (organisms, abbreviations of lower-case words, names a
   thing's noun follows or a work's noun precedes, counted plurals);
2. what the model missed is found by name: countries, US states and large cities, a
   state's postal code after a place ("Cuyahoga Falls, OH"); state abbreviations
   ("Calif.", "N.J.") are their states;
3. demonyms stand for their country beside an actor ("Egyptian mediators"); headings in
   capitals need the text to confirm them; headline spans need the text before any name
   is joined to them (headlines vouch for nobody);
4. short forms join the full form of the same article: acronyms of a named
   organisation ("NFL"); ``companies``: legal suffixes ("Acme Corp." = "Acme"), a company's
   group word or region ("Alibaba Group", "Ascom North America"), a group's plural;
5. one kind per name: a gazetteer's kind, else the label most mentions got; a name always
   written with a possessive is a shop ("Lowe’s"); then ``people`` decides who is a person
   (evidence: a given name, a title or role, a verb of speech, the surname alone, what only
   a person has) and under which name (nicknames, longer forms, a word of the article's one
   person); ``teams`` makes teams of nicknames, of a city named with one, and of places the
   sports pages write as teams; ``things`` drops a maker's products ("Apple AirPods",
   "Google’s Stadia", "Audi e-tron Sportback");
6. the headline confirms: a span found only in the title-cased headline is kept when it is
   a known place; an entity of the text that the headline names (by full name, surname or
   short form) counts as in the headline, which ranks it first.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace

from tagwire.entities import companies, people, qualifiers, teams, things
from tagwire.entities.filters import not_an_entity
from tagwire.entities.knowledge import (
    is_broad_place,
    is_common_given_name,
    is_frequent_word,
    kind_evidence,
    known_places,
    organisation_evidence,
    state_for,
)
from tagwire.entities.names import (
    DATELINE_CITY,
    clean_name,
    initials,
    is_given_name,
    name_key,
    written_at,
)
from tagwire.entities.places import (
    canonical_place,
    city_population,
    country_of,
    demonym_country,
    is_country_or_state,
    is_known_place,
)
from tagwire.entities.spans import parted_at_the, sides_of_results
from tagwire.types import EntityKind, Mention

PERSON, ORG, PLACE = EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.PLACE


def resolve_article(body: str, title_end: int, mentions: Iterable[Mention]) -> tuple[Mention, ...]:
    """The article's mentions after the steps of the module's docstring."""
    spans = [m for m in sides_of_results(mentions) if "\n" not in m.surface.strip()]
    spans = parted_at_the(body, spans)
    found = [_company_read_as_person(_place_before_person(_owned(m))) for m in spans]
    found += [o for o in (_owner(body, m) for m in spans) if o is not None]
    royal = {m.name for m in found if _ROYAL.match(m.surface)}
    found = [m for m in found if not _not_a_person(m, royal)]
    found = _states(body, found)
    found += _places_the_model_missed(body, title_end, found)
    found += _sources_cited_alone(body, title_end, found)
    lower_words = frozenset(_LOWER_WORD.findall(body))
    found = _without_sentence_starts(body, found, lower_words)
    found = [m for m in found if not not_an_entity(m.name, m.kind, lower_words)]
    found = things.no_organisms(body, found)
    found = things.no_common_noun_acronyms(body, found)
    found = things.no_named_things(body, found)
    found = things.no_product_lines(body, found)
    found = things.no_counted_things(body, found)
    found = things.no_plural_acronyms(body, found)
    found = things.no_titled_works(body, found)
    found = things.no_listed_works(body, found)
    found = things.no_listed_items(body, found)
    found = things.no_heading_words(found)
    found = things.no_characters(body, found)
    found = things.no_occasions(body, found)
    found = _demonyms_of_actors(body, found)
    found = _capitals_confirmed(body, found)
    found = _headline_names_written_in_text(body, title_end, found)
    # Headline spans the text does not confirm go before any step that joins names, so
    # "NASA Picks SpaceX" never becomes the full name that "NASA" and "SpaceX" join.
    found = _confirmed_by_text(found)
    found = companies.companies_in_full(body, title_end, found, lower_words)
    found = qualifiers.schools_named_by_place(body, found)
    found = _acronyms(found)
    found = companies.company_forms(_one_kind_per_name(found))
    found = companies.plurals_of_groups(found)
    found = _one_kind_per_name(found)
    found = _possessive_brands(body, found)
    found = people.people_without_evidence(body, found)
    found = people.people_by_context(body, found)
    found = people.one_word_people_by_context(body, found)
    found = people.one_word_organisations_as_people(body, found)
    found = people.people_named_as_organisations(found)
    found = people.words_of_one_person(found)
    found = people.one_name_per_person(found)
    found = people.longer_forms(found)
    found = teams.teams_by_nickname(body, found)
    found = teams.places_as_teams(body, found)
    found = things.products_of_named_makers(body, found)
    found = _confirmed_by_text(found)
    found = qualifiers.without_adjectival_countries(body, found)
    found += _named_in_headline(body, title_end, found)
    return tuple(sorted(found, key=lambda m: m.start))


_VERB_FIRST = re.compile(r"^[A-Z][a-z]{2,}ing$")
_POSITION = re.compile(r"^(?!II$|IV$|VI$)[A-Z]{2,3}$")


def _place_before_person(m: Mention) -> Mention:
    """ "envoy for Ukraine Kurt Volker": a country ran into the person named after it. And
    "Kate York" read as a place: a common given name, then a town's name, that no gazetteer
    knows as a place together, is a person ("Virginia Beach" is a city, "Jackson Hole" no
    town and a name)."""
    words = m.name.split()
    if (
        m.kind is PLACE
        and len(words) == 2
        and is_common_given_name(words[0])
        and people.given_name_of_no_place(words[0])
        and city_population(words[1]) >= 50_000
        and not is_known_place(m.name)
        and kind_evidence(m.name) is None
    ):
        return replace(m, kind=PERSON)
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
        owner = things.POSSESSIVE_INSIDE.match(m.name)
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
                team = " ".join(words[:i])
                if name_key(m.surface) in name_key(team):  # "Browns" given that long name
                    return replace(m, name=team, kind=ORG)
                return replace(m, name=" ".join(words[i + 1 :]))
        return m
    owned = things.POSSESSIVE_INSIDE.sub("", m.name)
    if owned == m.name or len(owned) <= 1 or not_an_entity(owned, m.kind, frozenset()):
        return m  # "Bartholomew County Sheriff’s Department": the possessive is the name's
    return replace(m, name=owned)


def _owner(body: str, m: Mention) -> Mention | None:
    """ "Apple’s AirPods" read as one organisation: besides the owned name (``_owned``), the
    owner is a mention of its own, when the article also writes it without the possessive
    (so that "McDonald’s Corp" gives no "McDonald")."""
    if m.kind is PERSON:
        return None
    match = things.POSSESSIVE_INSIDE.match(m.surface)
    if match is None:
        return None
    owner = re.sub(r"['’]s\s+$", "", match.group(0)).removeprefix("the ").strip()
    start = m.start + m.surface.find(owner)
    alone = re.compile(rf"\b{re.escape(owner)}\b(?!['’]s)")
    if len(owner) < 2 or not any(x.start() != start for x in alone.finditer(body)):
        return None
    span = replace(m, start=start, end=start + len(owner), surface=owner)
    if is_known_place(owner):
        return replace(span, name=canonical_place(owner), kind=PLACE)
    if " " in owner and is_common_given_name(owner.split()[0]):
        return replace(span, name=owner, kind=PERSON)  # "Jeff Bezos’s Blue Origin"
    return replace(span, name=owner, kind=ORG)


# "Viera d. Rockledge", "Arsenal v Chelsea": a result or a fixture, two names in one span.
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
        if not rest or name_key(rest) not in alone:
            continue
        if first.lower() not in lower_words and not _plain_word(first):
            continue
        if is_known_place(m.name) or kind_evidence(m.name) is not None:
            continue  # "South Korea", "New York": the word belongs to the name
        before = body[: m.start].rstrip()
        if not before or before[-1] in '.!?:\n"“':
            cut[m.name] = rest
    return [replace(m, name=cut[m.name]) if m.name in cut else m for m in mentions]


def _plain_word(word: str) -> bool:
    """A frequent English word that is no given name ("Recent", "Off"; not "Will")."""
    return is_frequent_word(word) and not is_common_given_name(word)


def _not_a_person(m: Mention, royal: set[str]) -> bool:
    """A person's name is not written after "the" ("the Tomb Raider"), and a given name
    alone ("Max", "James") that no full name of the article explains names nobody, unless
    a royal or religious title names the person by it ("Prince Andrew", "Pope Francis")."""
    if m.kind is not PERSON:
        return False
    if m.surface.lower().startswith("the "):
        return True
    return " " not in m.name and is_given_name(m.name) and m.name not in royal


# Titles that name a person by a given name alone.
_ROYAL = re.compile(
    r"(?:Crown )?(?:King|Queen|Prince|Princess|Emperor|Empress|Pope|Sultan|Emir|Sheikh|Duke|"
    r"Duchess)\s"
)


# A word in lower case, not inside an address ("www.ascom.com", "press@acme.org"): a
# company's own domain does not make its name a common word.
_LOWER_WORD = re.compile(r"(?<![\w.@/])[a-z][a-z'’-]+\b(?![.@/]\w)")


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
        if not _after_dateline_city(body, s + title_end, e + title_end)
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


# A paragraph that is only a name in brackets: a review round-up's source ("[Engadget]",
# "[The Verge]" after each quote), one to four capitalised words.
_CITED_ALONE = re.compile(
    r"^\[((?:The )?[A-Z][\w'’.&-]*(?: [A-Z][\w'’.&-]*){0,3})\]$", re.MULTILINE
)


def _sources_cited_alone(body: str, title_end: int, mentions: list[Mention]) -> list[Mention]:
    """The publications a round-up quotes, each named alone in brackets after its quote:
    organisations the model rarely reads there (one line, no sentence around them)."""
    taken = [(m.start, m.end) for m in mentions]
    found = []
    for cited in _CITED_ALONE.finditer(body, title_end):
        start, end = cited.span(1)
        name = clean_name(cited.group(1), ORG.value)
        if name and not any(s < end and start < e for s, e in taken):
            found.append(Mention(cited.group(1), name, ORG, start, end, False))
    return found


# A dateline's city before the place: "WIGAN, England (Reuters)" at a line's start.
_DATELINE_BEFORE = re.compile(r"(?:^|\n)[A-Z][A-Z .'’-]+, $")


def _after_dateline_city(body: str, start: int, end: int) -> bool:
    """ "WIGAN, England", or "Manchester, England (Sports Network)" with its agency."""
    window = max(0, start - 40)
    if _DATELINE_BEFORE.search(body, window, start):
        return True
    return bool(DATELINE_CITY.search(body, window, start)) and body.startswith(" (", end)


# "Cuyahoga Falls, OH": a state's postal code after a place's name and a comma.
_CITY_STATE = re.compile(r"(?<=[a-z]), ([A-Z]{2})(?![\w.])")


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


def _acronyms(mentions: list[Mention]) -> list[Mention]:
    """ "NFL" where "National Football League" is named: that organisation. Only when one
    full name of the article has those initials (two would make the letters ambiguous)."""
    full: dict[str, set[tuple[str, EntityKind]]] = defaultdict(set)
    for m in mentions:
        if len(m.name.split()) > 1 and m.kind is not PERSON:
            full[initials(m.name)].add((m.name, m.kind))
    compounds = {m.name for m in mentions if m.kind is ORG and _compound_word(m.name)}
    out = []
    for m in mentions:
        letters = m.name.replace(".", "").upper()
        fits = full.get(letters, set()) if things.is_acronym(m.name) else set()
        if not fits and things.is_acronym(m.name) and len(letters) <= 3:
            fits = {(n, ORG) for n in compounds if _letters_of_compound(letters, n)}
        if len(fits) == 1:
            name, kind = next(iter(fits))
            m = replace(m, name=name, kind=kind)
        out.append(m)
    return out


def _compound_word(name: str) -> bool:
    return " " not in name and len(name) >= 6 and name.isalpha() and name[1:].islower()


def _letters_of_compound(letters: str, name: str) -> bool:
    """ "VW" of "Volkswagen": the first letter, then each other letter later in the one word,
    in order (German and Dutch companies' compounds are abbreviated so)."""
    if letters[0] != name[0]:
        return False
    rest = iter(name[1:].upper())
    return all(letter in rest for letter in letters[1:])


def _company_read_as_person(m: Mention) -> Mention:
    """ "Ascom North America" read as a person: a name that is no given name followed by a
    country or region is a company's branch, an organisation."""
    words = m.name.split()
    if m.kind is not PERSON or len(words) < 2 or is_common_given_name(words[0]):
        return m
    tails = (words[n:] for n in range(1, len(words)))
    branch = companies.is_affiliate_tail
    if any(branch(t) and not organisation_evidence(" ".join(t)) for t in tails):
        return replace(m, kind=ORG)
    return m


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


def _possessive_brands(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "Lowe’s", "Macy’s": a one-word "person" the article writes twice or more and always
    with a possessive is a shop named so, an organisation under that name."""
    surnames = {m.name.split()[-1] for m in mentions if m.kind is PERSON and " " in m.name}
    brands: dict[str, str] = {}
    for name in {m.name for m in mentions if m.kind is PERSON and " " not in m.name} - surnames:
        written = re.findall(rf"\b{re.escape(name)}\b(['’]s)?", body)
        if len(written) >= 2 and all(written):
            brands[name] = name + written[0]
    return [replace(m, name=brands[m.name], kind=ORG) if m.name in brands else m for m in mentions]


def _headline_names_written_in_text(
    body: str, title_end: int, mentions: list[Mention]
) -> list[Mention]:
    """A headline's name of two words or more that the text writes word for word, where the
    model found nothing there ("Scooter Braun is allegedly unhappy", missed in the text): a
    mention of the text too, so the text confirms it and counts it. A headline's title case
    makes names of any words, but the text's own case does not; names that begin with a
    frequent word ("Put RSS Feeds") are left to the model."""
    taken = [(m.start, m.end) for m in mentions]
    added = []
    for m in mentions:
        surface = m.surface.strip()
        if not m.in_title or " " not in surface or is_frequent_word(surface.split()[0]):
            continue  # "Put RSS Feeds", "Japan Open": a headline's words, a tournament
        for start, end in written_at(body, surface, title_end):
            if body[start - 1 : start] == "(":
                continue  # "(Canadian Press)": a wire's credit
            if not any(a < end and start < b for a, b in taken):
                taken.append((start, end))
                added.append(replace(m, start=start, end=end, in_title=False))
    return sorted(mentions + added, key=lambda m: m.start) if added else mentions


def _confirmed_by_text(mentions: list[Mention]) -> list[Mention]:
    """A headline span is kept when the text names the same entity, or when it is a known
    place; headlines are title-cased, and their words are read as names too easily."""
    in_text = {_compact(m.name) for m in mentions if not m.in_title}
    return [
        m
        for m in mentions
        if not m.in_title or _compact(m.name) in in_text or country_of(m.name) is not None
    ]


def _named_in_headline(body: str, title_end: int, mentions: list[Mention]) -> list[Mention]:
    """The text's entities that the headline names by a form the model missed there (its
    full name, a person's surname, an organisation's short form): title mentions, for
    ranking. Whole words only, case as written."""
    title = body[:title_end]
    if not title:
        return []
    have = {_compact(m.name) for m in mentions if m.in_title}
    spans = [(m.start, m.end) for m in mentions if m.in_title]
    added: list[Mention] = []
    forms: dict[str, Mention] = {}
    for m in mentions:
        if m.in_title or _compact(m.name) in have:
            continue
        for form in _forms(body, m):
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


def _forms(body: str, m: Mention) -> list[str]:
    forms = [m.name, m.surface.strip()]
    words = m.name.split()
    if m.kind is PERSON and len(words) > 1 and len(words[-1]) > 2:
        forms.append(words[-1])  # a surname
    if m.kind is ORG and len(words) > 1 and teams.is_team(body, " ".join(words[:-1]), words[-1]):
        forms.append(words[-1])  # a team's nickname: "Lakers hold off OKC"
    return [f for f in dict.fromkeys(forms) if len(f) > 2]
