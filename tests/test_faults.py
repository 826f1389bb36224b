"""Faults on private PostgreSQL and Redis instances (never the shared ones): servers
restarted under a running ingest, which must resume by itself and lose nothing."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import LoopbackServer, until
from scaleout import (
    PrivatePostgres,
    PrivateRedis,
    Publisher,
    RedisSpace,
    Worker,
    worker_env,
)
from tagwire.store import Store
from test_workers import _add_publisher, _articles, _queue

pytestmark = pytest.mark.slow


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    yield server
    server.close()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    yield server
    server.close()


def test_restarting_postgresql_then_redis_during_an_ingest_loses_nothing(
    private_pg: PrivatePostgres,
    private_redis: PrivateRedis,
    http_server: LoopbackServer,
    tmp_path: Path,
) -> None:
    import redis

    store = Store(private_pg.url)
    publisher = Publisher(http_server, 12)
    feed_id, source_id = _add_publisher(store, publisher)
    space = RedisSpace(private_redis.url, "tagwire:", redis.Redis.from_url(private_redis.url))
    env = worker_env(store.url, space, TAGWIRE_NER="false", TAGWIRE_HOST_DELAY="0.3")
    workers = [Worker(env, tmp_path / "worker-0.log")]

    def stored(at_least: int) -> bool:
        # A supervisor's part (systemd Restart=always): celery 5.7 / kombu 5.7 can exit on
        # an AttributeError inside kombu while reconnecting to a restarted Redis.
        if workers[-1].process.poll() is not None:
            workers.append(Worker(env, tmp_path / f"worker-{len(workers)}.log"))
        return store.counts()["articles"] >= at_least

    worker = workers[0]
    try:
        _queue(env).poll_feed(feed_id, source_id)
        until(lambda: stored(3), timeout=60)
        private_pg.stop()
        # Down until a task has failed on it and been put off (back-off with jitter).
        until(lambda: "Retry in" in worker.output(), timeout=60)
        private_pg.start()
        until(lambda: stored(6), timeout=120)
        before = len(worker.output())
        private_redis.stop()
        until(lambda: _felt_redis_down(worker.output(), before), timeout=60)
        private_redis.start()
        until(lambda: stored(12), timeout=180)
        urls = sorted(url for url, _ in _articles(store))
    finally:
        for one in workers:
            one.stop()
        store.close()
    log = "".join(one.output() for one in workers)
    print(f"worker restarts by the supervisor: {len(workers) - 1}")
    assert urls == sorted(publisher.urls()), log
    assert "raised unexpected" not in log and "requeue=False" not in log  # none dropped


def _felt_redis_down(log: str, since: int) -> bool:
    """The worker noticed: its consumer lost the broker, or a task could not reach Redis."""
    news = log[since:]
    return any(
        sign in news for sign in ("Connection to broker lost", "Error 111", "redis unreachable")
    )


def test_live_relay_and_scheduler_ride_out_a_redis_restart(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """A web process's live relay resubscribes by itself after Redis restarts, and a
    scheduler's loop waits the outage out (no crash, the lead taken again)."""
    import threading

    import redis

    from tagwire import config
    from tagwire.announce import redis_announcer
    from tagwire.web.live import RedisRelay
    from tagwire.workers.beat import Scheduler
    from tagwire.workers.celery_app import make_app
    from tagwire.workers.queue import TaskQueue

    got: list[int] = []
    relay = RedisRelay(private_redis.url, "t:", got.append)
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    cfg = config.load({"TAGWIRE_REDIS_URL": private_redis.url, "TAGWIRE_REDIS_PREFIX": "t:"})
    client = redis.Redis.from_url(private_redis.url)
    scheduler = Scheduler(store, cfg, TaskQueue(make_app(cfg)), client, tick_seconds=0.1)
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run, args=(stop,))
    relay.start()
    loop.start()
    try:
        until(relay.subscribed.is_set)
        until(lambda: client.get("t:scheduler:leader") == scheduler.token.encode())
        private_redis.stop()
        until(lambda: not relay.subscribed.is_set())
        private_redis.start()
        until(relay.subscribed.is_set, timeout=30)
        redis_announcer(client, "t:")(42)
        until(lambda: got == [42])
        until(lambda: client.get("t:scheduler:leader") == scheduler.token.encode())
        assert loop.is_alive()
    finally:
        stop.set()
        loop.join(10)
        relay.stop()
        client.close()
        store.close()


def test_twenty_random_kill_points_of_a_sqlite_ingest(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    """`tagwire ingest` (one process, SQLite) killed with SIGKILL at a random moment of its
    first pass, 20 times on 20 fresh stores: after each kill the store is consistent, and
    the next run completes the pass (every article once)."""
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    publisher = Publisher(http_server, 30, delay=0.02)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[sources]]\nname = "Loopback Times"\nurl = "{http_server.url("/")}"\n'
        f'feeds = ["{publisher.feed_url}"]\nlanguage = "en"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGWIRE_")}
    env |= {"TAGWIRE_ALLOWED_HOSTS": "127.0.0.1", "TAGWIRE_HOST_DELAY": "0"}
    env |= {"TAGWIRE_NER": "false", "TAGWIRE_WORKERS": "1"}

    def ingest(db: Path) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "tagwire.cli", "ingest", "--no-progress"]
        command += ["--sources", str(sources), "--db", f"sqlite:///{db}"]
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)

    # An uninterrupted pass first: how long the start-up takes (until its first article).
    started = time.monotonic()
    reference = ingest(tmp_path / "reference.db")
    until(lambda: _stored_articles(tmp_path / "reference.db") > 0, timeout=120)
    first = time.monotonic() - started
    assert reference.wait(120) == 0
    rng = random.Random(20)
    kills = 0
    partial: list[int] = []  # articles stored when each run was killed
    for point in range(20):
        db = tmp_path / f"killed-{point}.db"
        run = ingest(db)
        # The kill point: after the k-th stored article (the run's own progress: timing
        # from the reference run made later, warmer runs end before their kill points),
        # or, for k = 0, a moment of the start-up (imports, migrations, the feed).
        k = rng.randint(0, 29)
        if k == 0:
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.wait(timeout=rng.uniform(0.1, first))
        else:
            until(partial_or_over(run, db, k), timeout=120)
        if run.poll() is None:
            os.kill(run.pid, signal.SIGKILL)
            run.wait(10)
            kills += 1
        _assert_consistent(db)
        partial.append(_stored_articles(db))
        assert ingest(db).wait(120) == 0  # the next run completes the pass
        _assert_consistent(db)
        store = Store(f"sqlite:///{db}")
        try:
            assert sorted(url for url, _ in _articles(store)) == sorted(publisher.urls())
        finally:
            store.close()
    print(f"{kills} kills; articles stored at each kill: {partial}")
    assert kills >= 12, f"only {kills} of the 20 runs were still going at their kill point"
    assert sum(1 for n in partial if 0 < n < 30) >= 6, f"too few kills mid-pass: {partial}"


def partial_or_over(run: subprocess.Popen[bytes], db: Path, k: int) -> Callable[[], bool]:
    """The condition "``run`` has stored ``k`` articles, or ended"."""
    return lambda: run.poll() is not None or _stored_articles(db) >= k


def _stored_articles(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        # One read transaction, so both questions see the same commit: asked apart, the
        # count could fail on a store without tables and the listing then find the
        # migrations' commit that came in between (seen on a busy machine).
        conn.execute("BEGIN")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "articles" not in tables:
            assert not tables - {"schema_version"}, tables  # the migrations are one commit
            return 0  # before the first migration was committed: an empty file
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


def _assert_consistent(db: Path) -> None:
    """SQLite's own checks, and every stored article findable by its URL."""
    import sqlite3

    if not db.exists():
        return
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        if _stored_articles(db):
            orphans = conn.execute(
                "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                "(SELECT 1 FROM article_urls u WHERE u.article_id = a.id)"
            ).fetchone()[0]
            assert orphans == 0
    finally:
        conn.close()
