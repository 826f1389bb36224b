"""What the demo publishers hold: the five publishers, their articles (the data file
``articles.toml``) and the paths the tests look for. ``site.py`` describes each of them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

EVENT_PATHS: tuple[str, ...] = (
    "/herald/world/marchetti-nakamura-geneva-summit-tariff-truce",
    "/ledger/international/geneva-summit-italy-japan-wto-reform",
    "/meridian/world/italy-japan-leaders-cut-car-wine-tariffs-geneva",
    "/courier/world/rome-tokyo-leaders-geneva-wto-reform-africa",
)
DUPLICATE_PATHS: tuple[str, str] = (
    "/ledger/economy/us-china-trade-talks-resume-in-geneva-10482",
    "/ledger/economy/us-china-trade-talks-resume-geneva-10517",
)
MISSING_PATH = "/meridian/politics/senate-panel-postpones-farm-bill-vote"
TRACKED_PATH = "/meridian/business/northwind-semiconductor-arizona-chip-plant"
NON_ASCII_PATH = "/meridian/culture/sao-paulo-biennial-zoe-muller-canopy"
SHARED_PERSON_PATHS: tuple[str, str] = (
    "/herald/business/pacific-rim-dairy-profit-jumps-asian-demand",
    "/lantern/business/pacific-rim-dairy-opens-singapore-hub",
)


@dataclass(frozen=True, slots=True)
class Publisher:
    key: str  # path prefix
    name: str
    company: str
    country: str
    region: str
    kind: str  # rss2 | atom | jsonfeed | rss1 | rss091
    feed: str  # file name under the prefix
    description: str
    language_tag: str
    colour: tuple[int, int, int]
    sections: tuple[str, ...]
    has_section_meta: bool = True


@dataclass(frozen=True, slots=True)
class Article:
    publisher: str
    slug: str  # path under the prefix, without slashes at either end
    title: str
    summary: str
    author: str
    photographer: str
    caption: str
    age: timedelta
    text: str  # paragraphs separated by blank lines
    section: str | None = None
    tags: tuple[str, ...] = ()
    ads: tuple[int, ...] = ()  # an ad slot after this many paragraphs
    newsletter: str = "morning"  # morning | alerts
    feed_query: str = ""
    served: bool = True
    group: str = ""  # copies of one article share a group; related lists skip each other

    @property
    def path(self) -> str:
        return f"/{self.publisher}/{self.slug}"

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(" ".join(block.split()) for block in self.text.strip().split("\n\n"))


PUBLISHERS: tuple[Publisher, ...] = (
    Publisher(
        "herald",
        "Harbour Herald",
        "Harbour Herald Media Ltd",
        "NZ",
        "oceania",
        "rss2",
        "rss.xml",
        "News from Auckland, Aotearoa New Zealand and the world",
        "en-NZ",
        (0, 70, 127),
        ("World", "New Zealand", "Business", "Sport", "Opinion"),
    ),
    Publisher(
        "ledger",
        "Lakeside Ledger",
        "Lakeside Ledger SA",
        "CH",
        "europe",
        "atom",
        "atom.xml",
        "Geneva's English-language daily",
        "en",
        (122, 28, 38),
        ("International", "Economy", "Science", "Geneva", "Culture"),
    ),
    Publisher(
        "meridian",
        "Meridian Daily",
        "Meridian Media Group",
        "US",
        "americas",
        "jsonfeed",
        "feed.json",
        "National and world news, business and culture",
        "en-US",
        (20, 20, 20),
        ("World", "Politics", "Business", "Culture", "Opinion"),
    ),
    Publisher(
        "courier",
        "Rift Valley Courier",
        "Rift Valley Publishing Ltd",
        "KE",
        "africa",
        "rss1",
        "index.rdf",
        "Kenya and East Africa's independent voice",
        "en-KE",
        (0, 107, 63),
        ("World", "Kenya", "Health", "Sport", "Business"),
    ),
    Publisher(
        "lantern",
        "The Lantern Post",
        "Lantern Post Pte Ltd",
        "SG",
        "asia",
        "rss091",
        "rss.xml",
        "Singapore and South-east Asia",
        "en-SG",
        (196, 98, 16),
        ("Singapore", "Asia", "Business", "Tech", "Health"),
        has_section_meta=False,
    ),
)


ARTICLES_FILE = Path(__file__).with_name("articles.toml")


def _load_articles(path: Path = ARTICLES_FILE) -> tuple[Article, ...]:
    """The demo's articles, from their data file (its header says the fields)."""
    with path.open("rb") as file:
        entries: list[dict[str, Any]] = tomllib.load(file)["article"]
    return tuple(Article(**{k: _field(k, v) for k, v in entry.items()}) for entry in entries)


def _field(name: str, value: Any) -> Any:
    if name == "age":
        return timedelta(minutes=value)
    return tuple(value) if isinstance(value, list) else value


ARTICLES: tuple[Article, ...] = _load_articles()

# The second copy of the US-China story has the first copy's body, word for word.
_FIRST_COPY = next(a for a in ARTICLES if a.path == DUPLICATE_PATHS[0])
ARTICLES = tuple(
    replace(a, text=_FIRST_COPY.text) if a.path == DUPLICATE_PATHS[1] else a for a in ARTICLES
)

_BY_KEY = {p.key: p for p in PUBLISHERS}
_BY_PATH = {a.path: a for a in ARTICLES}
# What the tests look for, as the data file has it: the summary the feed of the missing
# page carries, and the tracking query on the tracked article's feed link.
MISSING_SUMMARY = _BY_PATH[MISSING_PATH].summary
TRACKING_QUERY = _BY_PATH[TRACKED_PATH].feed_query
