"""What the front ends pass in, parsed or refused with a ``BadRequest`` (or a ``NotFound``
for a path) that says why: limits, ids, days, editions, categories."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from tagwire.categories.taxonomy import LABELS
from tagwire.errors import BadRequest, NotFound
from tagwire.sources import REGIONS

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def parse_limit(raw: str | int | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return value


# Ids are 64-bit signed integers in both databases (SQLite INTEGER, PostgreSQL bigint): a
# larger number reaching a query is an OverflowError (SQLite) or a DataError (psycopg), so
# none gets that far.
MAX_ID = 2**63 - 1


def parse_id(raw: str | int | None, name: str) -> int | None:
    """A filter's id (``?source=``, ``?story=``): an integer from 1 to MAX_ID, else a 400."""
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not 1 <= value <= MAX_ID:
        raise BadRequest(f"{name} must be an id from 1 to {MAX_ID}")
    return value


def known_id(value: int, what: str) -> int:
    """An id in a path (``/articles/{id}``): one outside 1..MAX_ID names nothing (404)."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(what, value)
    return value


def source_id(raw: str) -> int:
    parsed = parse_id(raw, "source")
    assert parsed is not None
    return parsed


def parse_day(raw: str | None, name: str, end: bool = False) -> datetime | None:
    """ "2026-11-27" (a UTC day: from its start, or to its end) or an ISO 8601 time, in UTC.
    A time that is not a UTC time Python can hold (``9999-12-31T23:00:00-05:00`` is in the
    year 10000; the end of 9999-12-31 too) is a 400, not an OverflowError."""
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time") from None
    except OverflowError:
        raise BadRequest(f"{name} must fall between 0001-01-01 and 9999-12-31 in UTC") from None


LABELS_BY_KEY = {label.casefold(): label for label in LABELS}


def find_category(raw: str) -> str:
    """The label a category names, in any case ("sport", "SPORT" -> "Sport"); else a 404."""
    label = LABELS_BY_KEY.get(raw.strip().casefold())
    if label is None:
        raise NotFound("category", raw)
    return label


EDITION_NAMES = {
    "africa": "Africa",
    "americas": "The Americas",
    "asia": "Asia",
    "europe": "Europe",
    "middle-east": "The Middle East",
    "oceania": "Oceania",
}


def parse_edition(raw: str | None) -> str | None:
    """An edition is a region: news from its publishers and about its places."""
    if raw is None or raw == "":
        return None
    edition = raw.strip().lower()
    if edition not in REGIONS:
        raise BadRequest(f"edition must be one of {', '.join(REGIONS)}")
    return edition
