"""What tasks carry through the broker: plain JSON, never pickles.

A feed item travels as its fields; a fetched page as its URL, charset and body (zlib, then
base64: JSON has no bytes, and pages shrink about five times). The body is bounded by
``TAGWIRE_MAX_BYTES`` like every body the fetcher reads.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import asdict
from datetime import datetime
from typing import Any

from tagwire.ingest.analyse import PageBody
from tagwire.types import FeedItem, utc

Json = dict[str, Any]


def item_to_json(item: FeedItem) -> Json:
    data = asdict(item)
    data["published_at"] = item.published_at.isoformat() if item.published_at else None
    data["categories"] = list(item.categories)
    return data


def item_from_json(data: Json) -> FeedItem:
    published = data.get("published_at")
    return FeedItem(
        url=str(data["url"]),
        title=str(data["title"]),
        summary=str(data.get("summary") or ""),
        content_html=data.get("content_html"),
        published_at=utc(datetime.fromisoformat(published)) if published else None,
        author=data.get("author"),
        categories=tuple(str(c) for c in data.get("categories") or ()),
        image=data.get("image"),
        guid=data.get("guid"),
    )


def page_to_json(page: PageBody | None) -> Json | None:
    if page is None:
        return None
    body = base64.b64encode(zlib.compress(page.body, 6)).decode("ascii")
    return {"url": page.url, "charset": page.charset, "body": body}


def page_from_json(data: Json | None) -> PageBody | None:
    if data is None:
        return None
    body = zlib.decompress(base64.b64decode(str(data["body"])))
    return PageBody(str(data["url"]), body, data.get("charset"))
