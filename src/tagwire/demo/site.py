"""A fictional publisher site: five news outlets, five feed formats, one local HTTP server.

Used by the tests and by ``make demo``. Every publisher, reporter and most people quoted are
invented; the countries, cities and organisations are real. All times are relative to the
site's ``now`` (default: the moment the :class:`PublisherSite` is built), so the demo always
looks fresh.

Run it: ``python -m tagwire.demo.site --port 8001 --write-sources demo-sources.toml``.

This module serves; what the publishers hold is ``content.py`` (their articles are the data
file ``articles.toml``) and their pages and feeds are made by ``render.py``.

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
import json
import socketserver
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import urlsplit

from tagwire.demo.content import (
    ARTICLES,
    DUPLICATE_PATHS,
    EVENT_PATHS,
    MISSING_PATH,
    MISSING_SUMMARY,
    NON_ASCII_PATH,
    PUBLISHERS,
    SHARED_PERSON_PATHS,
    TRACKED_PATH,
    TRACKING_QUERY,
)
from tagwire.demo.render import _FEED_TYPES, _png, _Renderer, _slugify

__all__ = [
    "ARTICLES",
    "DUPLICATE_PATHS",
    "EVENT_PATHS",
    "MISSING_PATH",
    "MISSING_SUMMARY",
    "NON_ASCII_PATH",
    "PUBLISHERS",
    "SHARED_PERSON_PATHS",
    "TRACKED_PATH",
    "TRACKING_QUERY",
    "PublisherSite",
    "main",
    "sources_toml",
]

_H = timedelta(hours=1)


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
