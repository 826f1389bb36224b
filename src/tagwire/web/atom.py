"""Atom 1.0 feed of a list of cards (RFC 4287), built with ElementTree so every string is
escaped by the serializer rather than by hand.

Ids (RFC 4287 4.2.6: permanent, universally unique, the same in every feed):

- an entry's id is the article's and nothing else's, an RFC 4151 tag URI of the instance's
  authority, the day tagwire first saw the article and its id
  (``tag:news.example.org,2026-11-20:article:12``), so a reader subscribed to a tag's feed
  and a story's feed sees the article once. Neither part changes after the article is
  stored (its title, tags, story and publication time may);
- a feed's id is its canonical address: the feed's path with its subject's canonical key
  (a tag's slug, not the alias typed) and, for a search, its filters sorted, empty ones
  dropped, percent-encoded (a valid IRI, one per filter set).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urlencode

from tagwire.service.shapes import iso
from tagwire.store.records import CardRecord

ATOM = "http://www.w3.org/2005/Atom"
# The filters a feed reads (search.atom); anything else in its address is not the feed's.
FEED_FILTERS = ("q", "tag", "category", "edition")
_DNS_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@" + _DNS_NAME.pattern)


def tag_authority(configured: str, host: str | None) -> str:
    """RFC 4151's authorityName: the configured one, else the request's host name when it
    is a DNS name (an IPv6 literal or a Host header with junk is not), else localhost."""
    for candidate in (configured.strip().lower(), (host or "").strip().lower().rstrip(".")):
        if _DNS_NAME.fullmatch(candidate) or (candidate and _EMAIL.fullmatch(candidate)):
            return candidate
    return "localhost"


def entry_id(authority: str, card: CardRecord) -> str:
    seen = card.first_seen_at or card.sort_at
    return f"tag:{authority},{seen:%Y-%m-%d}:article:{card.id}"


def feed_iri(base: str, kind: str, key: str, query: Mapping[str, str]) -> str:
    """The feed's canonical address; ``key`` is its subject's canonical key (for a search,
    the query as run, white space trimmed)."""
    if kind != "search":
        return f"{base}/{_PATHS[kind]}/{quote(key, safe='')}.atom"
    filters = {name: (query.get(name) or "").strip() for name in FEED_FILTERS}
    filters["q"] = key
    return f"{base}/search.atom?" + urlencode(sorted((k, v) for k, v in filters.items() if v))


_PATHS = {
    "tag": "tags",
    "story": "stories",
    "source": "sources",
    "edition": "editions",
    "category": "categories",
}


def atom_feed(
    *,
    title: str,
    feed_id: str,
    self_url: str,
    alternate_url: str,
    cards: list[CardRecord],
    updated: datetime,
    authority: str = "localhost",
) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", feed_id)
    _text(feed, "updated", iso(max([c.sort_at for c in cards], default=updated)) or "")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url, type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=alternate_url, type="text/html")
    _text(feed, "generator", "tagwire")
    for card in cards:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", card.title)
        _text(entry, "id", entry_id(authority, card))
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=card.url)
        _text(entry, "updated", iso(card.sort_at) or "")
        if card.published_at:
            _text(entry, "published", iso(card.published_at) or "")
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(author, "name", card.source_name)
        _text(author, "uri", card.source_url)
        _text(entry, "summary", card.summary)
        if card.category:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=card.category)
        for tag in card.tags:
            ET.SubElement(
                entry,
                f"{{{ATOM}}}category",
                term=tag.slug,
                label=f"#{tag.slug}",
                scheme="tag:tagwire:hashtag",
            )
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{name}").text = value
