"""Source lists: TOML and OPML files of publishers, their feeds, country, region, language.

A source is identified by its site ``url`` (OPML ``htmlUrl``), else by its first feed URL,
so OPML outlines that share an ``htmlUrl`` become one source with several feeds.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET  # writing only; reading goes through defusedxml
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from tagwire.categories.taxonomy import LABELS
from tagwire.errors import BadRequest, SourcesFileError
from tagwire.types import Source

REGIONS = ("africa", "americas", "asia", "europe", "middle-east", "oceania")


def load(path: str | Path) -> list[Source]:
    """Read a TOML or OPML sources file (OPML: ``*.opml`` or any file whose root is <opml>)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourcesFileError(str(path), f"cannot read: {exc.strerror}") from exc
    if path.suffix.lower() == ".opml" or data.lstrip()[:200].lower().find(b"<opml") >= 0:
        return _merge(_from_opml(str(path), data))
    if path.suffix.lower() == ".toml" or not data.lstrip().startswith(b"<"):
        return _merge(_from_toml(str(path), data))
    raise SourcesFileError(str(path), "neither TOML nor OPML")


def _from_toml(path: str, data: bytes) -> list[Source]:
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourcesFileError(path, f"not valid TOML: {exc}") from exc
    entries = doc.get("sources")
    if not isinstance(entries, list):
        raise SourcesFileError(path, "expected [[sources]] tables")
    sources = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise SourcesFileError(path, f"source #{index} is not a table")
        feeds = entry.get("feeds", []) or []
        feeds = feeds + (entry.get("sitemaps", []) or [])
        if isinstance(feeds, str):
            feeds = [feeds]
        sources.append(_make(path, f"source #{index}", entry, [str(f) for f in feeds]))
    return sources


def _from_opml(path: str, data: bytes) -> list[Source]:
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise SourcesFileError(path, f"not valid OPML: {exc}") from exc
    if root.tag.lower() != "opml":
        raise SourcesFileError(path, "root element is not <opml>")
    sources = []
    for index, outline in enumerate(root.iter("outline"), 1):
        attrs = {k: v for k, v in outline.attrib.items()}
        feed = attrs.get("xmlUrl")
        if not feed:
            continue
        entry: dict[str, Any] = {
            "name": attrs.get("text") or attrs.get("title") or feed,
            "url": attrs.get("htmlUrl") or "",
        }
        for key in ("country", "region", "language", "category"):
            if attrs.get(key):
                entry[key] = attrs[key]
        sources.append(_make(path, f"outline #{index}", entry, [feed]))
    return sources


def check_entry(entry: dict[str, Any]) -> Source:
    """One source given by hand (CLI or API), checked by the rules of a sources file;
    :class:`BadRequest` says what is wrong."""
    given = {k: v for k, v in entry.items() if v is not None}
    try:
        return _make("", "the source", given, [str(given.get("url", ""))])
    except SourcesFileError as exc:
        raise BadRequest(str(exc).removeprefix(": ")) from None


def _make(path: str, where: str, entry: dict[str, Any], feeds: list[str]) -> Source:
    for feed in feeds:
        _check_url(path, where, feed)
    if not feeds:
        raise SourcesFileError(path, f"{where} has no feeds")
    url = str(entry.get("url") or "").strip() or feeds[0]
    _check_url(path, where, url)
    name = str(entry.get("name") or "").strip() or urlsplit(url).netloc
    country = _optional(entry, "country")
    region = _optional(entry, "region")
    language = _optional(entry, "language")
    category = _optional(entry, "category")
    if country and (len(country) != 2 or not country.isalpha()):
        raise SourcesFileError(path, f"{where} ({name}): country must be ISO 3166-1 alpha-2")
    if region and region.lower() not in REGIONS:
        raise SourcesFileError(
            path, f"{where} ({name}): region must be one of {', '.join(REGIONS)}"
        )
    if category and category not in LABELS:
        raise SourcesFileError(path, f"{where} ({name}): unknown category {category!r}")
    return Source(
        name=name,
        url=url,
        feeds=tuple(dict.fromkeys(f.strip() for f in feeds)),
        country=country.upper() if country else None,
        region=region.lower() if region else None,
        language=language.lower() if language else None,
        category=category,
    )


def _optional(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return str(value).strip() or None if value is not None else None


def _check_url(path: str, where: str, url: str) -> None:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SourcesFileError(path, f"{where}: not an http(s) URL: {url!r}")


def _merge(sources: list[Source]) -> list[Source]:
    """One source per site URL; feeds of entries sharing a site are joined in order."""
    merged: dict[str, Source] = {}
    for source in sources:
        key = source.url
        if key in merged:
            old = merged[key]
            merged[key] = Source(
                name=old.name,
                url=old.url,
                feeds=tuple(dict.fromkeys(old.feeds + source.feeds)),
                country=old.country or source.country,
                region=old.region or source.region,
                language=old.language or source.language,
                category=old.category or source.category,
            )
        else:
            merged[key] = source
    return list(merged.values())


def to_opml(sources: Iterable[Source], title: str = "tagwire sources") -> str:
    """An OPML 2.0 subscription list, one outline per feed; ``load`` reads it back, with
    each source's country, region, language and category as outline attributes."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for source in sources:
        for feed in source.feeds:
            attrs = {"text": source.name, "type": "rss", "xmlUrl": feed, "htmlUrl": source.url}
            for key in ("country", "region", "language", "category"):
                value = getattr(source, key)
                if value:
                    attrs[key] = value
            ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
