"""Feed documents -> :class:`FeedItem` values.

RSS 0.9x/1.0/2.0 and Atom through feedparser; JSON Feed 1.0/1.1 and (Google News)
sitemaps parsed here, since feedparser reads neither.
"""

from __future__ import annotations

import calendar
import html
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException

from tagwire.errors import FeedError
from tagwire.types import FeedItem, ParsedFeed, utc

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def parse(body: bytes, url: str, content_type: str = "", max_items: int = 10_000) -> ParsedFeed:
    """Parse a feed or sitemap body fetched from ``url``; :class:`FeedError` if it is none."""
    head = body.lstrip()[:512]
    if "json" in content_type or head.startswith(b"{"):
        return _parse_json_feed(body, url, max_items)
    if (
        b"<urlset" in head
        or b"<sitemapindex" in head
        or (b"<urlset" in body[:4096] or b"<sitemapindex" in body[:4096])
    ):
        return _parse_sitemap(body, url, max_items)
    return _parse_xml_feed(body, url, content_type, max_items)


def clean_text(value: str | None) -> str:
    """Plain text from a feed field that may carry markup or entities."""
    if not value:
        return ""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ITEM_END = re.compile(rb"</(?:[\w-]+:)?(?:item|entry)\s*>", re.IGNORECASE)


def _refuse_entity_declarations(body: bytes, url: str) -> None:
    """Entity declarations are how XML attacks work ("billion laughs" expansion, external
    entities reading local files); no real feed needs them. Refused outright, before any
    parser sees them (expat limits expansion, but slowly and with memory to spare)."""
    if _ENTITY_DECLARATION.search(body):
        raise FeedError(
            url,
            "the feed declares XML entities (<!ENTITY>), which tagwire refuses: they are "
            "used to attack parsers (entity expansion, external entities)",
        )


def _first_items(body: bytes, max_items: int) -> bytes:
    """A feed with far more items than are read (100,000, say) is cut after the first
    ``max_items`` before parsing, so its cost is that of the items read; the parser's loose
    mode closes what the cut leaves open."""
    for count, match in enumerate(_ITEM_END.finditer(body), 1):
        if count == max_items:
            return body[: match.end()] if match.end() < len(body) - 64 else body
    return body


def _parse_xml_feed(body: bytes, url: str, content_type: str, max_items: int) -> ParsedFeed:
    _refuse_entity_declarations(body, url)
    cut = _first_items(body, max_items)
    headers = {"content-type": content_type} if content_type else {}
    # sanitize_html=False: twice as fast, and safe because only extracted text is stored.
    doc = feedparser.parse(
        cut, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not doc.get("version") and not doc.entries:
        reason = doc.get("bozo_exception")
        raise FeedError(url, f"not a feed we can read ({reason or 'unknown format'})")
    base = urljoin(url, doc.feed.get("link") or url)
    items = []
    for entry in doc.entries[:max_items]:
        item = _xml_item(entry, base)
        if item:
            items.append(item)
    problem = None
    reason = str(doc.get("bozo_exception") or "")
    if cut is body and ("no element found" in reason or "unclosed token" in reason):
        problem = f"the feed's XML ends early (cut off?): read the {len(items)} items before"
    return ParsedFeed(
        title=clean_text(doc.feed.get("title")) or None,
        site_url=doc.feed.get("link"),
        items=tuple(items),
        format=doc.get("version") or "unknown",
        problem=problem,
    )


def _xml_item(entry: Any, base: str) -> FeedItem | None:
    link = entry.get("link") or ""
    guid = entry.get("id") or None
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    content = None
    for part in entry.get("content", []) or []:
        value = part.get("value") or ""
        if len(value) > len(content or ""):
            content = value
    summary_html = entry.get("summary") or ""
    # dict.get: FeedParserDict.get maps a missing published_parsed to updated_parsed with
    # a DeprecationWarning; we ask for each explicitly.
    published = _struct_time(
        dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    )
    categories = tuple(
        clean_text(tag.get("term") or tag.get("label") or "")
        for tag in entry.get("tags", [])
        if (tag.get("term") or tag.get("label"))
    )
    image = None
    for media in (entry.get("media_content") or []) + (entry.get("media_thumbnail") or []):
        if media.get("url"):
            image = media["url"]
            break
    return FeedItem(
        url=urljoin(base, link.strip()),
        title=clean_text(entry.get("title")) or "",
        summary=clean_text(summary_html)[:2000],
        content_html=content,
        published_at=published,
        author=clean_text(entry.get("author")) or None,
        categories=categories,
        image=image,
        guid=guid,
    )


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_datetime(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp as aware UTC, or ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _parse_json_feed(body: bytes, url: str, max_items: int) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(url, f"not valid JSON: {exc}") from exc
    except RecursionError:  # "[[[[..." nested deeper than the parser's stack
        raise FeedError(url, "not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
    ):
        raise FeedError(url, "JSON document is not a JSON Feed (no jsonfeed.org version)")
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        raise FeedError(url, "JSON Feed has no items list")
    base = doc.get("home_page_url") or url
    items = [
        item
        for raw in raw_items[:max_items]
        if isinstance(raw, dict)
        if (item := _json_item(raw, str(base))) is not None
    ]
    version = str(doc["version"]).rsplit("/", 1)[-1]
    return ParsedFeed(
        title=clean_text(str(doc.get("title") or "")) or None,
        site_url=doc.get("home_page_url"),
        items=tuple(items),
        format=f"json{version.replace('.', '')}",
    )


def _json_item(raw: dict[str, Any], base: str) -> FeedItem | None:
    link = raw.get("url") or raw.get("external_url")
    if not link and str(raw.get("id", "")).startswith(("http://", "https://")):
        link = raw["id"]
    if not isinstance(link, str) or not link:
        return None
    authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
    author = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
    content = raw.get("content_html") or None
    if not content and raw.get("content_text"):
        content = "".join(
            f"<p>{html.escape(p)}</p>" for p in str(raw["content_text"]).split("\n\n")
        )
    tags: list[Any] = raw["tags"] if isinstance(raw.get("tags"), list) else []
    return FeedItem(
        url=urljoin(base, link.strip()),
        title=clean_text(str(raw.get("title") or "")),
        summary=clean_text(str(raw.get("summary") or ""))[:2000],
        content_html=str(content) if content else None,
        published_at=parse_datetime(raw.get("date_published") or raw.get("date_modified")),
        author=clean_text(str(author)) if author else None,
        categories=tuple(clean_text(str(t)) for t in _strings(tags)),
        image=raw.get("image") or raw.get("banner_image"),
        guid=str(raw.get("id")) if raw.get("id") is not None else None,
    )


def _strings(values: Iterable[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str) and v.strip()]


_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def _parse_sitemap(body: bytes, url: str, max_items: int) -> ParsedFeed:
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise FeedError(url, f"not a valid sitemap: {exc}") from exc
    items = []
    for node in root.findall("sm:url", _NS)[:max_items]:
        loc = (node.findtext("sm:loc", default="", namespaces=_NS) or "").strip()
        if not loc:
            continue
        title = node.findtext("news:news/news:title", default="", namespaces=_NS) or ""
        date = node.findtext(
            "news:news/news:publication_date", default="", namespaces=_NS
        ) or node.findtext("sm:lastmod", default="", namespaces=_NS)
        items.append(
            FeedItem(
                url=urljoin(url, loc), title=clean_text(title), published_at=parse_datetime(date)
            )
        )
    return ParsedFeed(title=None, site_url=None, items=tuple(items), format="sitemap")


def sitemap_index(body: bytes, url: str) -> list[str]:
    """The child sitemaps a sitemap index lists (empty when ``body`` is not an index)."""
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException):
        return []
    locs = (
        n.findtext("sm:loc", default="", namespaces=_NS) for n in root.findall("sm:sitemap", _NS)
    )
    return [urljoin(url, loc.strip()) for loc in locs if loc and loc.strip()]
