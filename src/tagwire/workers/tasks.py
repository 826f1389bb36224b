"""The three tasks of a worker: poll a feed -> fetch a page -> process an article.

::

    poll_feed(feed)        conditional GET, parse; each item whose URL is not stored and not
                           queued lately -> fetch_page(item); the feed's outcome and next
                           check stored; the scheduler's claim on the feed released
    fetch_page(item)       URL stored already? done. Else the page (unless the feed carries
                           the whole article; a failure is kept as the item's problem)
                           -> process_article(item, page)
    process_article(...)   URL stored already? done. Else extract + NER in this process,
                           then dedup, entities, story, category, store in one transaction
                           (Pipeline.store_article) and announce it to the web processes

Each is idempotent: run twice, the second finds the URL stored (or the feed unchanged) and
changes nothing; two runs at once are settled by the store's unique URL (the loser's
transaction fails and its retry finds the URL). Infrastructure failures (database or Redis
unreachable, a lost race) are retried with exponential back-off and full jitter (see
:func:`guarded`); a publisher's failure is not a task failure, it is stored on the feed as
in a pass.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import redis.exceptions
import sqlalchemy.exc
from celery.exceptions import Reject  # type: ignore[import-untyped]
from celery.signals import worker_process_init  # type: ignore[import-untyped]
from kombu.exceptions import OperationalError as BrokerError

from tagwire.dedup.exact import canonical_url
from tagwire.errors import Outcome
from tagwire.ingest.analyse import Analysis, analyse
from tagwire.ingest.pipeline import analysis_failed
from tagwire.types import FeedItem
from tagwire.workers import runtime as runtime_module
from tagwire.workers.messages import Json, item_from_json, page_from_json, page_to_json
from tagwire.workers.queue import FETCH_PAGE, POLL_FEED, PROCESS_ARTICLE

log = logging.getLogger("tagwire.workers")

RETRYABLE = (
    sqlalchemy.exc.OperationalError,  # the database is down or restarting
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.IntegrityError,  # a race on a unique URL: the retry finds it stored
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    BrokerError,  # the next task could not be queued
)
BACKOFF_SECONDS = 2.0  # the first retry's longest wait, doubled at each retry ...
BACKOFF_MAX_SECONDS = 300.0  # ... up to five minutes
MAX_RETRIES = 12  # about half an hour of outage in all
TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_RETRIES,
}


def backoff(retries: int) -> float:
    """Exponential back-off with full jitter: a random wait up to the doubled bound, so
    that workers failing together do not all come back at the same instant."""
    return random.uniform(0.0, min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2**retries))


def guarded(task: Any, run: Callable[[], str]) -> str:
    """Run a task's body; on an outage (RETRYABLE), queue it again after a back-off.

    Celery's own autoretry drops the task (reject, requeue=False) when that second
    queueing fails, which is exactly when the broker is the thing that is down; here the
    task is then handed back (requeue=True): if the broker cannot take even that, the
    message stays unacknowledged and comes back after the visibility timeout."""
    try:
        return run()
    except RETRYABLE as exc:
        try:
            raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc
        except Reject as rejected:
            raise Reject(rejected.reason, requeue=True) from exc


def register(app: Any) -> None:
    """Register the tasks on ``app`` (plain functions: no decorator hides their types)."""

    def poll_feed(task: Any, feed_id: int, source_id: int) -> str:
        return guarded(task, lambda: run_poll(app, feed_id, source_id))

    def fetch_page(task: Any, feed_id: int, source_id: int, item: Json) -> str:
        return guarded(task, lambda: run_fetch(app, feed_id, source_id, item))

    def process_article(
        task: Any, feed_id: int, source_id: int, item: Json, page: Json | None, problem: str | None
    ) -> str:
        return guarded(task, lambda: run_process(app, feed_id, source_id, item, page, problem))

    def warm(**_: Any) -> None:
        runtime_module.warm(app)

    # Models and connections per pool process, before its first task (weak=False: the
    # handler is a closure that nothing else keeps alive).
    worker_process_init.connect(warm, weak=False)
    app.task(name=POLL_FEED, **TASK_OPTIONS)(poll_feed)
    app.task(name=FETCH_PAGE, **TASK_OPTIONS)(fetch_page)
    app.task(name=PROCESS_ARTICLE, **TASK_OPTIONS)(process_article)


def run_poll(app: Any, feed_id: int, source_id: int) -> str:
    rt = runtime_module.runtime(app)
    feed = rt.feed(feed_id, source_id)
    outcome = "gone" if feed is None else rt.check(feed)  # removed or paused since queued
    # The scheduler's claim ends once the next check is stored: the feed is no longer due.
    rt.redis.delete(poll_claim(rt.prefix, feed_id))
    log.info("feed polled feed=%s outcome=%s", feed_id, outcome)
    return outcome


def run_fetch(app: Any, feed_id: int, source_id: int, item: Json) -> str:
    rt = runtime_module.runtime(app)
    feed_item = item_from_json(item)
    if rt.store.known_urls([canonical_url(feed_item.url)]):
        return Outcome.KNOWN.value
    page, problem = rt.fetch(feed_item)
    rt.queue.process_article(feed_id, source_id, item, page_to_json(page), problem)
    return "fetched"


def run_process(
    app: Any, feed_id: int, source_id: int, item: Json, page: Json | None, problem: str | None
) -> str:
    rt = runtime_module.runtime(app)
    feed_item = item_from_json(item)
    item_url = canonical_url(feed_item.url)
    if rt.store.known_urls([item_url]):
        return Outcome.KNOWN.value  # before the NLP: a redelivery costs one query
    feed = rt.feed(feed_id, source_id)
    if feed is None:
        log.info("article dropped url=%s: its feed is gone or paused", feed_item.url)
        return "gone"
    analysis = _analysis(rt.pipeline.run_ner, feed_item, page, feed.source_language, problem)
    outcome = rt.pipeline.store_article(feed, feed_item, item_url, analysis)
    log.info("article processed url=%s outcome=%s", feed_item.url, outcome.value)
    return outcome.value


def _analysis(
    run_ner: bool, item: FeedItem, page: Json | None, language: str | None, problem: str | None
) -> Analysis:
    try:
        return analyse(item, page_from_json(page), language, run_ner, problem)
    except Exception as exc:  # the pipeline's policy: see pipeline.analysis_failed
        return analysis_failed(item, language, exc)


def poll_claim(prefix: str, feed_id: int) -> str:
    """The key by which one scheduler says a feed's due check is queued (tagwire.workers.beat)."""
    return f"{prefix}poll:{feed_id}"
