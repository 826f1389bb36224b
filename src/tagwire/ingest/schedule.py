"""When to check a feed next: pure functions, each tested on its own.

- A feed that publishes often is checked often: about twice per publishing interval (the
  median gap between its recent items), clamped between a few minutes and a day. A feed
  without dates adapts by what the checks find (new items: sooner; none: later).
- A failing feed backs off exponentially with jitter (so that many feeds failing together,
  say behind one broken CDN, do not come back in one burst), and a server's Retry-After is
  obeyed; a source failing for a long stretch is paused until the user resumes it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from itertools import pairwise
from statistics import median

MIN_INTERVAL = 300.0  # five minutes: no feed is checked more often
MAX_INTERVAL = 86_400.0  # a day: every feed is checked at least daily
RECENT_ITEMS = 20
PAUSE_AFTER_FAILURES = 5  # and failing for at least the pause setting's days


def clamp(seconds: float, low: float = MIN_INTERVAL, high: float = MAX_INTERVAL) -> float:
    return max(low, min(high, seconds))


def publishing_gap(published: Sequence[datetime | None]) -> float | None:
    """Median seconds between the feed's most recent dated items; None with fewer than 3."""
    dates = sorted((d for d in published if d is not None), reverse=True)[:RECENT_ITEMS]
    gaps = [(a - b).total_seconds() for a, b in pairwise(dates)]
    gaps = [g for g in gaps if g > 0]
    return median(gaps) if len(gaps) >= 2 else None


def next_interval(
    previous: float | None, gap: float | None, found_new: bool, default: float
) -> float:
    """Seconds until the next check of a feed that answered."""
    if gap is not None:
        return clamp(gap / 2)
    current = previous or default
    return clamp(current / 2 if found_new else current * 1.5)


def backoff(errors: int, base: float, rng: random.Random | None = None) -> float:
    """Seconds before retrying after ``errors`` failures in a row: base, 2 x base, 4 x base
    ... up to a day, each drawn between half and the whole of that ("equal jitter")."""
    ceiling = clamp(base * 2 ** max(0, errors - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def retry_after(value: str | None, now: datetime) -> float | None:
    """A Retry-After header in seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def should_pause(errors: int, failing_since: datetime | None, now: datetime, days: float) -> bool:
    """A source is paused once it has failed several checks in a row over ``days`` days."""
    if failing_since is None or days <= 0:
        return False
    return errors >= PAUSE_AFTER_FAILURES and (now - failing_since).total_seconds() >= days * 86_400
