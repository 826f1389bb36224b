"""Places as the press names them: country aliases and demonyms -> one name.

Countries are named as the press names them ("South Korea", "United States"), not as ISO
does ("Korea, Republic of"). The full pycountry-backed table comes with the hashtag issue;
this list covers the aliases that are common in English-language news.
"""

from __future__ import annotations

from tagwire.entities.names import name_key

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
    "United Arab Emirates": ("UAE", "U.A.E.", "the UAE", "Emirates"),
    "Czech Republic": ("Czechia",),
    "Netherlands": ("the Netherlands", "Holland"),
    "Iran": ("Islamic Republic of Iran",),
    "Vietnam": ("Viet Nam",),
    "Turkey": ("Türkiye", "Turkiye"),
    "Democratic Republic of the Congo": ("DRC", "DR Congo", "Congo-Kinshasa"),
    "European Union": ("EU", "E.U.", "the EU"),
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
}
_BY_KEY: dict[str, str] = {}
for _name, _aliases in _ALIASES.items():
    _BY_KEY[name_key(_name)] = _name
    for _alias in _aliases:
        _BY_KEY[name_key(_alias)] = _name
_DEMONYM_BY_KEY = {name_key(d): n for n, ds in _DEMONYMS.items() for d in ds}


def canonical_place(name: str) -> str:
    """ "U.S." -> "United States"; names without an alias are returned unchanged."""
    return _BY_KEY.get(name_key(name), name)


def demonym_country(word: str) -> str | None:
    """ "South Korean" -> "South Korea"; ``None`` for anything not in the table."""
    return _DEMONYM_BY_KEY.get(name_key(word))
