"""Feed autodiscovery: from a publisher's address to the feeds worth polling.

In order, stopping at the first that yields a feed:
1. the address is itself a feed (RSS, Atom, JSON Feed or a news sitemap);
2. the page's ``<link rel="alternate">`` to RSS, Atom or JSON Feed (the autodiscovery
   convention every CMS follows);
3. the paths where CMSs put feeds (``/feed``, ``/rss.xml``, ...);
4. the news sitemaps that the site's robots.txt names (through sitemap indexes).
Every candidate is fetched and parsed before it is kept: a link that leads to no feed is no
feed. The site's name and language come from the page (og:site_name, <title>, <html lang>).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html

from tagwire import feeds
from tagwire.errors import FeedError, FetchError
from tagwire.fetch.client import Fetcher, decode_body
from tagwire.types import Page, ParsedFeed

FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
}
COMMON_PATHS = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/?feed=rss2",
)
MAX_LINKS = 6  # alternate links checked; sites list a feed per category, the first are main
MAX_SITEMAPS = 4
HTML_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.5"


@dataclass(frozen=True, slots=True)
class Discovery:
    site_url: str
    name: str
    feeds: tuple[str, ...]
    language: str | None
    how: str  # in words: which way found the feeds


async def discover(fetcher: Fetcher, url: str) -> Discovery:
    """The feeds of the site at ``url``; :class:`FeedError` when there are none."""
    page = await fetcher.get(url, accept=HTML_ACCEPT)
    if page is None:
        raise FeedError(url, "the server answered 304 Not Modified to a plain request")
    as_feed = _feed_or_none(page)
    if as_feed is not None:
        site = as_feed.site_url or _origin(page.url)
        return Discovery(site, as_feed.title or urlsplit(site).netloc, (page.url,), None, "feed")
    doc = _html(page)
    name, language = _site_name(doc, page.url), _language(doc)
    site = _origin(page.url) + "/" if urlsplit(page.url).path in ("", "/") else page.url
    found = await _verified(fetcher, _alternate_links(doc, page.url)[:MAX_LINKS])
    if found:
        return Discovery(site, name, found, language, '<link rel="alternate"> in the page')
    found = await _verified(fetcher, [urljoin(page.url, p) for p in COMMON_PATHS], first=True)
    if found:
        return Discovery(site, name, found, language, "a usual feed address")
    found = await _news_sitemaps(fetcher, page.url)
    if found:
        return Discovery(site, name, found, language, "a news sitemap named in robots.txt")
    raise FeedError(
        url,
        "no feed found: the page links to none, none of the usual feed addresses answers "
        "with a feed, and robots.txt names no news sitemap",
    )


def _feed_or_none(page: Page) -> ParsedFeed | None:
    if "html" in page.content_type:
        return None
    try:
        parsed = feeds.parse(page.body, page.url, page.content_type)
    except FeedError:
        return None
    return parsed if parsed.items or parsed.format != "sitemap" else None


async def _verified(
    fetcher: Fetcher, candidates: list[str], first: bool = False
) -> tuple[str, ...]:
    found: list[str] = []
    for candidate in dict.fromkeys(candidates):
        try:
            page = await fetcher.get(candidate, accept=feeds.FEED_ACCEPT)
        except FetchError:
            continue
        if page is not None and _feed_or_none(page) is not None:
            found.append(page.url)
            if first:
                break
    return tuple(dict.fromkeys(found))


async def _news_sitemaps(fetcher: Fetcher, url: str) -> tuple[str, ...]:
    try:
        listed = list(await fetcher.sitemaps(url))
    except FetchError:
        return ()
    found: list[str] = []
    for sitemap in listed[:MAX_SITEMAPS]:
        try:
            page = await fetcher.get(sitemap, accept="application/xml, text/xml, */*;q=0.5")
        except FetchError:
            continue
        if page is None:
            continue
        children = feeds.sitemap_index(page.body, page.url)
        if children:  # an index: its news sitemaps, else its first few
            news = [c for c in children if "news" in c.lower()] or children[:1]
            found.extend(await _verified(fetcher, news[:MAX_SITEMAPS]))
        elif _feed_or_none(page) is not None:
            found.append(page.url)
    return tuple(dict.fromkeys(found))


def _html(page: Page) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(decode_body(page.body, page.charset) or "<html/>")
    except (ValueError, lxml.etree.ParserError) as exc:
        raise FeedError(page.url, f"not a web page tagwire can read: {exc}") from exc


def _alternate_links(doc: lxml.html.HtmlElement, base: str) -> list[str]:
    links = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            links.append(urljoin(base, href))
    return links


def _site_name(doc: lxml.html.HtmlElement, url: str) -> str:
    for meta in doc.iter("meta"):
        if (meta.get("property") or "").lower() == "og:site_name" and meta.get("content"):
            return " ".join(str(meta.get("content")).split())[:300]
    title = doc.findtext(".//title") or ""
    return " ".join(title.split())[:300] or (urlsplit(url).hostname or url)


def _language(doc: lxml.html.HtmlElement) -> str | None:
    lang = (doc.get("lang") or "").strip()
    return lang.split("-")[0].lower() or None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
