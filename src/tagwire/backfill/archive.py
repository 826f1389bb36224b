"""The archive format of ``tagwire import`` and ``tagwire export``: JSON lines, one article
a line::

    {"url": "...", "title": "...", "text": "...", "source": "https://publisher.example/",
     "published_at": "2026-11-20T08:00:00Z", "summary": "...", "author": "...",
     "image": "...", "category": "Sport", "language": "en",
     "mentions": [{"surface": "...", "name": "...", "kind": "person", "start": 0,
                   "end": 5, "in_title": true}]}

``url``, ``title``, ``text``, ``source`` and ``published_at`` are required; without
``mentions`` the entity stage runs (English texts), without ``category`` the classifier.
A line that is not such an object is reported with its number and skipped; the rest goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from sqlalchemy import select

from tagwire.dedup import exact as dedup
from tagwire.store import Store
from tagwire.store import schema as t
from tagwire.types import EntityKind, Mention, quick_pickle, utc


class ArchiveError(ValueError):
    """A line of an archive that is not an article."""


@quick_pickle
@dataclass(frozen=True, slots=True)
class Record:
    url: str
    title: str
    text: str
    source: str  # the publisher's site URL
    published_at: datetime
    summary: str = ""
    author: str | None = None
    image: str | None = None
    category: str | None = None
    language: str | None = None
    mentions: tuple[Mention, ...] | None = None  # None: find them
    source_name: str | None = None  # the publisher's name, for a source not yet stored


def parse_record(line: str) -> Record:
    """One archive line, or ArchiveError saying what is wrong with it."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"not JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ArchiveError("not a JSON object")
    missing = [k for k in ("url", "title", "text", "source", "published_at") if not raw.get(k)]
    if missing:
        raise ArchiveError(f"missing {', '.join(missing)}")
    for key in ("url", "title", "text", "source", "published_at"):
        if not isinstance(raw[key], str):
            raise ArchiveError(f"{key} is not a string")
    for key in ("url", "source"):
        if urlsplit(raw[key]).scheme not in ("http", "https"):
            raise ArchiveError(f"{key} is not an http(s) URL")
    try:
        published = utc(datetime.fromisoformat(raw["published_at"].replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # 0001-01-01T00:00+01:00 has no UTC time
        raise ArchiveError("published_at is not an ISO 8601 time in UTC's range") from None
    return Record(
        url=dedup.canonical_url(raw["url"]),
        title=raw["title"].strip()[:1000],
        text=raw["text"],
        source=raw["source"],
        published_at=published,
        summary=_optional(raw, "summary") or "",
        author=_optional(raw, "author"),
        image=_optional(raw, "image"),
        category=_optional(raw, "category"),
        language=_optional(raw, "language"),
        mentions=_mentions(raw["mentions"]) if "mentions" in raw else None,
        source_name=_optional(raw, "source_name"),
    )


def _optional(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ArchiveError(f"{key} is not a string")
    return value or None


def _mentions(raw: Any) -> tuple[Mention, ...]:
    if not isinstance(raw, list):
        raise ArchiveError("mentions is not a list")
    try:
        return tuple(
            Mention(
                surface=str(m["surface"]),
                name=str(m["name"]),
                kind=EntityKind(m["kind"]),
                start=int(m["start"]),
                end=int(m["end"]),
                in_title=bool(m.get("in_title", False)),
            )
            for m in raw
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"a mention is not valid: {exc}") from None


Line = tuple[int, str]  # an archive's line and its number, parsed by the workers


def read_lines(path: Path) -> Iterator[Line]:
    """The archive's non-blank lines in file order, numbered."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def export_archive(store: Store, out: TextIO, chunk: int = 1000) -> int:
    """Write every stored article, in the order it was stored, as an archive that
    ``tagwire import`` reads back (with its mentions, so no entity stage runs again);
    the number of articles written. A copy's time is the one it was ordered by."""
    a, s, m, e = t.articles.c, t.sources.c, t.mentions.c, t.entities.c
    written, after = 0, 0
    with store.engine.connect() as conn:
        while True:
            rows = conn.execute(
                select(t.articles, s.url.label("site"), s.name.label("site_name"))
                .join(t.sources, s.id == a.source_id)
                .where(a.id > after)
                .order_by(a.id)
                .limit(chunk)
            ).all()
            if not rows:
                return written
            mentions: dict[int, list[dict[str, Any]]] = {}
            found = conn.execute(
                select(m.article_id, m.surface, m.name, e.kind, m.start, m.end, m.in_title)
                .join(t.entities, e.id == m.entity_id)
                .where(m.article_id.in_([r.id for r in rows]))
                .order_by(m.article_id, m.id)
            )
            for row in found:
                mentions.setdefault(int(row.article_id), []).append(
                    {
                        "surface": row.surface,
                        "name": row.name,
                        "kind": row.kind,
                        "start": row.start,
                        "end": row.end,
                        "in_title": bool(row.in_title),
                    }
                )
            for r in rows:
                record = {
                    "url": r.url,
                    "title": r.title,
                    "text": r.text,
                    "source": r.site,
                    "source_name": r.site_name,
                    "published_at": utc(r.sort_at).isoformat(),
                    "summary": r.summary,
                    "author": r.author,
                    "image": r.image,
                    "category": r.category,
                    "language": r.language,
                    "mentions": mentions.get(int(r.id), []),
                }
                out.write(json.dumps({k: v for k, v in record.items() if v is not None}) + "\n")
            written += len(rows)
            after = int(rows[-1].id)
