"""Feed documents -> :class:`FeedItem` values.

RSS 0.9x/1.0/2.0 and Atom through feedparser; JSON Feed 1.0/1.1 and (Google News)
sitemaps parsed here, since feedparser reads neither.
"""

from __future__ import annotations

import calendar
import html
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException

from tagwire.errors import FeedError, ItemError, ItemReason
from tagwire.types import FeedItem, ItemFailure, ParsedFeed, now_utc, utc

log = logging.getLogger("tagwire.feeds")

# A tag as HTML tokenises one: "<" then a letter, "/", "!" or "?". "Why 2 < 3 and 5 > 4"
# holds no tag ("<" before a space is text), which the old <[^>]+> cut out.
_TAG = re.compile(r"<!--.*?-->|<[A-Za-z/!?][^<>]*>", re.DOTALL)
_SPACE = re.compile(r"\s+")
# What XML 1.0 cannot carry (C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE/U+FFFF). Stored, they would make every Atom feed that lists the article
# stop being XML; a lone surrogate cannot even be encoded as UTF-8 for the database.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Text whose format no attribute declares (RSS, JSON Feed) is HTML when it holds a closing
# tag or an entity reference (what feedparser looks for first), else plain text: "<b>x</b>"
# and "A &amp;amp; B" in RSS are HTML, "History of the <blink> tag" and "2 < 3" are text.
_HTMLISH = re.compile(r"</\w+\s*>|&(?:#\d+|#[xX][0-9a-fA-F]+|\w+);")
# Dates outside these bounds are placeholders (0001-01-01 from site software, the Unix
# epoch) or mistakes; a news item has none, and 0001-01-01 overflows date arithmetic.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def parse(body: bytes, url: str, content_type: str = "", max_items: int = 10_000) -> ParsedFeed:
    """Parse a feed or sitemap body fetched from ``url``; :class:`FeedError` if it is none."""
    # A UTF-8 byte order mark before JSON is still JSON (RFC 8259 lets a parser ignore it).
    head = body.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()[:512]
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
    """Plain text from a feed field that is HTML: tags dropped, entities decoded once."""
    if not value:
        return ""
    return plain_text(html.unescape(_TAG.sub(" ", value)))


def plain_text(value: str | None) -> str:
    """A feed field that is text already, as it is written: white space normalised and
    what XML cannot carry removed, nothing else ("History of the <blink> tag" stays)."""
    if not value:
        return ""
    return _SPACE.sub(" ", safe_text(value)).strip()


def safe_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (C0 controls other than tab
    and newline, lone surrogates); a carriage return becomes a newline. Line breaks kept."""
    if not _UNSAFE.search(value) and "\r" not in value:
        return value  # the common case, at the cost of one scan
    return _UNSAFE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def detail_text(value: str | None, detail: Any, declared: bool) -> str:
    """A feedparser text field. In Atom its type is declared (``title_detail``; RFC 4287:
    type="text", the default, is taken as written; html and xhtml lose their tags and have
    entities decoded, once). RSS declares nothing: see :func:`loose_text`."""
    if not declared:
        return loose_text(value)
    kind = detail.get("type") if isinstance(detail, dict) else None
    return plain_text(value) if kind == "text/plain" else clean_text(value)


def loose_text(value: object) -> str:
    """Text of a format that does not say whether it is HTML (RSS, JSON Feed): HTML if it
    has a closing tag or an entity reference, else plain text."""
    if not isinstance(value, str):
        return ""
    return clean_text(value) if _HTMLISH.search(value) else plain_text(value)


def safe_item(item: FeedItem) -> FeedItem:
    """``item`` with every text field passed through :func:`safe_text`."""
    changes: dict[str, Any] = {}
    for f in fields(item):
        value = getattr(item, f.name)
        if isinstance(value, str) and (clean := safe_text(value)) != value:
            changes[f.name] = clean
        elif isinstance(value, tuple) and any(safe_text(v) != v for v in value):
            changes[f.name] = tuple(safe_text(v) for v in value)
    return replace(item, **changes) if changes else item


def plausible(value: datetime | None, now: datetime | None = None) -> datetime | None:
    """``value`` as aware UTC if a news item can have it (from 1990 to a day ahead), else
    None: an implausible date is no date, never an error."""
    if value is None:
        return None
    try:
        value = utc(value)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        return None
    return value if EARLIEST <= value <= (now or now_utc()) + FUTURE_SLACK else None


def absolute_url(base: str, link: str) -> str:
    """``link`` resolved against ``base`` (RFC 3986), or :class:`ItemError` if it is not a
    URL (``http://[::1/a``: urljoin raises ValueError) or is not http(s)."""
    try:
        url = urljoin(base, safe_text(link).strip())
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise ItemError(ItemReason.BAD_LINK, f"its link is not a URL ({exc})") from None
    if scheme not in {"http", "https"}:
        # javascript:, data:, file: links would become links on our pages: never stored.
        raise ItemError(ItemReason.NOT_HTTP, f"its link is not http(s) ({scheme or 'none'}:)")
    return url


def _optional_url(base: str, link: str | None) -> str | None:
    """An image's URL resolved, or None: an image is optional, its bad URL costs only it."""
    if not link:
        return None
    try:
        return absolute_url(base, link)
    except ItemError:
        return None


def _read_items(
    raws: Iterable[Any], read: Callable[[Any], FeedItem], label: Callable[[int, Any], str]
) -> tuple[tuple[FeedItem, ...], tuple[ItemFailure, ...]]:
    """Each raw entry read by ``read``; one that cannot be is its own failure, recorded
    with its reason, and the others are read still."""
    items: list[FeedItem] = []
    failures: list[ItemFailure] = []
    for n, raw in enumerate(raws, 1):
        try:
            items.append(safe_item(read(raw)))
        except ItemError as exc:
            failures.append(ItemFailure(label(n, raw), exc.reason.value, exc.message))
        except Exception as exc:  # a bug met on one item must not cost the feed
            log.exception("feed item unreadable: %s", label(n, raw))
            failures.append(
                ItemFailure(label(n, raw), ItemReason.INTERNAL.value, f"internal error: {exc!r}")
            )
    return tuple(items), tuple(failures)


def _label(n: int, link: object) -> str:
    return safe_text(link)[:300] if isinstance(link, str) and link.strip() else f"item {n}"


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
    # No content-location: feedparser resolves links against xml:base only, and we resolve
    # the rest against the document's URL ourselves, keeping a bad link's text for its error.
    doc = feedparser.parse(
        cut, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not doc.get("version") and not doc.entries:
        reason = doc.get("bozo_exception")
        raise FeedError(url, f"not a feed we can read ({reason or 'unknown format'})")
    declared = str(doc.get("version") or "").startswith("atom")
    items, failures = _read_items(
        doc.entries[:max_items],
        lambda entry: _xml_item(entry, url, declared),
        lambda n, entry: _label(n, entry.get("link") or entry.get("id")),
    )
    problem = None
    reason = str(doc.get("bozo_exception") or "")
    if cut is body and ("no element found" in reason or "unclosed token" in reason):
        problem = f"the feed's XML ends early (cut off?): read the {len(items)} items before"
    return ParsedFeed(
        title=detail_text(doc.feed.get("title"), doc.feed.get("title_detail"), declared) or None,
        site_url=doc.feed.get("link"),
        items=items,
        format=doc.get("version") or "unknown",
        problem=problem,
        failures=failures,
    )


def _xml_item(entry: Any, url: str, declared: bool) -> FeedItem:
    """One RSS/Atom entry. Links resolve against the document's URL (RFC 3986) after
    feedparser has applied xml:base (RFC 4287), never against the channel's site link."""
    base = _entry_base(entry, url)
    link = entry.get("link") or ""
    guid = entry.get("id") or None
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        raise ItemError(ItemReason.BAD_LINK, "it has no link")
    content = None
    for part in entry.get("content", []) or []:
        value = _content_html(part)
        if len(value) > len(content or ""):
            content = value
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
    return FeedItem(
        url=absolute_url(base, link),
        title=detail_text(entry.get("title"), entry.get("title_detail"), declared),
        # RSS descriptions are HTML by the RSS 2.0 specification.
        summary=_summary(entry, declared)[:2000],
        content_html=content,
        published_at=published,
        author=clean_text(entry.get("author")) or None,
        categories=categories,
        image=_optional_url(base, _xml_image(entry)),
        guid=guid,
    )


def _summary(entry: Any, declared: bool) -> str:
    value, detail = entry.get("summary"), entry.get("summary_detail")
    return detail_text(value, detail, True) if declared else clean_text(value)


def _entry_base(entry: Any, url: str) -> str:
    """The base URL in force in an entry: its xml:base (feedparser records it on each
    text construct), itself resolved against the document's URL; else that URL."""
    for key in ("title_detail", "summary_detail"):
        detail = entry.get(key)
        if isinstance(detail, dict) and detail.get("base"):
            try:
                return urljoin(url, str(detail["base"]))
            except ValueError:
                break
    return url


def _xml_image(entry: Any) -> str | None:
    """The first image an entry names: media:content, media:thumbnail, an image enclosure."""
    for media in (entry.get("media_content") or []) + (entry.get("media_thumbnail") or []):
        if isinstance(media.get("url"), str) and media["url"].strip():
            return str(media["url"])
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return str(link.get("href") or "") or None
    return None


def _content_html(part: Any) -> str:
    """An entry's content as HTML: plain text content is escaped, not read as markup."""
    value = str(part.get("value") or "")
    if part.get("type") == "text/plain" and value:
        return "".join(f"<p>{html.escape(p)}</p>" for p in value.split("\n\n"))
    return value


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return plausible(datetime.fromtimestamp(calendar.timegm(value), tz=UTC))
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def parse_datetime(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp as aware UTC, or ``None`` (also for a date no news
    item can have: see :func:`plausible`)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        return plausible(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
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
    problem = None
    try:
        feed_author = _json_author(doc)
    except ItemError as exc:
        feed_author, problem = None, f"the feed's own author is ignored: {exc.message}"
    # Links resolve against the feed document's URL (RFC 3986), not home_page_url.
    items, failures = _read_items(
        raw_items[:max_items],
        lambda raw: _json_item(raw, url, feed_author),
        lambda n, raw: _label(n, raw.get("url") if isinstance(raw, dict) else None),
    )
    version = str(doc["version"]).rsplit("/", 1)[-1]
    home = doc.get("home_page_url")
    return ParsedFeed(
        title=loose_text(doc.get("title")) or None,
        site_url=home if isinstance(home, str) else None,
        items=items,
        format=f"json{version.replace('.', '')}",
        problem=problem,
        failures=failures,
    )


def _json_item(raw: object, url: str, feed_author: str | None) -> FeedItem:
    """One JSON Feed item; a field of the wrong type is this item's error (never turned
    into a string: ``"image": {...}`` is not an image URL). Authors: the item's own, else
    the feed's (JSON Feed 1.1: a feed's authors are its items' unless they name theirs)."""
    if not isinstance(raw, dict):
        raise ItemError(ItemReason.BAD_FIELD, f"it is {_json_type(raw)}, not an object")
    link = _json_string(raw, "url") or _json_string(raw, "external_url")
    guid = _json_id(raw)
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        raise ItemError(ItemReason.BAD_LINK, "it has no url")
    content = _json_string(raw, "content_html")
    text = _json_string(raw, "content_text")
    if not content and text:
        content = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
    published = _json_string(raw, "date_published") or _json_string(raw, "date_modified")
    image = _json_string(raw, "image") or _json_string(raw, "banner_image")
    return FeedItem(
        url=absolute_url(url, link),
        title=loose_text(_json_string(raw, "title")),
        summary=loose_text(_json_string(raw, "summary"))[:2000],
        content_html=content or None,
        published_at=parse_datetime(published),
        author=_json_author(raw) or feed_author,
        categories=tuple(loose_text(t) for t in _json_tags(raw)),
        image=_optional_url(url, image),
        guid=guid,
    )


def _json_type(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    names |= {list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _json_string(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ItemError(ItemReason.BAD_FIELD, f'its "{key}" is {_json_type(value)}, not a string')


def _json_id(raw: dict[str, Any]) -> str | None:
    # The spec has readers coerce a numeric id to a string; nothing else is an id.
    value = raw.get("id")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _json_string(raw, "id")


def _json_author(holder: dict[str, Any]) -> str | None:
    """The first author's name: ``authors`` (1.1, a list of objects), else ``author``
    (1.0, one object); either of another type is an error."""
    authors = holder.get("authors")
    if authors is None and holder.get("author") is not None:
        authors = [holder["author"]]
    if authors is None:
        return None
    if not isinstance(authors, list) or not all(isinstance(a, dict) for a in authors):
        what = "author" if "authors" not in holder else "authors"
        raise ItemError(ItemReason.BAD_FIELD, f'its "{what}" is not a list of author objects')
    names = [_json_string(a, "name") for a in authors]
    return next((plain_text(n) for n in names if n and n.strip()), None)


def _json_tags(raw: dict[str, Any]) -> list[str]:
    tags = raw.get("tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ItemError(ItemReason.BAD_FIELD, 'its "tags" is not a list of strings')
    return [t for t in tags if t.strip()]


_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def _parse_sitemap(body: bytes, url: str, max_items: int) -> ParsedFeed:
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise FeedError(url, f"not a valid sitemap: {exc}") from exc
    items, failures = _read_items(
        root.findall("sm:url", _NS)[:max_items],
        lambda node: _sitemap_item(node, url),
        lambda n, node: _label(n, node.findtext("sm:loc", default="", namespaces=_NS)),
    )
    return ParsedFeed(title=None, site_url=None, items=items, format="sitemap", failures=failures)


def _sitemap_item(node: Any, url: str) -> FeedItem:
    loc = (node.findtext("sm:loc", default="", namespaces=_NS) or "").strip()
    if not loc:
        raise ItemError(ItemReason.BAD_LINK, "it has no <loc>")
    title = node.findtext("news:news/news:title", default="", namespaces=_NS) or ""
    date = node.findtext(
        "news:news/news:publication_date", default="", namespaces=_NS
    ) or node.findtext("sm:lastmod", default="", namespaces=_NS)
    return FeedItem(
        url=absolute_url(url, loc), title=plain_text(title), published_at=parse_datetime(date)
    )


def sitemap_index(body: bytes, url: str) -> list[str]:
    """The child sitemaps a sitemap index lists (empty when ``body`` is not an index)."""
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException):
        return []
    locs = (
        n.findtext("sm:loc", default="", namespaces=_NS) for n in root.findall("sm:sitemap", _NS)
    )
    urls = []
    for loc in locs:
        if loc and loc.strip():
            try:
                urls.append(absolute_url(url, loc))
            except ItemError:  # one bad <loc> costs only its own sitemap
                continue
    return urls
