"""Atom 1.0 feed of a list of cards (RFC 4287), built with ElementTree so every string is
escaped by the serializer rather than by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from tagwire.service import iso
from tagwire.store.records import CardRecord

ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(
    *,
    title: str,
    feed_id: str,
    self_url: str,
    alternate_url: str,
    cards: list[CardRecord],
    updated: datetime,
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
        _text(entry, "id", f"{feed_id.rsplit(':', 1)[0]}:article:{card.id}")
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
