"""``tagwire worker`` (a Celery worker, with the scheduler beside it on ``--beat``) and
``tagwire scheduler`` (a poll task for each due feed; one leads among many).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tagwire import __version__, config, sources
from tagwire.cli.arguments import DB_HELP, Commands, not_negative
from tagwire.cli.database import open_store, shown
from tagwire.errors import TagwireError


def add_worker(sub: Commands) -> None:
    worker = sub.add_parser(
        "worker",
        help="a Celery worker: polls feeds, fetches pages, processes articles",
        description="Run tasks from the broker (TAGWIRE_BROKER_URL, else TAGWIRE_REDIS_URL): "
        "poll a feed, fetch a page, process an article (extract, dedup, entities, story, "
        "category, store). Any number may run, on any machine, on one PostgreSQL database.",
    )
    worker.add_argument("--db", metavar="URL", help=DB_HELP)
    worker.add_argument(
        "--concurrency", type=not_negative, default=0, help="tasks at once (default: one per core)"
    )
    worker.add_argument(
        "--pool",
        choices=("prefork", "solo", "threads"),
        default="prefork",
        help="prefork (processes, for processing), threads (for fetching) or solo (one task)",
    )
    worker.add_argument(
        "--queues",
        default="tagwire.fetch,tagwire.process",
        help="queues to take tasks from (default both: tagwire.fetch, tagwire.process)",
    )
    worker.add_argument("--beat", action="store_true", help="also run the scheduler in this worker")
    worker.set_defaults(handler=_worker)


def add_scheduler(sub: Commands) -> None:
    scheduler = sub.add_parser(
        "scheduler",
        help="queue a poll task for each due feed (one leads among many)",
        description="Queue a poll task for each feed that is due; several may run, one leads "
        "(a lock in Redis), and no feed is queued twice for one due time.",
    )
    scheduler.add_argument("--db", metavar="URL", help=DB_HELP)
    scheduler.add_argument(
        "--sources", metavar="FILE", help="add/update this sources file's sources first"
    )
    scheduler.set_defaults(handler=_scheduler)


def _worker(args: argparse.Namespace, settings: config.Config) -> int:
    import os
    import subprocess

    from tagwire.workers import runtime
    from tagwire.workers.celery_app import make_app

    open_store(settings.database_url).close()  # migrated once here, not by every pool process
    runtime.configure(settings)
    app = make_app(settings)
    scheduler = None
    if args.beat:
        # A process of its own, not a thread: the worker forks its pool processes, and a
        # fork taken while a thread holds a lock (logging, a socket) can hang the child.
        command = [sys.executable, "-m", "tagwire.cli", "scheduler"]
        scheduler = subprocess.Popen(command + (["--db", args.db] if args.db else []))
    argv = ["worker", f"--pool={args.pool}", f"--queues={args.queues}", "--without-gossip"]
    argv += ["--without-mingle", f"--loglevel={'INFO' if args.verbose else 'WARNING'}"]
    argv.append(f"--concurrency={args.concurrency or os.cpu_count() or 1}")
    print(f"tagwire {__version__} worker (database {shown(settings.database_url)})", flush=True)
    try:
        app.worker_main(argv)
    finally:
        if scheduler is not None:
            scheduler.terminate()  # SIGTERM: it gives up the lead before it exits
            scheduler.wait(30)
    return 0


def _scheduler(args: argparse.Namespace, settings: config.Config) -> int:
    import signal
    import threading

    from tagwire.workers.celery_app import make_app

    if args.sources:
        store = open_store(settings.database_url)
        try:
            store.upsert_sources(sources.load(args.sources))
        finally:
            store.close()
    print(f"tagwire {__version__} scheduler (database {shown(settings.database_url)})", flush=True)
    stop = threading.Event()
    # SIGTERM (systemd, docker stop) ends the loop, which gives up the lead at once: a
    # standby scheduler takes over now rather than when the lease runs out.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _run_scheduler(make_app(settings), settings, stop)
    return 0


def _run_scheduler(app: Any, settings: config.Config, stop: Any) -> None:
    import redis

    from tagwire.workers.beat import Scheduler
    from tagwire.workers.queue import TaskQueue

    if not settings["TAGWIRE_REDIS_URL"]:
        raise TagwireError("the scheduler needs TAGWIRE_REDIS_URL (its lock lives there)")
    client = redis.Redis.from_url(str(settings["TAGWIRE_REDIS_URL"]), socket_timeout=10)
    store = open_store(settings.database_url)
    try:
        Scheduler(store, settings, TaskQueue(app), client).run(stop)
    finally:
        store.close()
