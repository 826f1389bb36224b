"""Values passed between the stages of the flow.

Frozen dataclasses only; every datetime is timezone-aware UTC (``utc()`` enforces it at the
edges where a library hands us naive or foreign-zone values).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from tagwire.embeddings import Vector


_T = TypeVar("_T")


VECTOR_FIELD = "meaning"  # a float32 vector (tagwire.embeddings.Vector) or None


def quick_pickle(cls: type[_T]) -> type[_T]:
    """Pickle a frozen slots dataclass (two fields or more, all set by ``__init__``) as the
    tuple of its fields, read by one C call and set again by one generated statement per
    field (as dataclasses generates ``__init__``). The dataclasses module's own
    ``__getstate__``/``__setstate__`` call ``fields()`` on every object, and an import
    sends every article's record and mentions between processes: a tenth of its decisions'
    process went there (bench/scale.py); a loop over the fields cost twice the generated
    statements. A ``meaning`` field (VECTOR_FIELD) goes as its float32 bytes: a numpy
    array's pickle cost 20 times that of its bytes (4 and 5 us each way), and an import
    sends one or two an article each way."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if not all(f.init for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: a field not set by __init__ would not be pickled")
    getter = attrgetter(*names)
    vector = names.index(VECTOR_FIELD) if VECTOR_FIELD in names else None

    def getstate(self: Any) -> tuple[Any, ...]:
        state: tuple[Any, ...] = getter(self)
        if vector is not None and state[vector] is not None:
            packed = state[vector].astype("float32", copy=False).tobytes()
            state = (*state[:vector], packed, *state[vector + 1 :])
        return state

    # The slots' descriptors set the values (a frozen class refuses setattr).
    setters: dict[str, Any] = {
        f"set{i}": getattr(cls, name).__set__ for i, name in enumerate(names)
    }
    values = "".join(f"v{i}, " for i in range(len(names)))
    lines = "".join(f"    set{i}(self, v{i})\n" for i in range(len(names)))
    if vector is not None:
        from numpy import float32, frombuffer

        setters.update(frombuffer=frombuffer, float32=float32)
        unpacked = f"None if v{vector} is None else frombuffer(v{vector}, float32)"
        lines = lines.replace(f"(self, v{vector})", f"(self, {unpacked})")
    exec(f"def setstate(self, state):\n    {values}= state\n{lines}", setters)
    setstate = setters["setstate"]

    cls.__getstate__ = getstate  # type: ignore[method-assign]
    cls.__setstate__ = setstate  # type: ignore[attr-defined]
    return cls


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


class EntityKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Source:
    """A publisher: its site, its feeds and where it speaks from."""

    name: str
    url: str
    feeds: tuple[str, ...]
    country: str | None = None
    region: str | None = None
    language: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, before its page is fetched."""

    url: str
    title: str
    summary: str = ""
    content_html: str | None = None  # the whole article when the feed carries it
    published_at: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    image: str | None = None
    guid: str | None = None


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """One feed item that was not stored, and why; its feed's other items are."""

    url: str  # the item's link as the feed gives it, or its place ("item 3") if it has none
    reason: str  # a tagwire.errors.ItemReason value
    message: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    items: tuple[FeedItem, ...]
    format: str
    problem: str | None = None  # read in part: what was wrong (e.g. the XML ends early)
    failures: tuple[ItemFailure, ...] = ()  # items that could not be read at all


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched HTTP resource: raw body plus what the headers said about it."""

    url: str  # final URL after redirects
    status: int
    body: bytes
    content_type: str  # media type without parameters, lower case
    charset: str | None = None  # from the Content-Type header, if any
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    """What extraction finds in an article page (or a feed's full content)."""

    text: str
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    categories: tuple[str, ...] = ()
    language: str | None = None


@quick_pickle
@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of an entity in an article, as written there."""

    surface: str  # exactly as in the text, e.g. "President Lee Jae-myung"
    name: str  # normalised full name, e.g. "Lee Jae-myung"
    kind: EntityKind
    start: int  # character offset in title + "\n\n" + text
    end: int
    in_title: bool = False


@dataclass(frozen=True, slots=True)
class Article:
    """A processed article ready to be stored."""

    url: str  # canonical URL
    title: str
    text: str
    summary: str
    published_at: datetime | None
    author: str | None
    image: str | None
    category: str | None
    language: str | None
    content_hash: str
    mentions: tuple[Mention, ...] = ()
    feed_url: str | None = None
    item_url: str | None = None  # the URL as the feed gave it, if different
    extraction: str = "page"  # page | feed-content | feed-summary


@quick_pickle
@dataclass(frozen=True, slots=True)
class StoryCandidate:
    """A recent story as the story stage sees it."""

    id: int
    title: str
    terms: dict[str, float]
    entity_ids: frozenset[int]
    last_seen: datetime
    first_seen: datetime
    size: int = 1  # articles in the story
    # The mean of its articles' headline vectors (tagwire.embeddings); None for a story stored
    # before stories had vectors. Not compared: numpy arrays have no single truth value.
    meaning: Vector | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one ingest pass did, per source."""

    sources: int = 0
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_unchanged: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    articles_known: int = 0
    errors: tuple[tuple[str, str], ...] = field(default=())  # (source name, message)
