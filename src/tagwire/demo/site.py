"""A fictional publisher site: five news outlets, five feed formats, one local HTTP server.

Used by the tests and by ``make demo``. Every publisher, reporter and most people quoted are
invented; the countries, cities and organisations are real. All times are relative to the
site's ``now`` (default: the moment the :class:`PublisherSite` is built), so the demo always
looks fresh.

Run it: ``python -m tagwire.demo.site --port 8001 --write-sources demo-sources.toml``.

Publishers (each is its own "site" under a path prefix; paths below are relative to the
base URL returned by :meth:`PublisherSite.start`):

==================  ======  =========  ==========  ====================================
name                prefix  country    region      feed (format, Content-Type)
==================  ======  =========  ==========  ====================================
Harbour Herald      herald  NZ         oceania     /herald/rss.xml   RSS 2.0, full article
                                                   HTML in ``content:encoded``,
                                                   ``<category>``; application/rss+xml
Lakeside Ledger     ledger  CH         europe      /ledger/atom.xml  Atom 1.0, ``<summary>``
                                                   only, ``<category term>``;
                                                   application/atom+xml
Meridian Daily      meridian US        americas    /meridian/feed.json JSON Feed 1.1,
                                                   ``summary`` + ``url`` only (no content),
                                                   ``tags``; application/feed+json
Rift Valley Courier courier KE         africa      /courier/index.rdf RSS 1.0 (RDF),
                                                   ``dc:date``, ``dc:subject``;
                                                   application/rdf+xml
The Lantern Post    lantern SG         asia        /lantern/rss.xml  RSS 0.91, no dates in
                                                   the feed (only on the pages);
                                                   application/rss+xml
==================  ======  =========  ==========  ====================================

All feeds send ``ETag`` and ``Last-Modified`` and answer ``304`` to a matching
``If-None-Match`` (or, without it, ``If-Modified-Since``); so do pages and images.
``/robots.txt`` allows everything; unknown paths get a 404 HTML page. ``/`` is an index of the
publishers and ``/sources.toml`` is :func:`sources_toml` for this server.

Every article page has ``<link rel="canonical">`` (to itself, without query string),
``og:title``, ``og:site_name``, ``og:url``, ``og:image`` (an absolute URL of a small PNG
served under ``/<prefix>/images/``), ``<meta name="author">``,
``article:published_time`` (RFC 3339), JSON-LD ``NewsArticle`` (headline, datePublished,
author); pages of all publishers except The Lantern Post also carry ``article:section``.
Around the article: a cookie banner, a ``<header>`` with a nav menu, inline ``<script>``,
a footer with copyright. In the ``<article>``: ``<h1>``, a byline paragraph
("By Megan Thornton, Harbour Herald"), a ``<figure>`` whose ``<figcaption>`` ends with a
photo credit "(Photo: Name/Publisher)", the body paragraphs, in several articles an ad slot
``<div class="ad-slot"><p>Advertisement</p></div>``, a newsletter box
(``<div class="newsletter-signup">`` with a form; "Sign up for our morning newsletter ...")
and at the end ``<aside class="related-stories">`` "Related stories" with links.

Facts the tests rely on
-----------------------
a) ONE EVENT, FOUR PUBLISHERS (:data:`EVENT_PATHS`): a one-day summit in Geneva, at the
   World Trade Organization, between Italy's President Elena Marchetti and Japan's Prime
   Minister Hiroshi Nakamura: a deal to phase out tariffs on wine, cars and machinery and a
   joint call to restore the WTO's appeals body; follow-up talks in Osaka. Each text says
   "President Elena Marchetti" at first mention, then "Marchetti"; all four name
   "Hiroshi Nakamura", "World Trade Organization", "Geneva", "Italy" and "Japan". Written
   independently, published 5h, 4h20m, 3h40m and 2h30m before ``now``:

   - /herald/world/marchetti-nakamura-geneva-summit-tariff-truce
     "Marchetti and Nakamura strike tariff truce at Geneva summit" (Harbour Herald, RSS 2.0)
   - /ledger/international/geneva-summit-italy-japan-wto-reform
     "Geneva summit: Italy and Japan pledge to revive WTO dispute settlement"
     (Lakeside Ledger, Atom; also quotes WTO Director-General Anna Lindqvist)
   - /meridian/world/italy-japan-leaders-cut-car-wine-tariffs-geneva
     "Italian, Japanese leaders agree to cut car and wine tariffs in Geneva"
     (Meridian Daily, JSON Feed)
   - /courier/world/rome-tokyo-leaders-geneva-wto-reform-africa
     "Rome and Tokyo leaders meet in Geneva, back WTO reform sought by Africa"
     (Rift Valley Courier, RSS 1.0)

b) ONE ARTICLE PUBLISHED TWICE (:data:`DUPLICATE_PATHS`), both in the Lakeside Ledger's Atom
   feed (summary only, so the pages must be fetched):

   - /ledger/economy/us-china-trade-talks-resume-in-geneva-10482, 10h before ``now``,
     "US-China trade talks resume in Geneva"
   - /ledger/economy/us-china-trade-talks-resume-geneva-10517, 7h before ``now``,
     "US, China trade talks resume in Geneva"

   Titles differ only in punctuation; the body paragraphs are identical; the second copy has
   one more ad slot and a different newsletter box ("Get breaking news alerts" instead of
   "Sign up for our morning newsletter"); each page's canonical link points to itself.
   People: US Trade Representative Michael Carver, Vice Premier Zhang Wei.

c) A FEED ITEM WHOSE PAGE IS MISSING (:data:`MISSING_PATH`): Meridian Daily's
   /meridian/politics/senate-panel-postpones-farm-bill-vote answers 404; its feed item has
   the title "Senate panel postpones vote on farm bill after late amendments" and a
   two-sentence summary (:data:`MISSING_SUMMARY`).

d) A TRACKING LINK (:data:`TRACKED_PATH`): Meridian Daily's feed links to
   /meridian/business/northwind-semiconductor-arizona-chip-plant?utm_source=rss&utm_medium=feed;
   the page (served with or without the query) says canonical = the clean URL.
   "Northwind Semiconductor to build $12 billion chip plant in Arizona".

e) Other topics, with real places and organisations and fictional people: rugby (All Blacks
   coach Ben Harrington), dairy business, physics at CERN, chips in Arizona, art in
   São Paulo, malaria vaccines in Kenya (World Health Organization), the Valencia Marathon,
   batteries and dengue in Singapore. Shared across publishers: "Chief executive Laura
   Bennett" of Pacific Rim Dairy, in the Harbour Herald
   (/herald/business/pacific-rim-dairy-profit-jumps-asian-demand) and The Lantern Post
   (/lantern/business/pacific-rim-dairy-opens-singapore-hub), two different events.

f) NON-ASCII NAMES (:data:`NON_ASCII_PATH`): /meridian/culture/sao-paulo-biennial-zoe-muller-canopy
   "São Paulo Biennial opens with Zoë Müller's rainforest sound installation" (also
   "Zürich", "Belém", "Tapajós", "José Antônio Ribeiro", byline "Lucía Fernández").

17 feed items, 16 article pages (each 250-600 words of body text).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import socketserver
import struct
import threading
import tomllib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

__all__ = [
    "DUPLICATE_PATHS",
    "EVENT_PATHS",
    "MISSING_PATH",
    "MISSING_SUMMARY",
    "NON_ASCII_PATH",
    "SHARED_PERSON_PATHS",
    "TRACKED_PATH",
    "TRACKING_QUERY",
    "PublisherSite",
    "main",
    "sources_toml",
]

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

_H = timedelta(hours=1)

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


# ------------------------------------------------------------------------------ rendering


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _human(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _slugify(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A small valid PNG: a band of ``colour`` over a lighter band."""
    light = tuple(min(255, c + (255 - c) // 2) for c in colour)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(
        b"\x00" + bytes(colour if y < height * 2 // 3 else light) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


_STYLE = """
body{font-family:Georgia,serif;margin:0;color:#222}
.site-header,.site-footer{background:#f4f4f4;padding:12px 24px}
.site-header nav ul{list-style:none;display:flex;gap:16px;padding:0;margin:8px 0 0}
main{max-width:720px;margin:0 auto;padding:24px}
.cookie-banner{position:fixed;bottom:0;left:0;right:0;background:#333;color:#fff;padding:12px}
.ad-slot{background:#eee;text-align:center;font:12px sans-serif;padding:24px;margin:16px 0}
.newsletter-signup{border:1px solid #ccc;padding:12px;margin:16px 0}
figure img{max-width:100%}
""".strip()


class _Renderer:
    """Builds every resource of the site for one base URL and one ``now``."""

    def __init__(self, base_url: str, now: datetime) -> None:
        self.base = base_url.rstrip("/")
        self.now = now

    # ---- helpers
    def url(self, path: str) -> str:
        return self.base + path

    def published(self, article: Article) -> datetime:
        return self.now - article.age

    def image_path(self, article: Article) -> str:
        return f"/{article.publisher}/images/{article.slug.replace('/', '-')}.png"

    def feed_link(self, article: Article) -> str:
        link = self.url(article.path)
        return f"{link}?{article.feed_query}" if article.feed_query else link

    def articles_of(self, pub: Publisher) -> list[Article]:
        found = [a for a in ARTICLES if a.publisher == pub.key]
        return sorted(found, key=lambda a: a.age)

    def related(self, article: Article) -> list[Article]:
        pub = _BY_KEY[article.publisher]
        return [
            a
            for a in self.articles_of(pub)
            if a.served
            and a.path != article.path
            and not (article.group and a.group == article.group)
        ][:3]

    # ---- page furniture
    def head(self, pub: Publisher, title: str, extra: str = "") -> str:
        return (
            f'<!DOCTYPE html>\n<html lang="{pub.language_tag}">\n<head>\n'
            '<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n{extra}"
            f"<style>{_STYLE}</style>\n"
            "<script>window.dataLayer=window.dataLayer||[];"
            "function gtag(){dataLayer.push(arguments);}"
            f"gtag('js',new Date());gtag('config','{pub.key.upper()}-DEMO-1');</script>\n"
            "</head>\n<body>\n"
            '<div class="cookie-banner" id="cookie-banner" role="dialog" '
            'aria-label="Cookie consent">\n'
            "<p>We use cookies and similar technologies to personalise content and ads, to "
            "provide social media features and to analyse our traffic. "
            f'<a href="/{pub.key}/privacy/">Read our privacy policy</a>.</p>\n'
            '<button type="button" id="cookie-accept">Accept all</button> '
            '<button type="button" id="cookie-manage">Manage preferences</button>\n</div>\n'
            '<header class="site-header">\n'
            f'<a class="logo" href="/{pub.key}/">{_e(pub.name)}</a>\n'
            '<nav aria-label="Main menu"><ul>\n'
            f'<li><a href="/{pub.key}/">Home</a></li>\n'
            + "".join(
                f'<li><a href="/{pub.key}/section/{_slugify(s)}/">{_e(s)}</a></li>\n'
                for s in pub.sections
            )
            + f'<li><a href="/{pub.key}/about/">About us</a></li>\n'
            "</ul></nav>\n</header>\n"
        )

    def foot(self, pub: Publisher) -> str:
        return (
            '<footer class="site-footer">\n'
            f"<p>© {self.now.year} {_e(pub.company)}. All rights reserved.</p>\n"
            f'<p><a href="/{pub.key}/about/">About us</a> · '
            f'<a href="/{pub.key}/contact/">Contact</a> · '
            f'<a href="/{pub.key}/privacy/">Privacy policy</a> · '
            f'<a href="/{pub.key}/{pub.feed}">Feed</a></p>\n'
            "</footer>\n"
            "<script>document.getElementById('cookie-accept').addEventListener('click',"
            "function(){document.getElementById('cookie-banner').style.display='none';"
            "document.cookie='consent=1;path=/;max-age=31536000';});</script>\n"
            "</body>\n</html>\n"
        )

    def newsletter(self, pub: Publisher, kind: str) -> str:
        if kind == "alerts":
            heading = "Get breaking news alerts"
            blurb = (
                f"Be the first to know. Get breaking news alerts from the {pub.name}, "
                "delivered straight to your inbox."
            )
            button = "Get alerts"
        else:
            heading = "Sign up for our morning newsletter"
            blurb = (
                "Sign up for our morning newsletter and get the day's top stories in your "
                "inbox before 7am."
            )
            button = "Subscribe"
        return (
            '<div class="newsletter-signup">\n'
            f"<h3>{_e(heading)}</h3>\n<p>{_e(blurb)}</p>\n"
            f'<form action="/{pub.key}/newsletter/subscribe" method="post">'
            f'<label for="nl-email">Email address</label> '
            '<input type="email" id="nl-email" name="email" placeholder="you@example.com" '
            f'required> <input type="hidden" name="list" value="{kind}"> '
            f'<button type="submit">{button}</button></form>\n'
            "</div>\n"
        )

    def figure(self, article: Article, pub: Publisher) -> str:
        credit = f"(Photo: {article.photographer}/{pub.name})"
        return (
            f'<figure class="lead-image"><img src="{_e(self.image_path(article))}" '
            f'alt="{_e(article.caption)}" width="1200" height="630">'
            f"<figcaption>{_e(article.caption)} {_e(credit)}</figcaption></figure>\n"
        )

    def body_html(self, article: Article, pub: Publisher, furniture: bool) -> str:
        """The body paragraphs; with ``furniture``, ad slots and the newsletter box too."""
        paragraphs = article.paragraphs
        newsletter_at = max(1, (len(paragraphs) * 2) // 3)
        parts = []
        for index, paragraph in enumerate(paragraphs, 1):
            parts.append(f"<p>{_e(paragraph)}</p>\n")
            if furniture and index in article.ads:
                parts.append('<div class="ad-slot"><p>Advertisement</p></div>\n')
            if furniture and index == newsletter_at:
                parts.append(self.newsletter(pub, article.newsletter))
        return "".join(parts)

    # ---- resources
    def article_page(self, article: Article) -> str:
        pub = _BY_KEY[article.publisher]
        published = self.published(article)
        canonical = self.url(article.path)
        image = self.url(self.image_path(article))
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "description": article.summary,
            "datePublished": _rfc3339(published),
            "dateModified": _rfc3339(published),
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {
                "@type": "Organization",
                "name": pub.name,
                "url": self.url(f"/{pub.key}/"),
            },
            "image": [image],
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            **({"articleSection": article.section} if article.section else {}),
        }
        ld_text = json.dumps(ld, ensure_ascii=False, indent=1).replace("</", "<\\/")
        section_meta = (
            f'<meta property="article:section" content="{_e(article.section)}">\n'
            if article.section and pub.has_section_meta
            else ""
        )
        meta = (
            f'<meta name="description" content="{_e(article.summary)}">\n'
            f'<meta name="author" content="{_e(article.author)}">\n'
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{_e(article.title)}">\n'
            f'<meta property="og:description" content="{_e(article.summary)}">\n'
            f'<meta property="og:site_name" content="{_e(pub.name)}">\n'
            f'<meta property="og:url" content="{_e(canonical)}">\n'
            f'<meta property="og:image" content="{_e(image)}">\n'
            f'<meta property="article:published_time" content="{_rfc3339(published)}">\n'
            f"{section_meta}"
            + "".join(f'<meta property="article:tag" content="{_e(t)}">\n' for t in article.tags)
            + f'<link rel="canonical" href="{_e(canonical)}">\n'
            f'<link rel="alternate" type="{_FEED_TYPES[pub.kind].split(";")[0]}" '
            f'title="{_e(pub.name)}" href="{_e(self.url(f"/{pub.key}/{pub.feed}"))}">\n'
            f'<script type="application/ld+json">\n{ld_text}\n</script>\n'
        )
        related = "".join(
            f'<li><a href="{_e(r.path)}">{_e(r.title)}</a></li>\n' for r in self.related(article)
        )
        kicker = (
            f'<p class="kicker"><a href="/{pub.key}/section/{_slugify(article.section)}/">'
            f"{_e(article.section)}</a></p>\n"
            if article.section
            else ""
        )
        return (
            self.head(pub, f"{article.title} | {pub.name}", meta)
            + "<main>\n<article>\n"
            + kicker
            + f"<h1>{_e(article.title)}</h1>\n"
            f'<p class="byline">By <span class="author">{_e(article.author)}</span>, '
            f"{_e(pub.name)}</p>\n"
            f'<p class="dateline"><time datetime="{_rfc3339(published)}">'
            f"{_human(published)}</time></p>\n"
            + self.figure(article, pub)
            + '<div class="article-body">\n'
            + self.body_html(article, pub, furniture=True)
            + "</div>\n"
            '<aside class="related-stories">\n<h2>Related stories</h2>\n<ul>\n'
            + related
            + "</ul>\n</aside>\n</article>\n</main>\n"
            + self.foot(pub)
        )

    def listing_page(self, pub: Publisher, heading: str, articles: list[Article]) -> str:
        items = "".join(
            f'<li><h2><a href="{_e(a.path)}">{_e(a.title)}</a></h2><p>{_e(a.summary)}</p></li>\n'
            for a in articles
            if a.served
        )
        return (
            self.head(
                pub,
                f"{heading} | {pub.name}",
                f'<link rel="canonical" href="{_e(self.url(f"/{pub.key}/"))}">\n'
                f'<meta property="og:site_name" content="{_e(pub.name)}">\n',
            )
            + f'<main>\n<h1>{_e(heading)}</h1>\n<ul class="story-list">\n'
            + (items or "<li>No stories in this section yet.</li>\n")
            + "</ul>\n</main>\n"
            + self.foot(pub)
        )

    def info_page(self, pub: Publisher, heading: str, text: str) -> str:
        return (
            self.head(pub, f"{heading} | {pub.name}")
            + f"<main>\n<h1>{_e(heading)}</h1>\n<p>{_e(text)}</p>\n</main>\n"
            + self.foot(pub)
        )

    def index_page(self) -> str:
        rows = "".join(
            f'<li><a href="/{p.key}/">{_e(p.name)}</a> ({p.country}) — '
            f'<a href="/{p.key}/{p.feed}">{_FEED_NAMES[p.kind]}</a></li>\n'
            for p in PUBLISHERS
        )
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
            "<title>tagwire demo publishers</title></head>\n<body>\n"
            "<h1>tagwire demo publishers</h1>\n<p>Fictional news sites for tagwire's "
            'tests and demo. <a href="/sources.toml">sources.toml</a></p>\n'
            f"<ul>\n{rows}</ul>\n</body>\n</html>\n"
        )

    @staticmethod
    def not_found_page() -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
            "<title>Page not found</title></head>\n<body>\n<h1>Page not found</h1>\n"
            "<p>Sorry, the page you were looking for does not exist or has been moved.</p>"
            '\n<p><a href="/">Home</a></p>\n</body>\n</html>\n'
        )

    # ---- feeds
    def feed(self, pub: Publisher) -> str:
        articles = self.articles_of(pub)
        return {
            "rss2": self.rss2,
            "atom": self.atom,
            "jsonfeed": self.json_feed,
            "rss1": self.rss1,
            "rss091": self.rss091,
        }[pub.kind](pub, articles)

    def rss2(self, pub: Publisher, articles: list[Article]) -> str:
        home, feed_url = self.url(f"/{pub.key}/"), self.url(f"/{pub.key}/{pub.feed}")
        items = []
        for a in articles:
            content = self.figure(a, pub).replace(
                f'src="{_e(self.image_path(a))}"', f'src="{_e(self.url(self.image_path(a)))}"'
            )
            content += self.body_html(a, pub, furniture=False)
            if "]]>" in content:  # pragma: no cover - the texts never contain it
                raise ValueError("CDATA terminator in article text")
            items.append(
                "<item>\n"
                f"<title>{_e(a.title)}</title>\n<link>{_e(self.feed_link(a))}</link>\n"
                f'<guid isPermaLink="true">{_e(self.url(a.path))}</guid>\n'
                f"<pubDate>{_rfc822(self.published(a))}</pubDate>\n"
                f"<dc:creator>{_e(a.author)}</dc:creator>\n"
                + "".join(f"<category>{_e(t)}</category>\n" for t in a.tags)
                + f"<description>{_e(a.summary)}</description>\n"
                f"<content:encoded><![CDATA[{content}]]></content:encoded>\n"
                f'<media:content url="{_e(self.url(self.image_path(a)))}" medium="image" '
                'type="image/png" width="1200" height="630"/>\n'
                "</item>\n"
            )
        newest = self.now - min(a.age for a in articles)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:media="http://search.yahoo.com/mrss/">\n<channel>\n'
            f"<title>{_e(pub.name)}</title>\n<link>{_e(home)}</link>\n"
            f"<description>{_e(pub.description)}</description>\n"
            f"<language>{pub.language_tag.lower()}</language>\n"
            f"<copyright>© {self.now.year} {_e(pub.company)}</copyright>\n"
            f"<lastBuildDate>{_rfc822(newest)}</lastBuildDate>\n"
            "<generator>HeraldPress 4.2</generator>\n<ttl>15</ttl>\n"
            f'<atom:link href="{_e(feed_url)}" rel="self" type="application/rss+xml"/>\n'
            + "".join(items)
            + "</channel>\n</rss>\n"
        )

    def atom(self, pub: Publisher, articles: list[Article]) -> str:
        home, feed_url = self.url(f"/{pub.key}/"), self.url(f"/{pub.key}/{pub.feed}")
        entries = "".join(
            "<entry>\n"
            f'<id>{_e(self.url(a.path))}</id>\n<title type="text">{_e(a.title)}</title>\n'
            f'<link rel="alternate" type="text/html" href="{_e(self.feed_link(a))}"/>\n'
            f"<published>{_rfc3339(self.published(a))}</published>\n"
            f"<updated>{_rfc3339(self.published(a))}</updated>\n"
            f"<author><name>{_e(a.author)}</name></author>\n"
            + "".join(f'<category term="{_e(t)}"/>\n' for t in a.tags)
            + f'<summary type="text">{_e(a.summary)}</summary>\n'
            "</entry>\n"
            for a in articles
        )
        newest = self.now - min(a.age for a in articles)
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{pub.language_tag}">\n'
            f"<id>{_e(home)}</id>\n<title>{_e(pub.name)}</title>\n"
            f"<subtitle>{_e(pub.description)}</subtitle>\n"
            f"<updated>{_rfc3339(newest)}</updated>\n"
            f'<link rel="self" type="application/atom+xml" href="{_e(feed_url)}"/>\n'
            f'<link rel="alternate" type="text/html" href="{_e(home)}"/>\n'
            f"<rights>© {self.now.year} {_e(pub.company)}</rights>\n"
            f"<author><name>{_e(pub.name)}</name></author>\n" + entries + "</feed>\n"
        )

    def json_feed(self, pub: Publisher, articles: list[Article]) -> str:
        doc = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": pub.name,
            "home_page_url": self.url(f"/{pub.key}/"),
            "feed_url": self.url(f"/{pub.key}/{pub.feed}"),
            "description": pub.description,
            "language": pub.language_tag,
            "authors": [{"name": pub.name}],
            # Summary and url only, no content_html/content_text: readers must fetch pages.
            "items": [
                {
                    "id": self.url(a.path),
                    "url": self.feed_link(a),
                    "title": a.title,
                    "summary": a.summary,
                    "date_published": _rfc3339(self.published(a)),
                    "authors": [{"name": a.author}],
                    "tags": list(a.tags),
                    **({"image": self.url(self.image_path(a))} if a.served else {}),
                }
                for a in articles
            ],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

    def rss1(self, pub: Publisher, articles: list[Article]) -> str:
        home, feed_url = self.url(f"/{pub.key}/"), self.url(f"/{pub.key}/{pub.feed}")
        seq = "".join(f'<rdf:li rdf:resource="{_e(self.feed_link(a))}"/>\n' for a in articles)
        items = "".join(
            f'<item rdf:about="{_e(self.feed_link(a))}">\n'
            f"<title>{_e(a.title)}</title>\n<link>{_e(self.feed_link(a))}</link>\n"
            f"<description>{_e(a.summary)}</description>\n"
            f"<dc:date>{_rfc3339(self.published(a))}</dc:date>\n"
            f"<dc:creator>{_e(a.author)}</dc:creator>\n"
            + "".join(f"<dc:subject>{_e(t)}</dc:subject>\n" for t in a.tags)
            + "</item>\n"
            for a in articles
        )
        newest = self.now - min(a.age for a in articles)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f'<channel rdf:about="{_e(feed_url)}">\n'
            f"<title>{_e(pub.name)}</title>\n<link>{_e(home)}</link>\n"
            f"<description>{_e(pub.description)}</description>\n"
            f"<dc:language>{pub.language_tag}</dc:language>\n"
            f"<dc:publisher>{_e(pub.company)}</dc:publisher>\n"
            f"<dc:date>{_rfc3339(newest)}</dc:date>\n"
            f"<items>\n<rdf:Seq>\n{seq}</rdf:Seq>\n</items>\n</channel>\n" + items + "</rdf:RDF>\n"
        )

    def rss091(self, pub: Publisher, articles: list[Article]) -> str:
        home = self.url(f"/{pub.key}/")
        items = "".join(
            f"<item>\n<title>{_e(a.title)}</title>\n<link>{_e(self.feed_link(a))}</link>\n"
            f"<description>{_e(a.summary)}</description>\n</item>\n"
            for a in articles
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="0.91">\n<channel>\n'
            f"<title>{_e(pub.name)}</title>\n<link>{_e(home)}</link>\n"
            f"<description>{_e(pub.description)}</description>\n"
            f"<language>{pub.language_tag.lower()}</language>\n"
            f"<copyright>Copyright {self.now.year} {_e(pub.company)}</copyright>\n"
            f"<image>\n<title>{_e(pub.name)}</title>\n"
            f"<url>{_e(self.url(f'/{pub.key}/images/logo.png'))}</url>\n"
            f"<link>{_e(home)}</link>\n<width>88</width>\n<height>31</height>\n</image>\n"
            + items
            + "</channel>\n</rss>\n"
        )


_FEED_TYPES = {
    "rss2": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "jsonfeed": "application/feed+json; charset=utf-8",
    "rss1": "application/rdf+xml; charset=utf-8",
    "rss091": "application/rss+xml; charset=utf-8",
}
_FEED_NAMES = {
    "rss2": "RSS 2.0",
    "atom": "Atom 1.0",
    "jsonfeed": "JSON Feed 1.1",
    "rss1": "RSS 1.0",
    "rss091": "RSS 0.91",
}
_HTML = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class _Resource:
    content_type: str
    body: bytes
    modified: datetime
    etag: str

    @classmethod
    def make(cls, content_type: str, body: str | bytes, modified: datetime) -> _Resource:
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        return cls(content_type, data, modified.replace(microsecond=0), etag)


def _build(base_url: str, now: datetime) -> dict[str, _Resource]:
    """Every resource of the site by path."""
    r = _Renderer(base_url, now)
    out: dict[str, _Resource] = {
        "/": _Resource.make(_HTML, r.index_page(), now),
        "/robots.txt": _Resource.make(
            "text/plain; charset=utf-8", "User-agent: *\nAllow: /\n", now
        ),
        "/sources.toml": _Resource.make(
            "application/toml; charset=utf-8", sources_toml(base_url), now
        ),
    }
    for pub in PUBLISHERS:
        articles = r.articles_of(pub)
        newest = now - min(a.age for a in articles)
        out[f"/{pub.key}/{pub.feed}"] = _Resource.make(_FEED_TYPES[pub.kind], r.feed(pub), newest)
        home = r.listing_page(pub, f"{pub.name}: latest news", articles)
        out[f"/{pub.key}/"] = out[f"/{pub.key}"] = _Resource.make(_HTML, home, newest)
        for section in pub.sections:
            wanted = section.casefold()
            chosen = [
                a for a in articles if wanted in {t.casefold() for t in (*a.tags, a.section or "")}
            ]
            out[f"/{pub.key}/section/{_slugify(section)}/"] = _Resource.make(
                _HTML, r.listing_page(pub, section, chosen), newest
            )
        for name, heading, text in (
            ("about", "About us", f"{pub.name} is published by {pub.company}. {pub.description}."),
            ("contact", "Contact", "Send news tips and letters to the newsroom."),
            (
                "privacy",
                "Privacy policy",
                "We use cookies to run this site and to measure our audience.",
            ),
        ):
            out[f"/{pub.key}/{name}/"] = _Resource.make(
                _HTML, r.info_page(pub, heading, text), now - 90 * 24 * _H
            )
        out[f"/{pub.key}/images/logo.png"] = _Resource.make(
            "image/png", _png(88, 31, pub.colour), now - 90 * 24 * _H
        )
        for article in articles:
            if not article.served:
                continue
            published = r.published(article)
            out[article.path] = _Resource.make(_HTML, r.article_page(article), published)
            out[r.image_path(article)] = _Resource.make(
                "image/png", _png(120, 63, pub.colour), published
            )
    return out


# --------------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: PublisherSite) -> None:
        self.site = site
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which can stall on hosts without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay silent (a client hanging up mid-response is normal for a test server)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoPublisher/1.0"
    sys_version = ""
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing."""

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, head: bool) -> None:
        site = cast(_Server, self.server).site
        site._record(self.path)
        resource = site._resources.get(urlsplit(self.path).path)
        if resource is None:
            self._send(404, _HTML, _Renderer.not_found_page().encode("utf-8"), head)
            return
        validators = {
            "ETag": resource.etag,
            "Last-Modified": format_datetime(resource.modified, usegmt=True),
            "Cache-Control": "public, max-age=60",
        }
        if self._not_modified(resource):
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(200, resource.content_type, resource.body, head, validators)

    def _not_modified(self, resource: _Resource) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or resource.etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if not if_modified_since:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return resource.modified <= since

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        head: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class PublisherSite:
    """The five fictional publishers on one local HTTP server (see the module docstring)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, now: datetime | None = None) -> None:
        moment = now or datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self.host = host
        self.port = port
        self.now = moment.astimezone(UTC).replace(microsecond=0)
        self.base_url = ""
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._resources: dict[str, _Resource] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve in a daemon thread; return the base URL, e.g. ``http://127.0.0.1:43121``."""
        if self._server is not None:
            return self.base_url
        server = _Server((self.host, self.port), self)
        port = int(server.server_address[1])
        shown = "127.0.0.1" if self.host in {"", "0.0.0.0"} else self.host
        self.base_url = f"http://{shown}:{port}"
        self._resources = _build(self.base_url, self.now)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            name="publisher-site",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> PublisherSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)


def sources_toml(base_url: str) -> str:
    """TOML ``[[sources]]`` tables for every publisher of the site at ``base_url``."""
    base = base_url.rstrip("/")
    blocks = []
    for pub in PUBLISHERS:
        blocks.append(
            "[[sources]]\n"
            f"name = {json.dumps(pub.name)}\n"
            f'url = "{base}/{pub.key}/"\n'
            f'feeds = ["{base}/{pub.key}/{pub.feed}"]\n'
            f'country = "{pub.country}"\n'
            f'region = "{pub.region}"\n'
            'language = "en"\n'
        )
    return "\n".join(blocks)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m tagwire.demo.site --port 8001 [--write-sources FILE]``."""
    parser = argparse.ArgumentParser(
        prog="python -m tagwire.demo.site",
        description="Serve tagwire's fictional publishers until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--write-sources", metavar="FILE", help="write a sources TOML file for this server"
    )
    args = parser.parse_args(argv)
    site = PublisherSite(host=args.host, port=args.port)
    base_url = site.start()
    try:
        if args.write_sources:
            with open(args.write_sources, "w", encoding="utf-8") as handle:
                handle.write(sources_toml(base_url))
        print(base_url, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()
