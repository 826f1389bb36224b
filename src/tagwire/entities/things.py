"""What an article names that is no person, organisation or place, found from the
article's own words (pure functions over its mentions): organisms and diseases
("the Wolbachia bacterium"), abbreviations of common nouns ("hypersensitivity pneumonitis,
or HP"), and products of a named maker ("Apple AirPods", "Google’s Stadia"). The steps of
``resolve.resolve_article`` call them in its order; ``filters`` judges names alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tagwire.entities.knowledge import is_broad_place, is_frequent_word, kind_evidence
from tagwire.entities.names import name_key, written_at
from tagwire.entities.places import is_known_place
from tagwire.types import EntityKind, Mention

PERSON, ORG, PLACE = EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.PLACE
# "Jeff Bezos’s Blue Origin", "Apple’s AirPower": an owner's possessive before a name.
POSSESSIVE_INSIDE = re.compile(r"^.+?['’]s\s+(?=[A-Z])")


def is_acronym(surface: str) -> bool:
    letters = surface.replace(".", "").replace("&", "")
    return 2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper()


# "the Wolbachia bacterium", "Ebola virus", "Wolbachia-carrying mosquitoes", "the bacterium
# Yersinia pestis": a name written as a kind of organism or disease anywhere in the article
# is one, in every mention (no organisation is written so).
_ORGANISMS = (
    r"bacterium|bacteria|virus|viruses|parasite|parasites|fungus|species|genus|strain|"
    r"disease|infection|infections|outbreak|vaccine"
)
_ORGANISM_WORD = re.compile(rf"\b(?i:{_ORGANISMS})\b")
_ORGANISM_HYPHEN = re.compile(r"-(?i:carrying|infected|resistant|borne)\b")
_ORGANISM_BEFORE = re.compile(rf"\b(?i:{_ORGANISMS})\s+(?=[A-Z])")


def no_organisms(body: str, mentions: list[Mention]) -> list[Mention]:
    ends = _organism_name_ends(body)
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


def _organism_name_ends(body: str) -> list[int]:
    """Where a name written as an organism's ends: before "bacterium" or "virus", before a
    species' epithet and its class ("Yersinia pestis bacterium"), before "-carrying".
    Found from the class words back (a look-ahead tried at every character of the text
    cost as much as the rest of resolution)."""
    ends = [match.start() for match in _ORGANISM_HYPHEN.finditer(body)]
    for match in _ORGANISM_WORD.finditer(body):
        end = _skip_back(body, match.start(), str.isspace)
        if end == match.start():
            continue
        ends.append(end)  # "Wolbachia bacterium"
        word = _skip_back(body, end, lambda c: "a" <= c <= "z")
        before = _skip_back(body, word, str.isspace)
        if word < end and before < word:
            ends.append(before)  # "Yersinia pestis bacterium"
    return ends


def _skip_back(body: str, i: int, skip: Callable[[str], bool]) -> int:
    while i > 0 and skip(body[i - 1]):
        i -= 1
    return i


# "hypersensitivity pneumonitis, or HP", "electric vehicles (EVs)": an abbreviation the
# article introduces for words it writes in lower case names a thing, not an organisation.
_INTRODUCED = re.compile(r"(?:,\s*or\s+|\(\s*)([A-Z]{2,6})s?\b")
_EXPANDED_AFTER = re.compile(r"\b([A-Z]{2,6})\s*\(([a-z][a-z ,-]{3,80})\)")
_WORDS_BEFORE = re.compile(r"((?:[a-z][a-z-]*\s+){1,5}[a-z][a-z-]*)\s*$")


def no_common_noun_acronyms(body: str, mentions: list[Mention]) -> list[Mention]:
    if not any(is_acronym(m.surface.strip()) for m in mentions):
        return mentions
    common = set()
    for after in _EXPANDED_AFTER.finditer(body):  # "FIRE (financial independence, ...)"
        words = after.group(2).replace("-", " ").replace(",", " ").split()
        letters = after.group(1)
        if "".join(w[0] for w in words[: len(letters)]).upper() == letters:
            common.add(letters)
    for match in _INTRODUCED.finditer(body):  # the abbreviation first, then its words
        before = _WORDS_BEFORE.search(body, max(0, match.start() - 200), match.start())
        if before is None:
            continue
        letters = match.group(1)
        words = before.group(1).replace("-", " ").split()
        if "".join(w[0] for w in words[-len(letters) :]).upper() == letters:
            common.add(letters)
    return [m for m in mentions if m.surface.strip().rstrip("s") not in common]


# Nouns that, right after a name, make it the name of a device, a program, a work or a dish
# ("the MEB platform", "the Chrome browser", "a Fresno chile"); generic ones that follow a
# maker as well ("Apple devices", "Ford sedan") are not among them.
_THING_NOUNS = frozenset(
    """
    controller controllers console consoles app apps laptop laptops smartphone tablet
    headphones earbuds keyboard keyboards platform chip chips processor processors edition
    editions subscription subscriptions browser soundtrack album trailer launcher rocket
    rockets spacecraft capsule telescope satellite mission missions festival chile sauce
    recipe solution object lineup franchise sequel reboot bundle hatchback lighting
    """.split()
)
_NEXT_WORD = re.compile(r"\s+([a-z]+)\b")


def no_named_things(body: str, mentions: list[Mention]) -> list[Mention]:
    """A name that a thing's noun follows in at least half of its mentions is that thing's."""
    seen: dict[str, int] = {}
    things: dict[str, int] = {}
    for m in mentions:
        key = name_key(m.name)
        seen[key] = seen.get(key, 0) + 1
        after = _NEXT_WORD.match(body, m.end)
        if after and after.group(1) in _THING_NOUNS:
            things[key] = things.get(key, 0) + 1
    return _without_things(
        mentions, lambda m: 2 * things.get(name_key(m.name), 0) >= seen[name_key(m.name)]
    )


def _without_things(mentions: list[Mention], is_thing: Callable[[Mention], bool]) -> list[Mention]:
    """Every mention of a name one of its mentions shows to be a thing's, unless a gazetteer
    or an institution's word vouches for the name."""
    things = {m.name for m in mentions if is_thing(m) and kind_evidence(m.name) is None}
    return [m for m in mentions if m.name not in things]


# A product line's tier after a name ("Chromecast Ultra", "MacBook Pro to the limit", "Stadia
# Pro subscription"), not followed by another name ("Pro Football Focus"); "Plus" and "Max"
# are left out: services of companies are named so ("Disney Plus", "HBO Max"); so is "Air",
# which ends airlines' names ("Cape Air").
_TIER_AFTER = re.compile(r"(?<![\w-])([A-Za-z][\w-]*)\s+(?:Pro|Ultra|Mini|Lite)\b(?![ \t]+[A-Z])")
# A size or a resolution before a name: "the 12-inch MacBook", "a 4K-ready Chromecast".
_SPEC_BEFORE = re.compile(
    r"\b\d+(?:\.\d+)?(?i:-inch|-in\.|GB|TB|K-ready)\s+([A-Za-z][\w-]*)(?![\w-])"
)
# Words right before a name that make it a company's: "keyboard case maker Brydge".
_MAKER_BEFORE = re.compile(r"\b(?:maker|makers|manufacturer|retailer|startup|firm)\s+$")


def no_product_lines(body: str, mentions: list[Mention]) -> list[Mention]:
    """A name the article writes with a product line's tier after it or a size before it,
    anywhere, is a product's ("MacBook", "Chromecast"), and so are its tiers and its plural
    ("MacBook Pro", read as a person, "MacBooks"); unless the article also says it is a
    company's ("case maker Brydge ... Brydge Pro"). The words written so are found in one
    pass over the text, then the mentions' names looked up among them."""
    written = {w.group(1) for w in _TIER_AFTER.finditer(body)}
    written |= {w.group(1) for w in _SPEC_BEFORE.finditer(body)}
    bases = {_TIER_NAME.sub("", m.name) for m in mentions if m.kind is not PERSON}
    bases |= {_TIER_NAME.sub("", m.name) for m in mentions if _TIER_NAME.search(m.name)}
    products = {
        b
        for b in bases & written
        if kind_evidence(b) is None
        and not any(
            _MAKER_BEFORE.search(body, max(0, start - 20), start)
            for start, _ in written_at(body, b)
        )
    }
    # A name of several words before a model's number: "Intel Core i5", "Zorb Galaxy S10"
    # (one word before a number is a maker as often: "Boeing 737", "Toyota RAV4").
    products |= {
        m.name
        for m in mentions
        if m.kind is not PERSON
        and " " in m.name
        and _MODEL_AFTER.match(body, m.end)
        and kind_evidence(m.name) is None
    }
    if not products:
        return mentions
    return [
        m
        for m in mentions
        if _TIER_NAME.sub("", m.name) not in products and m.name.removesuffix("s") not in products
    ]


_TIER_NAME = re.compile(r" (?:Pro|Ultra|Mini|Lite)$")
_MODEL_AFTER = re.compile(
    r"\s+(?!\d+(?:st|nd|rd|th)\b|\d+-[a-z])(?=[A-Za-z]{0,3}\d)(?=\S*[A-Za-z])"
    r"[A-Za-z]{0,3}\d[\w-]*\b"
)


# Nouns before a name that make it a work's title: "their work Starry Night", "the film
# Gladiator", "the game Gylt" (not "the band ...", "the company ...": those name actors).
# The noun must follow a determiner or a possessive, perhaps with one word between ("the
# new film Gladiator"): "altered to show Starmer" uses the verb.
_WORK_BEFORE = re.compile(
    r"\b(?:the|a|an|his|her|their|its|our|my|this|that)\s+(?:[\w-]+\s+)?"
    r"(?:work|installation|film|movie|song|single|album|book|novel|painting|game|show|"
    r"series|episode|play|musical|documentary|podcast|exhibition|sculpture|poem|opera|"
    r"ballet|video|app|title|track|artwork)\s+$",
    re.IGNORECASE,
)


def no_titled_works(body: str, mentions: list[Mention]) -> list[Mention]:
    """A name written right after a work's noun anywhere in the article is that work's."""
    return _without_things(
        mentions, lambda m: bool(_WORK_BEFORE.search(body, max(0, m.start - 40), m.start))
    )


# Words that count or qualify things before a plural: "all MacBooks", "older iPads", "one
# or two Troopers". Teams, the plural names among organisations, take "the" instead.
_COUNTED = re.compile(
    r"\b(?:(one|two|three|four|five|six|several|dozens of)|all|some|many|most|old|new|"
    r"other|these|those|both|more|fewer|our|your|their|cheap|used|smaller|larger|bigger|"
    r"older|newer|cheaper)\s+$"
)


def no_plural_acronyms(body: str, mentions: list[Mention]) -> list[Mention]:
    """An abbreviation the article also writes as a plural ("the AMAs", "VMAs") names a kind
    of thing or an event held again and again, not one organisation."""
    plural = {w.group(1) for w in re.finditer(r"\b([A-Z]{2,6})s\b", body)}
    if not plural:
        return mentions
    return _without_things(mentions, lambda m: m.name in plural and is_acronym(m.name))


def no_counted_things(body: str, mentions: list[Mention]) -> list[Mention]:
    """A plural name counted ("two Troopers"), or qualified like a thing ("old MacBooks")
    where the article writes the singular too, is a product's or a thing's."""

    def counted(m: Mention) -> bool:
        if m.kind is PERSON or not m.surface.endswith("s"):
            return False
        before = _COUNTED.search(body, max(0, m.start - 20), m.start)
        if before is None:
            return False
        singular = re.search(rf"\b{re.escape(m.surface[:-1])}\b(?!s)", body)
        return before.group(1) is not None or singular is not None

    return _without_things(mentions, counted)


def products_of_named_makers(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "Apple AirPods", "Google Stadia", "Ford Mustang Mach", "Apple’s AirPower" where Apple,
    Google or Ford is named on its own: a product of that maker, not another organisation
    or a person; and every other mention of the product's own name ("Stadia") is that
    product too."""
    makers = {name_key(m.name) for m in mentions if m.kind is ORG}
    ends = {m.end: name_key(m.name) for m in mentions}

    def product_name(m: Mention) -> str | None:
        if kind_evidence(m.name) is not None:
            return None
        adjacent = body[m.start - 1 : m.start] == " " and (
            ends.get(m.start - 1) in makers or _after_makers_model(body, m.start, ends, makers)
        )
        if adjacent and m.kind is not PERSON:  # not "European Union Gordon Sondland"
            return name_key(m.name)  # "Google" then "Stadia", two spans of the model
        if m.kind is ORG and _owners(body, m) & makers:
            return name_key(m.name)  # "Apple’s AirPower": an organisation's own thing
        words = name_key(m.name).split()
        for n in range(1, len(words)):
            rest = " ".join(words[n:])
            if " ".join(words[:n]) in makers and not _place_or_evidence(rest):
                return rest  # "Google Stadia", one span ("Lycos Europe" is a branch)
        return None

    products = {p for p in map(product_name, mentions) if p is not None}
    # "Salesforce's Dreamforce conference", where the model found only "Dreamforce" later.
    owned = {w.group(2) for w in _OWNED.finditer(body) if name_key(w.group(1)) in makers}
    products |= {
        name_key(m.name)
        for m in mentions
        if m.kind is ORG and m.name in owned and kind_evidence(m.name) is None
    }
    return [
        m
        for m in mentions
        if product_name(m) is None and not (name_key(m.name) in products and m.kind is not PERSON)
    ]


def _place_or_evidence(name: str) -> bool:
    return kind_evidence(name) is not None or is_known_place(name) or is_broad_place(name)


# A name's possessive, then a one-word name: "Salesforce's Dreamforce".
_OWNED = re.compile(r"(?<![\w-])([A-Z][\w&.-]*)['’]s ([A-Z][\w-]*)(?![\w-])")


_LAST_TOKEN = re.compile(r"(?<= )([^\s]+) $")


def _after_makers_model(body: str, start: int, ends: dict[int, str], makers: set[str]) -> bool:
    """ "Audi e-tron Sportback", "Dell G3 Inspiron": a maker, then a model's word (digits, or
    a lower-case start with a hyphen or a capital inside), then the name."""
    before = _LAST_TOKEN.search(body, max(0, start - 40), start)
    if before is None:
        return False
    token, token_start = before.group(1), before.start(1)
    if token[-1] in ",;:.)":
        return False  # "LSU 51, Mississippi State 0": a score, no model
    model = any(c.isdigit() for c in token) or (
        token[:1].islower() and any(c == "-" or c.isupper() for c in token)
    )
    if not model:
        return False
    # The maker as a mention, or its name written there where the model found none.
    maker = _LAST_WORD.search(body, max(0, token_start - 40), token_start)
    return ends.get(token_start - 1) in makers or (
        maker is not None and name_key(maker.group(1)) in makers
    )


_LAST_WORD = re.compile(r"(?<![\w-])([A-Z][\w&.-]*) $")


def _owners(body: str, m: Mention) -> set[str]:
    """The names that may own the mention through a possessive ("Apple’s AirPower", as one
    span or two): the last one to three words before the "’s", as keys."""
    owned = POSSESSIVE_INSIDE.match(m.surface.strip())
    before = owned.group(0) if owned else body[max(0, m.start - 60) : m.start]
    if not before.endswith(("’s ", "'s ")):
        return set()
    words = before[:-3].split()
    return {name_key(" ".join(words[-n:])) for n in (1, 2, 3) if len(words) >= n}


def no_heading_words(mentions: list[Mention]) -> list[Mention]:
    """A name written only in capitals, one frequent English word of four letters or more
    ("SPEND", "ATTEND"), which the article never writes otherwise ("APPLE" beside "Apple"
    is the company), names nothing: a heading or a call to action in capitals. Acronyms
    that spell no frequent word stay ("NASA", "ISIS")."""

    def heading_word(name: str) -> bool:
        return (
            name.isupper()
            and name.isalpha()
            and len(name) >= 4
            and kind_evidence(name) is None
            and is_frequent_word(name)
        )

    otherwise = {name_key(m.surface) for m in mentions if not m.surface.strip().isupper()}
    return [
        m
        for m in mentions
        if not (heading_word(m.surface.strip()) and name_key(m.surface) not in otherwise)
    ]


# Words before a name that make it a character's: "his role as George Kirk", "agreed to play
# Rose-Lynn Harlan", "the protagonist Cal Kestis". "play" is judged for people only: teams
# are played too ("to play Chelsea").
_ROLE_BEFORE = re.compile(
    r"\b(?:role as|portrays?|portrayed|portraying|characters?|protagonist|"
    r"antagonist|villain|heroine)\s+(?:the\s+)?$"
)
_PLAYS_BEFORE = re.compile(r"\b(?:play|plays|played|playing)\s+$")


def no_characters(body: str, mentions: list[Mention]) -> list[Mention]:
    """A name the article introduces as a role ("his role as George Kirk") is a fictional
    character's, not a person of the news; so is each of its words written alone as a
    name ("Rose-Lynn" of "Rose-Lynn Harlan")."""

    # A name read as a person somewhere: "to play Rose-Lynn Harlan" (read as an organisation
    # there) is a role where "Rose-Lynn" is a person elsewhere, unlike "to play Chelsea".
    people = {w for m in mentions if m.kind is PERSON for w in m.name.split()}

    def introduced(m: Mention) -> bool:
        if body.startswith(("'s", "’s"), m.end):
            return False  # "playing the role of Hillary Clinton’s ...": a figure of speech
        before = body[max(0, m.start - 30) : m.start]
        return bool(_ROLE_BEFORE.search(before)) or (
            (m.kind is PERSON or m.name.split()[0] in people) and bool(_PLAYS_BEFORE.search(before))
        )

    characters = {m.name for m in mentions if introduced(m) and kind_evidence(m.name) is None}
    if not characters:
        return mentions
    words = {w for name in characters for w in name.split() if len(w) > 2}
    return [m for m in mentions if m.name not in characters and m.name not in words]


# Words before a name that make it a time of year or an occasion: "during Diwali", "ahead
# of Thanksgiving", "celebrate Hanukkah" (not before a possessive: "during Apple's event").
_OCCASION_BEFORE = re.compile(
    r"\b(?:during|ahead of|celebrate|celebrates|celebrated|celebrating)\s+$"
)


def no_occasions(body: str, mentions: list[Mention]) -> list[Mention]:
    """A one-word "organisation" or unknown "place" the article writes as an occasion is
    a holiday or an event ("ahead of Iowa" stays: a known place)."""

    def occasion(m: Mention) -> bool:
        return (
            (m.kind is ORG or (m.kind is PLACE and not is_known_place(m.name)))
            and " " not in m.name
            and not body.startswith(("'s", "’s"), m.end)
            and bool(_OCCASION_BEFORE.search(body, max(0, m.start - 20), m.start))
        )

    return _without_things(mentions, occasion)


# A list item that ends with a year or a sequel's numeral: "Football Manager 2020",
# "Final Fantasy XV", "Tomb Raider 2013".
_DATED_ITEM = re.compile(r"[A-Z][\w:'’-]* (?:(?:19|20)\d\d|[IVX]{2,4}|\d+K\d+)$")
_SEGMENT = re.compile(r"[^.;\n]+")


def no_listed_works(body: str, mentions: list[Mention]) -> list[Mention]:
    """Names inside a long list of titles, several of them dated or numbered like releases
    ("Destiny 2: The Collection, Farming Simulator 2019, Gylt, Grid 2019, ..."), are games,
    films or books, whatever label the model gave them; so is each such name elsewhere."""
    spans = []
    for segment in _SEGMENT.finditer(body):
        items = [i.strip() for i in re.split(r",\s+(?:and\s+)?", segment.group(0))]
        dated = sum(1 for i in items if _DATED_ITEM.search(i))
        short = all(len(i.split()) <= 6 for i in items)
        if len(items) >= 5 and dated >= 2 and short:
            spans.append(segment.span())
    if not spans:
        return mentions
    listed = {
        m.name
        for m in mentions
        if any(a <= m.start and m.end <= b for a, b in spans) and kind_evidence(m.name) is None
    }
    return [m for m in mentions if m.name not in listed]


# A quantity after a name: a recipe's or a meal plan's line ("Slow Cooker Beef Chili, 1 Tbsp.
# cilantro", "Recover, 1 cup blueberries").
_QUANTITY_AFTER = re.compile(
    r",?\s+\d+(?:[/.]\d+)?\s*(?:Tbsp|tbsp|tsp|cups?|oz|ounces?|g|grams?|lbs?|pounds?|ml)\b"
)
# A stock's ticker: "(NYSE: ACME)", "Ascom registered shares (ASCN)".
_TICKER = re.compile(r"(?:\((?:NYSE|Nasdaq|NASDAQ|LSE|TSX|SIX|ASX):\s*|shares\s+\()$")


def no_listed_items(body: str, mentions: list[Mention]) -> list[Mention]:
    """A name followed by a quantity is a dish or a product of a recipe or a meal plan; an
    abbreviation in a stock's parentheses is its ticker; and names of three or more words
    that share their first two, the last word apart ("Zorb Performance Energize", "...
    Recover", "... Hydrate"), are a product line, where the first two name no place."""
    lines: dict[str, set[str]] = {}
    for m in mentions:
        words = m.name.split()
        if len(words) == 3 and m.kind is not PERSON:
            lines.setdefault(" ".join(words[:2]), set()).add(words[2])
    product_lines = {p for p, last in lines.items() if len(last) >= 3 and not is_known_place(p)}

    def ticker(name: str) -> bool:
        """Written only as a stock's ticker: "IBM (NYSE: IBM)" names IBM before it."""
        found = written_at(body, name)
        return bool(found) and all(
            _TICKER.search(body, max(0, start - 12), start) for start, _ in found
        )

    def thing(m: Mention) -> bool:
        words = m.name.split()
        ticker_only = is_acronym(m.name) and ticker(m.name)
        in_line = len(words) == 3 and " ".join(words[:2]) in product_lines
        return ticker_only or in_line or _QUANTITY_AFTER.match(body, m.end) is not None

    return _without_things(mentions, thing)
