"""The category taxonomy (the 17 top-level IPTC Media Topics) and the mapping of the
categories publishers put in their feeds and pages onto it.

A classifier for articles whose publisher gives no usable category comes later; until then
such an article takes its source's default category, else none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LABELS: tuple[str, ...] = (
    "Arts & Entertainment",
    "Conflict & War",
    "Crime & Justice",
    "Disasters & Accidents",
    "Business & Economy",
    "Education",
    "Environment",
    "Health",
    "Human Interest",
    "Labour",
    "Lifestyle",
    "Politics",
    "Religion",
    "Science & Technology",
    "Society",
    "Sport",
    "Weather",
)

# Words publishers use for their sections, by label. Matched against whole words of a
# lower-cased category string; the first label whose word appears wins, in the order of a
# category string's words (so "Sport/Business" is Sport).
_WORDS: dict[str, tuple[str, ...]] = {
    "Arts & Entertainment": (
        "arts",
        "art",
        "entertainment",
        "culture",
        "music",
        "film",
        "films",
        "movies",
        "movie",
        "tv",
        "television",
        "books",
        "theatre",
        "theater",
        "celebrity",
        "celebrities",
        "showbiz",
        "media",
        "kultur",
        "cultura",
        "culture",
        "gaming",
        "games",
    ),
    "Conflict & War": (
        "war",
        "conflict",
        "conflicts",
        "military",
        "defence",
        "defense",
        "terrorism",
        "ukraine-war",
        "armed",
    ),
    "Crime & Justice": ("crime", "justice", "law", "courts", "court", "police", "legal"),
    "Disasters & Accidents": (
        "disaster",
        "disasters",
        "accident",
        "accidents",
        "earthquake",
        "emergencies",
    ),
    "Business & Economy": (
        "business",
        "economy",
        "economics",
        "finance",
        "markets",
        "market",
        "money",
        "companies",
        "industry",
        "trade",
        "wirtschaft",
        "economia",
        "économie",
        "economie",
        "negocios",
        "banking",
        "investing",
        "startups",
        "energy",
    ),
    "Education": ("education", "schools", "school", "universities", "university"),
    "Environment": (
        "environment",
        "climate",
        "nature",
        "wildlife",
        "sustainability",
        "green",
        "umwelt",
    ),
    "Health": (
        "health",
        "medicine",
        "medical",
        "wellbeing",
        "coronavirus",
        "covid",
        "gesundheit",
        "salud",
        "santé",
        "sante",
    ),
    "Human Interest": ("human-interest", "offbeat", "odd", "quirky", "people", "obituaries"),
    "Labour": ("labour", "labor", "jobs", "employment", "unions", "work", "careers"),
    "Lifestyle": (
        "lifestyle",
        "life",
        "travel",
        "food",
        "fashion",
        "style",
        "living",
        "leisure",
        "motoring",
        "cars",
        "property",
        "homes",
    ),
    "Politics": (
        "politics",
        "political",
        "government",
        "elections",
        "election",
        "politik",
        "política",
        "politica",
        "politique",
        "parliament",
        "diplomacy",
    ),
    "Religion": ("religion", "faith", "belief", "church"),
    "Science & Technology": (
        "science",
        "technology",
        "tech",
        "sci-tech",
        "scitech",
        "space",
        "ai",
        "computing",
        "internet",
        "digital",
        "wissenschaft",
        "ciencia",
        "ciência",
        "gadgets",
    ),
    "Society": ("society", "social", "community", "communities", "migration", "gesellschaft"),
    "Sport": (
        "sport",
        "sports",
        "football",
        "soccer",
        "cricket",
        "rugby",
        "tennis",
        "golf",
        "basketball",
        "baseball",
        "olympics",
        "athletics",
        "f1",
        "formula",
        "nfl",
        "nba",
        "deportes",
        "esportes",
        "fußball",
        "fussball",
        "hockey",
        "cycling",
        "boxing",
    ),
    "Weather": ("weather", "forecast", "forecasts"),
}
_LOOKUP: dict[str, str] = {word: label for label, words in _WORDS.items() for word in words}
_SPLIT = re.compile(r"[^\w&-]+", re.UNICODE)


def map_category(raw: str) -> str | None:
    """The label for one publisher category string, or ``None`` when it is not clear."""
    text = raw.strip()
    if not text:
        return None
    for label in LABELS:
        if text.casefold() == label.casefold():
            return label
    for word in _SPLIT.split(text.casefold()):
        if word in _LOOKUP:
            return _LOOKUP[word]
        for part in word.split("-"):
            if part in _LOOKUP:
                return _LOOKUP[part]
    return None


def categorise(raw_categories: Iterable[str], default: str | None = None) -> str | None:
    """The first clear label among an item's categories, else the source's default."""
    for raw in raw_categories:
        label = map_category(raw)
        if label:
            return label
    return default if default in LABELS else None
