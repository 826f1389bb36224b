"""The category taxonomy (the 17 top-level IPTC Media Topics), the mapping of the categories
publishers put in their feeds and pages onto it, and the choice of an article's category.

``categorise`` takes, in this order: the first of the item's own categories that maps
clearly onto a label; else the source's default category (a one-topic site); else, for an
English article, the label of tagwire's topic classifier (``categories.classify``); else
None. See docs/categories.md.

The classifier (its lexicon, data file and sentence-embedding model) is imported on the first
article that needs it, not with this module: a pass whose articles carry their publisher's
categories, or a pass with nothing new, never loads it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagwire.categories.classify import DeploymentExamples

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


def publisher_label(raw_categories: Iterable[str]) -> str | None:
    """The first clear label among an item's own categories, or None."""
    for raw in raw_categories:
        label = map_category(raw)
        if label:
            return label
    return None


def is_english(language: str | None) -> bool:
    """English, or not known (the classifier then decides on its own evidence)."""
    return language is None or language.strip().lower().replace("_", "-").split("-")[0] == "en"


_learning_lock = threading.Lock()
_examples: DeploymentExamples | None = None


def learn_from_deployment(examples: DeploymentExamples | None = None) -> DeploymentExamples:
    """Turn on learning from this deployment's own articles: from now on every English
    article whose feed or page carries a clear category is added to ``examples`` (a new,
    empty set when None), and the classifier consults them for articles without one.
    Off by default; the learned centroids live in this process's memory."""
    global _examples
    with _learning_lock:
        if examples is None:
            from tagwire.categories.classify import DeploymentExamples

            examples = DeploymentExamples()
        _examples = examples
        return _examples


def stop_learning_from_deployment() -> None:
    global _examples
    with _learning_lock:
        _examples = None


def categorise(
    categories: Sequence[str],
    source_category: str | None,
    title: str = "",
    text: str = "",
    language: str | None = "en",
) -> str | None:
    """An article's label: its publisher's own category when one maps clearly, else the
    source's default category, else (English only) the classifier's label, else None when
    the text is too short or unclear."""
    examples = _examples
    label = publisher_label(categories)
    if label:
        if examples is not None and is_english(language) and (title or text):
            examples.add(label, title, text)
        return label
    if source_category in LABELS:
        return source_category
    if not is_english(language) or not (title.strip() or text.strip()):
        return None
    from tagwire.categories.classify import classify

    return classify(title, text, examples=examples).label
