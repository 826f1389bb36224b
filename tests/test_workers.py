"""Scale-out on real services: `tagwire worker` processes on the shared Redis (a key prefix
of each test's own) and a fresh PostgreSQL database, fetching from loopback publishers."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from conftest import LoopbackServer, until
from scaleout import Publisher, RedisSpace, Worker, redis_space, settings, worker_env
from tagwire.store import Store
from tagwire.store import schema as t
from tagwire.store.copy import _fingerprint
from tagwire.types import Source, now_utc

pytestmark = pytest.mark.slow


@pytest.fixture
def space() -> Iterator[RedisSpace]:
    yield from redis_space()


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Store]:
    store = Store(postgres_url)  # migrated here, before any worker starts
    yield store
    store.close()


def _add_publisher(store: Store, publisher: Publisher) -> tuple[int, int]:
    (source_id,) = store.upsert_sources(
        [Source("Loopback Times", publisher.server.url("/"), (publisher.feed_url,), language="en")]
    )
    (feed,) = store.feeds(source_ids=[source_id])
    return feed.id, source_id


def _queue(env: dict[str, str]) -> Any:
    from tagwire.workers.celery_app import make_app
    from tagwire.workers.queue import TaskQueue

    return TaskQueue(make_app(settings(env)))


def _articles(store: Store) -> list[tuple[str, int]]:
    with store.engine.connect() as conn:
        rows = conn.execute(t.articles.select().order_by(t.articles.c.id)).mappings().all()
    return [(str(r["url"]), int(r["id"])) for r in rows]


def _snapshot(store: Store) -> dict[str, tuple[int, str]]:
    """Every table by row count and checksum (as `tagwire db copy` checks them); feeds
    aside, whose check times move with every poll."""
    tables = [x for x in t.metadata.sorted_tables if x.name not in {"feeds", "schema_version"}]
    with store.engine.connect() as conn:
        return {table.name: _fingerprint(conn, table) for table in tables}


def test_a_worker_ingests_a_publisher_into_postgresql(
    pg: Store, space: RedisSpace, http_server: LoopbackServer, tmp_path: Path
) -> None:
    publisher = Publisher(http_server, 4)
    feed_id, source_id = _add_publisher(pg, publisher)
    env = worker_env(pg.url, space)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        _queue(env).poll_feed(feed_id, source_id)
        until(lambda: pg.counts()["articles"] == 4, timeout=120)
    finally:
        worker.stop()
    assert sorted(url for url, _ in _articles(pg)) == sorted(publisher.urls())
    card = pg.article(_articles(pg)[0][1]).card
    assert {"Oslo", "MariaOlsen"} <= {tag.slug for tag in card.tags}, worker.output()
    (feed,) = pg.feeds(source_ids=[source_id])
    assert feed.etag == '"v1"' and feed.next_check_at is not None
    assert not space.client.exists(f"{space.prefix}poll:{feed_id}")  # the claim was released


def test_each_task_run_twice_changes_nothing(
    pg: Store, space: RedisSpace, http_server: LoopbackServer
) -> None:
    from tagwire.workers import runtime
    from tagwire.workers.celery_app import make_app
    from tagwire.workers.messages import item_to_json, page_to_json
    from tagwire.workers.queue import FETCH_QUEUE
    from tagwire.workers.tasks import run_fetch, run_poll, run_process

    publisher = Publisher(http_server, 3)
    feed_id, source_id = _add_publisher(pg, publisher)
    cfg = settings(worker_env(pg.url, space))
    runtime.configure(cfg)
    app = make_app(cfg)
    queued = f"{space.prefix}{FETCH_QUEUE}"

    run_poll(app, feed_id, source_id)
    assert space.client.llen(queued) == 3  # one fetch task per item
    run_poll(app, feed_id, source_id)
    assert space.client.llen(queued) == 3  # queued lately: not again

    rt = runtime.runtime(app)
    (feed,) = pg.feeds(source_ids=[source_id])
    from tagwire.feeds import parse

    items = parse(publisher._feed().body, publisher.feed_url, "application/rss+xml", 10).items
    pages = [rt.fetch(item)[0] for item in items]
    for item, page in zip(items, pages, strict=True):
        run_process(app, feed.id, source_id, item_to_json(item), page_to_json(page), None)
    before = _snapshot(pg)
    assert pg.counts()["articles"] == 3
    fetched = len(publisher.hits)
    for item, page in zip(items, pages, strict=True):
        assert (
            run_process(app, feed.id, source_id, item_to_json(item), page_to_json(page), None)
            == "known"
        )
        assert run_fetch(app, feed.id, source_id, item_to_json(item)) == "known"
    assert _snapshot(pg) == before
    assert len(publisher.hits) == fetched  # a stored URL is not fetched again
    rt.store.close()


def test_two_workers_share_each_hosts_politeness(
    pg: Store, space: RedisSpace, http_server: LoopbackServer, tmp_path: Path
) -> None:
    delay = 0.4
    publisher = Publisher(http_server, 6)
    feed_id, source_id = _add_publisher(pg, publisher)
    env = worker_env(pg.url, space, TAGWIRE_HOST_DELAY=str(delay), TAGWIRE_NER="false")
    workers = [
        Worker({**env, "TAGWIRE_CONTACT_URL": f"https://worker-{n}.test/"}, tmp_path / f"w{n}.log")
        for n in range(2)
    ]
    try:
        _queue(env).poll_feed(feed_id, source_id)
        until(lambda: pg.counts()["articles"] == 6, timeout=120)
    finally:
        for worker in workers:
            worker.stop()
    polite = sorted(when for when, path, _ in publisher.hits if path != "/robots.txt")
    gaps = [b - a for a, b in itertools.pairwise(polite)]
    assert len(polite) == 7 and min(gaps) >= delay - 0.03, gaps
    agents = {agent for _, path, agent in publisher.hits if path.startswith("/a/")}
    assert len(agents) == 2, "both workers fetched pages"


def test_a_worker_killed_mid_task_loses_and_doubles_nothing(
    pg: Store, space: RedisSpace, http_server: LoopbackServer, tmp_path: Path
) -> None:
    publisher = Publisher(http_server, 3, hold={"/a/1"})
    feed_id, source_id = _add_publisher(pg, publisher)
    env = worker_env(pg.url, space, TAGWIRE_NER="false")
    first = Worker(env, tmp_path / "first.log")
    second = None
    try:
        _queue(env).poll_feed(feed_id, source_id)
        until(lambda: publisher.page_hits("/a/1") == 1, timeout=60)  # caught mid-fetch
        first.kill()
        publisher.release.set()
        second = Worker(env, tmp_path / "second.log")
        until(lambda: pg.counts()["articles"] == 3, timeout=60)
        until(lambda: publisher.page_hits("/a/1") == 2, timeout=30)  # redelivered
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert sorted(url for url, _ in _articles(pg)) == sorted(publisher.urls())  # once each
    assert pg.counts()["duplicates"] == 0
    assert "Traceback" not in second.output() if second else False


def test_two_schedulers_poll_a_feed_once_per_due_time(
    pg: Store, space: RedisSpace, http_server: LoopbackServer, tmp_path: Path
) -> None:
    import threading

    from tagwire.workers.beat import Scheduler

    publisher = Publisher(http_server, 1)
    feed_id, source_id = _add_publisher(pg, publisher)
    env = worker_env(pg.url, space, TAGWIRE_NER="false")
    queue = _queue(env)
    stop = threading.Event()
    schedulers = [
        Scheduler(pg, settings(env), queue, space.client, tick_seconds=0.05) for _ in range(2)
    ]
    threads = [threading.Thread(target=s.run, args=(stop,)) for s in schedulers]
    worker = Worker(env, tmp_path / "worker.log")
    try:
        for thread in threads:
            thread.start()
        for due_time in (1, 2):
            until(_polled(publisher, due_time), timeout=60)
            until(lambda: _next_check_in_future(pg, source_id), timeout=30)
            # Many ticks of both schedulers while the feed is not due: no poll.
            ticks = _ticks_seen(space, 20)
            assert publisher.page_hits("/feed.xml") == due_time, ticks
            if due_time == 1:
                _make_due(pg, feed_id)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        worker.stop()
    assert publisher.page_hits("/feed.xml") == 2


def _polled(publisher: Publisher, times: int) -> Callable[[], bool]:
    return lambda: publisher.page_hits("/feed.xml") == times


def _next_check_in_future(store: Store, source_id: int) -> bool:
    (feed,) = store.feeds(source_ids=[source_id])
    return feed.next_check_at is not None and feed.next_check_at > now_utc()


def _make_due(store: Store, feed_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(t.feeds).where(t.feeds.c.id == feed_id).values(next_check_at=now_utc()))


def _ticks_seen(space: RedisSpace, ticks: int) -> int:
    """Wait for ``ticks`` renewals of the leader's lease (one per tick)."""
    seen = 0
    key = f"{space.prefix}scheduler:leader"
    last = space.client.pttl(key)
    deadline = time.monotonic() + 10
    while seen < ticks and time.monotonic() < deadline:
        now = space.client.pttl(key)
        if now > last:
            seen += 1
        last = now
        time.sleep(0.01)
    return seen


def test_live_updates_reach_every_web_process(
    pg: Store, space: RedisSpace, http_server: LoopbackServer, tmp_path: Path
) -> None:
    """Two web apps, each with its own broadcaster and Redis relay, on one database: an
    article a worker stores is pushed to the open event streams of both."""
    import threading

    from conftest import running
    from tagwire.web.app import create_app
    from tagwire.web.live import Broadcaster, RedisRelay, article_publisher
    from test_live import Events, _read_events

    publisher = Publisher(http_server, 1)
    feed_id, source_id = _add_publisher(pg, publisher)
    env = worker_env(pg.url, space, TAGWIRE_NER="false")
    lives = [Broadcaster(), Broadcaster()]
    relays = [RedisRelay(space.url, space.prefix, article_publisher(pg, live)) for live in lives]
    apps = [
        create_app(pg, on_start=relay.start, on_stop=relay.stop, live=live)
        for relay, live in zip(relays, lives, strict=True)
    ]
    events: list[Events] = [[], []]
    worker = None
    with running(apps[0]) as first, running(apps[1]) as second:
        ready = [threading.Event(), threading.Event()]
        readers = [
            threading.Thread(
                target=_read_events, args=(f"{base}/api/v1/live", 1, got, ok), daemon=True
            )
            for base, got, ok in zip((first, second), events, ready, strict=True)
        ]
        for reader in readers:
            reader.start()
        until(
            lambda: all(r.subscribed.is_set() for r in relays) and all(b.listeners for b in lives)
        )
        try:
            worker = Worker(env, tmp_path / "worker.log")
            _queue(env).poll_feed(feed_id, source_id)
            for reader in readers:
                reader.join(60)
        finally:
            if worker is not None:
                worker.stop()
    assert [[e["card"]["url"] for e in got] for got in events] == [publisher.urls()] * 2


def test_a_standby_scheduler_takes_over_when_the_leader_dies(
    pg: Store, space: RedisSpace, http_server: LoopbackServer
) -> None:
    from tagwire.workers.beat import Scheduler

    publisher = Publisher(http_server, 1)
    feed_id, _ = _add_publisher(pg, publisher)
    env = worker_env(pg.url, space)
    queue = _queue(env)
    leader, standby = (
        Scheduler(pg, settings(env), queue, space.client, tick_seconds=0.1, lease_seconds=0.5)
        for _ in range(2)
    )
    assert leader.tick() == 1 and standby.tick() == 0  # one queues, the other stands by
    key = f"{space.prefix}scheduler:leader"
    assert space.client.get(key).decode() == leader.token
    # The leader dies without a word (no resign): its lease runs out, the standby leads.
    until(lambda: standby.leads(), timeout=5)
    assert space.client.get(key).decode() == standby.token
    assert not leader.leads()
    assert standby.tick() == 0  # the feed is claimed: still not queued twice
    space.client.delete(f"{space.prefix}poll:{feed_id}")  # its poll ran (the task's part)
    _make_due(pg, feed_id)
    assert standby.tick() == 1
    standby.resign()
    assert not space.client.exists(key)


def test_a_pool_process_killed_mid_task_hands_its_task_back_at_once(
    pg: Store, space: RedisSpace, http_server: LoopbackServer, tmp_path: Path
) -> None:
    """kill -9 of a prefork pool process (not of the worker): its task goes back to the
    queue at once (task_reject_on_worker_lost), long before the visibility timeout."""
    publisher = Publisher(http_server, 3, hold={"/a/1"})
    feed_id, source_id = _add_publisher(pg, publisher)
    env = worker_env(pg.url, space, TAGWIRE_NER="false", TAGWIRE_VISIBILITY_TIMEOUT="3600")
    worker = Worker(env, tmp_path / "worker.log", "--pool=prefork", "--concurrency=1")
    try:
        _queue(env).poll_feed(feed_id, source_id)
        until(lambda: publisher.page_hits("/a/1") == 1, timeout=60)
        (child,) = _children(worker.process.pid)
        os.kill(child, signal.SIGKILL)
        publisher.release.set()
        until(lambda: pg.counts()["articles"] == 3, timeout=60)
    finally:
        worker.stop()
    assert publisher.page_hits("/a/1") == 2, worker.output()
    assert sorted(url for url, _ in _articles(pg)) == sorted(publisher.urls())


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def test_a_worker_with_beat_polls_due_feeds_by_itself(
    pg: Store, space: RedisSpace, http_server: LoopbackServer, tmp_path: Path
) -> None:
    """`tagwire worker --beat`: the worker starts a `tagwire scheduler` process, which
    queues the due feed; nothing is queued by hand."""
    publisher = Publisher(http_server, 2)
    _add_publisher(pg, publisher)
    env = worker_env(pg.url, space, TAGWIRE_NER="false")
    worker = Worker(env, tmp_path / "worker.log", "--beat")
    try:
        until(lambda: pg.counts()["articles"] == 2, timeout=90)
    finally:
        worker.stop()
    assert publisher.page_hits("/feed.xml") == 1
    until(lambda: not space.client.exists(f"{space.prefix}scheduler:leader"), timeout=20)
