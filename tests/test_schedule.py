"""When feeds are checked: intervals, back-off, Retry-After, pausing (pure functions), and a
pass that applies them to a real store."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import LoopbackServer, Reply
from tagwire import config
from tagwire.ingest import schedule
from tagwire.ingest.pipeline import Pipeline
from tagwire.store import Store
from tagwire.types import Source, now_utc
from test_pipeline import rss

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_publishing_gap_is_the_median_of_recent_gaps() -> None:
    hourly = [T0 - timedelta(hours=n) for n in range(10)]
    assert schedule.publishing_gap(hourly) == 3600
    assert schedule.publishing_gap([T0, T0 - timedelta(hours=1)]) is None  # too few
    assert schedule.publishing_gap([None, None, T0]) is None
    burst = [T0 - timedelta(minutes=n) for n in range(5)] + [T0 - timedelta(days=3)]
    assert schedule.publishing_gap(burst) == 60  # the median ignores one long silence


@pytest.mark.parametrize(
    ("previous", "gap", "found_new", "expected"),
    [
        (None, 3600.0, True, 1800.0),  # twice per publishing interval
        (None, 60.0, True, schedule.MIN_INTERVAL),  # never more often than the floor
        (None, 7 * 86400.0, False, schedule.MAX_INTERVAL),  # at least daily
        (900.0, None, True, 450.0),  # no dates: sooner after news
        (900.0, None, False, 1350.0),  # ... later after none
        (None, None, False, 1350.0),  # the default interval to start from
        (80000.0, None, False, schedule.MAX_INTERVAL),
    ],
)
def test_next_interval(
    previous: float | None, gap: float | None, found_new: bool, expected: float
) -> None:
    assert schedule.next_interval(previous, gap, found_new, 900.0) == expected


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    rng = random.Random(7)
    for errors in range(1, 12):
        ceiling = min(schedule.MAX_INTERVAL, 900.0 * 2 ** (errors - 1))
        waits = [schedule.backoff(errors, 900.0, rng) for _ in range(200)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert max(waits) - min(waits) > ceiling / 4  # jittered, not all at once


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert schedule.retry_after("120", T0) == 120
    assert schedule.retry_after("Sun, 01 Nov 2026 12:10:00 GMT", T0) == 600
    assert schedule.retry_after("Sun, 01 Nov 2026 11:00:00 GMT", T0) == 0  # in the past
    assert schedule.retry_after("soon", T0) is None
    assert schedule.retry_after(None, T0) is None


def test_a_source_is_paused_only_after_failing_long_and_often() -> None:
    week = timedelta(days=7)
    assert schedule.should_pause(5, T0 - week, T0, 7)
    assert not schedule.should_pause(4, T0 - week, T0, 7)  # not often enough
    assert not schedule.should_pause(50, T0 - week + timedelta(hours=1), T0, 7)  # not long
    assert not schedule.should_pause(50, T0 - week, T0, 0)  # pausing switched off
    assert not schedule.should_pause(50, None, T0, 7)


def _run(store: Store, **env: str) -> None:
    cfg = config.load(
        {
            "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
            "TAGWIRE_HOST_DELAY": "0",
            "TAGWIRE_WORKERS": "1",
            "TAGWIRE_NER": "false",
        }
        | env
    )
    pipeline = Pipeline(store, cfg)
    try:
        asyncio.run(pipeline.run_pass())
    finally:
        pipeline.close()


def test_a_pass_schedules_feeds_by_their_pace_and_backs_off_failures(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    base = http_server.base
    http_server.routes["/hourly.xml"] = Reply(
        200,
        rss(base, [f"/h/{n}" for n in range(6)]).replace(
            b"10:0", b"1"
        ),  # pubDates 10:00 .. 15:00: one an hour
        {"Content-Type": "application/rss+xml"},
    )
    http_server.routes["/busy.xml"] = Reply(429, b"slow down", {"Retry-After": "7200"})
    http_server.routes["/down.xml"] = Reply(503, b"down")
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.upsert_sources(
        [
            Source("Hourly", http_server.url("/h/"), (http_server.url("/hourly.xml"),)),
            Source("Busy", http_server.url("/b/"), (http_server.url("/busy.xml"),)),
            Source("Down", http_server.url("/d/"), (http_server.url("/down.xml"),)),
        ]
    )
    before = now_utc()
    _run(store)
    health = {s.name: s for s in store.sources()}
    hourly = health["Hourly"].next_check_at
    assert hourly is not None
    assert 1700 <= (hourly - before).total_seconds() <= 1900  # half of an hour
    busy = health["Busy"]
    assert busy.last_error and "too many requests" in busy.last_error
    assert busy.next_check_at and (busy.next_check_at - before).total_seconds() >= 7200
    down = health["Down"].next_check_at
    assert down is not None and 450 <= (down - before).total_seconds() <= 960
    assert "service unavailable" in (health["Down"].last_error or "")


def test_a_source_failing_for_days_is_paused_and_resumed(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    http_server.routes["/down.xml"] = Reply(503, b"down")
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    (source_id,) = store.upsert_sources(
        [Source("Down", http_server.url("/"), (http_server.url("/down.xml"),))]
    )
    from sqlalchemy import text

    with store.engine.begin() as conn:  # as if it had failed four times over eight days
        conn.execute(
            text("UPDATE feeds SET error_count = 4, failing_since = :t"),
            {"t": (now_utc() - timedelta(days=8)).replace(tzinfo=None)},
        )
    _run(store, TAGWIRE_PAUSE_AFTER_DAYS="7")
    (down,) = store.sources()
    assert down.paused_at is not None and "paused after failing for 7 days" in (
        down.paused_reason or ""
    )
    assert store.feeds() == []  # a paused source is not polled
    store.resume_source(source_id)
    (feed,) = store.feeds()
    assert feed.error_count == 0 and feed.next_check_at is None and feed.failing_since is None
    assert store.sources()[0].paused_at is None
