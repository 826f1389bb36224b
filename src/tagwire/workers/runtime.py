"""What a worker process keeps between tasks: its settings, a store, a pipeline, Redis.

Made once per process, on first use (or at ``worker_process_init``), never in a parent
that forks: a database connection or a Redis socket must not be shared across a fork. The
NLP models are loaded here too, so the first article does not wait for them and no task
loads them twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from tagwire import config as config_module
from tagwire.announce import redis_announcer
from tagwire.config import Config
from tagwire.dedup.exact import canonical_url
from tagwire.entities.places import country_of
from tagwire.errors import ConfigError, Outcome
from tagwire.fetch.client import Fetcher
from tagwire.ingest.analyse import PageBody, warm_up
from tagwire.ingest.pipeline import Pipeline, fetch_page, is_http
from tagwire.store import FeedRecord, Store
from tagwire.types import FeedItem
from tagwire.workers.messages import item_to_json
from tagwire.workers.queue import TaskQueue

log = logging.getLogger("tagwire.workers")
QUEUED_SECONDS = 3600  # an item queued once is not queued again by the next poll for this long


class ItemQueue:
    """The ``NewItems`` of a worker's pipeline: a feed's new items become fetch tasks rather
    than being processed inside the poll (they may run on any worker)."""

    def __init__(self, queue: TaskQueue, client: Any, prefix: str) -> None:
        self.queue = queue
        self.redis = client
        self.prefix = prefix

    async def __call__(
        self, fetcher: Fetcher, feed: FeedRecord, items: Sequence[FeedItem], known: set[str]
    ) -> list[Outcome]:
        return [self._queue_item(feed, item, known) for item in items]

    def _queue_item(self, feed: FeedRecord, item: FeedItem, known: set[str]) -> Outcome:
        if not is_http(item):
            return Outcome.FAILED  # never stored, as in a pass (pipeline._one_item)
        url = canonical_url(item.url)
        if url in known:
            return Outcome.KNOWN
        mark = f"{self.prefix}queued:{hashlib.sha1(url.encode()).hexdigest()}"
        if self.redis.exists(mark):
            return Outcome.QUEUED  # a poll before this one queued it; it may not be done yet
        # Queued first, marked after: a worker killed between the two queues the item twice,
        # which costs a second fetch but loses nothing (the second finds the URL stored).
        self.queue.fetch_page(feed.id, feed.source_id, item_to_json(item))
        self.redis.set(mark, "1", ex=QUEUED_SECONDS)
        return Outcome.QUEUED


def queueing_pipeline(store: Store, config: Config, queue: TaskQueue, client: Any) -> Pipeline:
    """The pipeline of a worker: its new items queued (``ItemQueue``), its new articles
    announced to the web processes through Redis."""
    prefix = str(config["TAGWIRE_REDIS_PREFIX"])
    return Pipeline(
        store,
        config,
        on_article=redis_announcer(client, prefix),
        new_items=ItemQueue(queue, client, prefix),
    )


@dataclass
class Runtime:
    config: Config
    store: Store
    redis: Any  # redis.Redis (its generic parameter differs between redis-py versions)
    queue: TaskQueue
    pipeline: Pipeline

    @property
    def prefix(self) -> str:
        return str(self.config["TAGWIRE_REDIS_PREFIX"])

    def feed(self, feed_id: int, source_id: int) -> FeedRecord | None:
        """The feed as stored now (an enabled, unpaused source's), or None."""
        return next((f for f in self.store.feeds(source_ids=[source_id]) if f.id == feed_id), None)

    def check(self, feed: FeedRecord) -> str:
        async def run() -> str:
            async with Fetcher(self.config, self.pipeline.robots) as fetcher:
                return await self.pipeline.check_feed(fetcher, feed)

        return asyncio.run(run())

    def fetch(self, item: FeedItem) -> tuple[PageBody | None, str | None]:
        async def run() -> tuple[PageBody | None, str | None]:
            async with Fetcher(self.config, self.pipeline.robots) as fetcher:
                return await fetch_page(fetcher, item)

        return asyncio.run(run())


_settings: Config | None = None
_runtime: tuple[int, Runtime] | None = None
_lock = threading.Lock()


def configure(settings: Config) -> None:
    """The settings every worker process uses (the CLI's, with --db applied); before the
    worker starts, so that forked pool processes inherit them."""
    global _settings, _runtime
    _settings = settings
    _runtime = None


def runtime(app: Any) -> Runtime:
    """This process's runtime, made on first use (a forked child makes its own)."""
    global _runtime
    with _lock:
        if _runtime is None or _runtime[0] != os.getpid():
            _runtime = (os.getpid(), _make(app))
        return _runtime[1]


def _make(app: Any) -> Runtime:
    settings = _settings if _settings is not None else config_module.load()
    # Each task runs its analysis in the task's own process: one NLP process per worker
    # process, no pool inside the pool.
    settings = settings.replace(workers=1)
    url = settings["TAGWIRE_REDIS_URL"]
    if not url:
        raise ConfigError(
            "workers need TAGWIRE_REDIS_URL (politeness per host and the scheduler's claims "
            "are shared there, even when the broker is another)"
        )
    store = Store(settings.database_url)
    client = redis.Redis.from_url(str(url), socket_timeout=10, socket_connect_timeout=5)
    queue = TaskQueue(app)
    pipeline = queueing_pipeline(store, settings, queue, client)
    return Runtime(settings, store, client, queue, pipeline)


def warm(app: Any) -> None:
    """Load what every task needs before the first one arrives (worker_process_init)."""
    rt = runtime(app)
    if rt.pipeline.run_ner:
        warm_up()
    # The GeoNames tables behind a new place's country load on first use (about 1.5 s),
    # inside an article's write transaction (ingest.tagging.create_entities): here, so that
    # no article pays for them.
    country_of("Paris")
    log.info("worker process %s ready (database %s)", os.getpid(), rt.config.database_url)
