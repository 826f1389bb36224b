"""The only orchestrator: one pass over the feeds, from fetch to store.

::

    for each enabled feed (concurrently; the fetcher is polite per host):
        body = fetch(feed, If-None-Match/If-Modified-Since)   # 304 -> nothing to do
        items = feeds.parse(body)                             # else: error stored on feed
        for each item whose URL the store does not know:
            page = item has the whole article ? none : fetch(item.url)   # failure kept
            analysis = extract + NER          (process pool; feed text if no page text)
            in one transaction (storing.write_item):
                canonical URL known?   -> remember this URL too          (KNOWN)
                same or near-same text (MinHash LSH, 30 days), or a short text with the
                publisher's same title?  -> fold; the fuller/earlier copy survives (DUPLICATE)
                mentions -> entities -> hashtags; story = choose_story(recent stories)
                insert article, URLs, mentions, tags, story               (NEW)
        record the feed's outcome and next check; a failure is stored on feed and source

A publisher's failure never stops the pass; a killed pass leaves every article either
fully written or absent, and the next pass completes the rest (URLs not yet stored).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import zip_longest
from multiprocessing import get_context
from typing import Protocol
from urllib.parse import urlsplit

from tagwire import feeds, heap, metrics
from tagwire.config import Config
from tagwire.dedup import exact as dedup
from tagwire.errors import (
    FeedError,
    FetchError,
    HTTPStatusError,
    ItemReason,
    ModelError,
    Outcome,
)
from tagwire.fetch.client import Fetcher, Validators
from tagwire.fetch.robots import RobotsCache
from tagwire.ingest import schedule
from tagwire.ingest.analyse import Analysis, PageBody, analyse, feed_only, warm_up
from tagwire.ingest.storing import write_item
from tagwire.store import FeedRecord, Store
from tagwire.stories.rules import StoryRules
from tagwire.types import (
    FeedItem,
    ItemFailure,
    ParsedFeed,
    PassReport,
    now_utc,
)

log = logging.getLogger("tagwire.pipeline")
UNCHANGED_BATCH = 100  # 304 answers stored per transaction
FAILURES_NAMED = 3  # item failures named in a feed's message; the rest are counted
ItemResult = Outcome | ItemFailure  # what became of an item, or why it was not stored


@dataclass
class _Tally:
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_unchanged: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        metrics.ARTICLES.labels(outcome.value).inc()


FeedDone = Callable[[FeedRecord, str], None]


class NewItems(Protocol):
    """What becomes of a feed's items (``known``: their canonical URLs the store has): a pass
    analyses and stores them at once (``Pipeline.analyse_and_store``); a worker's pipeline
    queues them as tasks instead (``tagwire.workers.runtime.ItemQueue``)."""

    async def __call__(
        self, fetcher: Fetcher, feed: FeedRecord, items: Sequence[FeedItem], known: set[str]
    ) -> Sequence[ItemResult]: ...


class Pipeline:
    """Runs passes; owns the analysis pool so that models load once per process."""

    def __init__(
        self,
        store: Store,
        config: Config,
        on_article: Callable[[int], None] | None = None,
        new_items: NewItems | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.on_article = on_article  # told of each new listed article (live updates)
        self.new_items = new_items or self.analyse_and_store
        self.rules = StoryRules(window=timedelta(hours=float(config["TAGWIRE_STORY_WINDOW_HOURS"])))
        self.run_ner = bool(config["TAGWIRE_NER"])
        self.dedup_window = timedelta(days=float(config["TAGWIRE_DEDUP_WINDOW_DAYS"]))
        self.workers = int(config["TAGWIRE_WORKERS"]) or (os.cpu_count() or 1)
        self.poll_interval = float(config["TAGWIRE_POLL_INTERVAL"])
        self.feeds_at_once = int(config["TAGWIRE_CONCURRENCY"])
        self.pause_after_days = float(config["TAGWIRE_PAUSE_AFTER_DAYS"])
        self.robots = RobotsCache()  # outlives passes: robots.txt is read once a day per site
        self._unchanged: list[tuple[FeedRecord, datetime, float]] = []  # 304s not yet stored
        self._executor = self._new_pool()
        self._analyses = asyncio.Semaphore(self.workers * 2)
        self._trimmed = False  # the heap given back after the first new article
        self._preload: threading.Thread | None = None  # started by the first new item

    def _new_pool(self) -> Executor:
        initializer = warm_up if self.run_ner else None
        if self.workers <= 1:
            # One worker: a thread is enough and spares a process start (tests, tiny hosts).
            return ThreadPoolExecutor(1, initializer=initializer)
        # spawn, not fork: the parent has threads (uvicorn, the poller) that fork would copy
        # in whatever state they were.
        return ProcessPoolExecutor(
            self.workers, mp_context=get_context("spawn"), initializer=initializer
        )

    def _restart_pool(self, broken: Executor) -> None:
        # Every item in flight on the broken pool fails at once; the first one replaces it.
        if self._executor is broken:
            self._executor = self._new_pool()
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._preload is not None:
            self._preload.join()  # no thread outlives its pipeline

    async def run_pass(
        self, feed_list: Sequence[FeedRecord] | None = None, on_feed_done: FeedDone | None = None
    ) -> PassReport:
        feed_list = _by_host_in_turn(self.store.feeds() if feed_list is None else feed_list)
        tally = _Tally()
        gate = asyncio.Semaphore(self.feeds_at_once)
        async with Fetcher(self.config, self.robots) as fetcher:

            async def one(feed: FeedRecord) -> None:
                async with gate:
                    try:
                        outcome = await self._feed(fetcher, feed, tally)
                    except ModelError:
                        raise
                    except Exception as exc:  # one feed's bug must not stop the others
                        log.exception("feed failed source=%r url=%s", feed.source_name, feed.url)
                        outcome = self._failed(feed, tally, f"internal error: {exc!r}", "internal")
                metrics.FEED_CHECKS.labels(outcome).inc()
                if on_feed_done:
                    on_feed_done(feed, outcome)

            try:
                await asyncio.gather(*(one(feed) for feed in feed_list))
            finally:
                self._flush_unchanged()
        return PassReport(
            sources=len({f.source_id for f in feed_list}),
            feeds_ok=tally.feeds_ok,
            feeds_failed=tally.feeds_failed,
            feeds_unchanged=tally.feeds_unchanged,
            articles_new=tally.outcomes.get(Outcome.NEW, 0),
            articles_duplicate=tally.outcomes.get(Outcome.DUPLICATE, 0),
            articles_known=tally.outcomes.get(Outcome.KNOWN, 0),
            errors=tuple(tally.errors),
        )

    async def check_feed(self, fetcher: Fetcher, feed: FeedRecord) -> str:
        """One feed's check outside a pass (a worker's task); its outcome is stored."""
        try:
            return await self._feed(fetcher, feed, _Tally())
        finally:
            self._flush_unchanged()

    def _flush_unchanged(self) -> None:
        # Lost to a crash, these records only mean the feeds are checked again next time.
        batch, self._unchanged = self._unchanged, []
        self.store.record_unchanged(batch)

    async def _feed(self, fetcher: Fetcher, feed: FeedRecord, tally: _Tally) -> str:
        try:
            page = await fetcher.get(
                feed.url, Validators(feed.etag, feed.last_modified), accept=feeds.FEED_ACCEPT
            )
            if page is None:
                tally.feeds_unchanged += 1
                interval = schedule.next_interval(
                    feed.interval_seconds, feed.publish_gap, False, self.poll_interval
                )
                self._unchanged.append((feed, _after(interval), interval))
                if len(self._unchanged) >= UNCHANGED_BATCH:
                    self._flush_unchanged()
                return "not_modified"
            parsed = feeds.parse(
                page.body,
                page.url,
                page.content_type,
                max_items=int(self.config["TAGWIRE_MAX_ITEMS_PER_FEED"]),
            )
        except (FetchError, FeedError) as exc:
            reason = str(exc.reason) if isinstance(exc, FetchError) else "not_a_feed"
            wait = exc.retry_after if isinstance(exc, HTTPStatusError) else None
            return self._failed(feed, tally, exc.message, reason, wait)
        known = self.store.known_urls([dedup.canonical_url(item.url) for item in parsed.items])
        results = await self.new_items(fetcher, feed, parsed.items, known)
        outcomes = [r if isinstance(r, Outcome) else Outcome.FAILED for r in results]
        for outcome in outcomes:
            tally.count(outcome)
        failures = [*parsed.failures, *(r for r in results if isinstance(r, ItemFailure))]
        for _ in parsed.failures:
            tally.count(Outcome.FAILED)
        tally.feeds_ok += 1
        new = sum(1 for o in outcomes if o in {Outcome.NEW, Outcome.QUEUED})
        gap = schedule.publishing_gap([item.published_at for item in parsed.items])
        interval = schedule.next_interval(feed.interval_seconds, gap, new > 0, self.poll_interval)
        message = _feed_message(parsed, failures, outcomes.count(Outcome.FAILED))
        if message and failures:
            tally.errors.append((feed.source_name, f"{feed.url}: {message}"))
        # An item that met a bug may pass on a retry: without the validators, the next check
        # reads the feed again and retries it (its stored siblings are known, so cheap). A
        # bad link or field is in the document itself, and a 304 for it loses nothing.
        retry = any(f.reason == ItemReason.INTERNAL for f in failures)
        self.store.record_feed(
            feed,
            outcome="ok",
            etag=None if retry else page.etag,
            last_modified=None if retry else page.last_modified,
            title=parsed.title,
            fmt=parsed.format,
            items=len(parsed.items) + len(parsed.failures),
            new_articles=new,
            next_check=_after(interval),
            interval=interval,
            publish_gap=gap,
            message=message,
            reason="malformed" if parsed.problem else ("items_failed" if message else None),
        )
        return "ok"

    async def analyse_and_store(
        self, fetcher: Fetcher, feed: FeedRecord, items: Sequence[FeedItem], known: set[str]
    ) -> Sequence[ItemResult]:
        """A pass's ``NewItems``: each item analysed and stored here, at once."""
        return list(
            await asyncio.gather(*(self._item(fetcher, feed, item, known) for item in items))
        )

    def _failed(
        self,
        feed: FeedRecord,
        tally: _Tally,
        message: str,
        reason: str,
        retry_after: float | None = None,
    ) -> str:
        """Store a feed's failure on the feed and its source, with the time of the next try
        (exponential back-off, or the server's Retry-After if later); pause the source when
        it has failed for long. The pass goes on."""
        log.warning(
            "feed failed source=%r url=%s reason=%s: %s",
            feed.source_name,
            feed.url,
            reason,
            message,
        )
        tally.feeds_failed += 1
        tally.errors.append((feed.source_name, f"{feed.url}: {message}"))
        metrics.FETCH_ERRORS.labels(reason).inc()
        now = now_utc()
        errors = feed.error_count + 1
        wait = schedule.backoff(errors, feed.interval_seconds or self.poll_interval)
        if retry_after is not None:
            wait = max(wait, schedule.clamp(retry_after, 0.0))
        pause = None
        if schedule.should_pause(errors, feed.failing_since, now, self.pause_after_days):
            pause = f"paused after failing for {self.pause_after_days:g} days: {message}"
            log.warning("source paused source=%r: %s", feed.source_name, pause)
        self.store.record_feed(
            feed,
            outcome="failed",
            message=message,
            reason=reason,
            next_check=_after(wait),
            pause=pause,
        )
        return "failed"

    async def _item(
        self, fetcher: Fetcher, feed: FeedRecord, item: FeedItem, known: set[str]
    ) -> ItemResult:
        """One item's outcome, or its failure: whatever goes wrong with one item (a bug in
        a library, a value the database refuses) is that item's, never its feed's."""
        try:
            return await self._one_item(fetcher, feed, item, known)
        except ModelError:
            raise  # no model is a broken installation, not a bad item: stop and say so
        except Exception as exc:
            log.exception("item failed source=%r url=%.200s", feed.source_name, item.url)
            return ItemFailure(item.url, ItemReason.INTERNAL.value, f"internal error: {exc!r}")

    async def _one_item(
        self, fetcher: Fetcher, feed: FeedRecord, item: FeedItem, known: set[str]
    ) -> ItemResult:
        if not is_http(item):
            log.warning("item skipped url=%.80s: not an http(s) link", item.url)
            return ItemFailure(item.url, ItemReason.NOT_HTTP.value, "its link is not http(s)")
        item_url = dedup.canonical_url(item.url)
        if item_url in known:
            return Outcome.KNOWN
        if self._preload is None:
            self._preload = threading.Thread(target=preload, name="preload", daemon=True)
            self._preload.start()
        metrics.QUEUE_DEPTH.inc()
        try:
            async with self._analyses:
                with metrics.ANALYSIS_SECONDS.time():
                    analysis = await self._analyse(fetcher, feed, item)
        finally:
            metrics.QUEUE_DEPTH.dec()
        with metrics.STORE_SECONDS.time():
            return self.store_article(feed, item, item_url, analysis)

    async def _analyse(self, fetcher: Fetcher, feed: FeedRecord, item: FeedItem) -> Analysis:
        page_body, problem = await fetch_page(fetcher, item)
        # Submitting is outside the try: a pool that cannot start is the installation's
        # problem and stops the pass; what the analysis itself raises is the item's.
        pool = self._executor
        future = pool.submit(analyse, item, page_body, feed.source_language, self.run_ner, problem)
        try:
            return await asyncio.wrap_future(future)
        except BrokenExecutor:
            # A worker died on this item (a crash in a C library, the OOM killer): keep the
            # item with the feed's text and start a fresh pool for the next ones.
            log.error("analysis worker died url=%s; restarting the pool", item.url)
            self._restart_pool(pool)
            return feed_only(item, "the analysis worker crashed on this page", feed.source_language)
        except Exception as exc:
            return analysis_failed(item, feed.source_language, exc)

    def store_article(
        self, feed: FeedRecord, item: FeedItem, item_url: str, analysis: Analysis
    ) -> Outcome:
        """Write one analysed item (``storing.write_item``: its own transaction): NEW,
        DUPLICATE (folded) or KNOWN; a new listed article is told to ``on_article``."""
        if self._preload is not None:
            self._preload.join()  # done long since, but for the first article or two
        outcome, article_id = write_item(
            self.store, self.rules, self.dedup_window, feed, item, item_url, analysis
        )
        if outcome is Outcome.NEW and not self._trimmed:
            # The first new article loads what the main process keeps for the run (the
            # cities table, numba's compiled functions): what those loads freed goes back.
            heap.trim()
            self._trimmed = True
        if outcome is Outcome.NEW and article_id is not None and self.on_article is not None:
            try:
                self.on_article(article_id)
            except Exception:  # a listener's failure never costs an article
                log.exception("live update failed article=%s", article_id)
        return outcome


def preload() -> None:
    """Load what the main process needs for its first new article (the sentence-embedding
    session, WordLlama, the gazetteers' tables, numba's compiled functions), in a thread
    started by the pass's first new item: the analysis workers take about a second to start
    (spawn, spaCy), in which the main process only waits; loaded by the first
    ``store_article`` instead, the same second kept the workers waiting for new pages.
    Nothing is computed here that the article would not compute (the same functions, each
    loaded once a process); a pass with nothing new starts no thread. A failure is left to
    the article that needs the model, which reports it."""
    try:
        from tagwire.categories.classify import classify  # noqa: F401  (the lexicon)
        from tagwire.categories.embeddings_text import text_embedder
        from tagwire.dedup.near import fingerprint
        from tagwire.embeddings import embed
        from tagwire.entities.knowledge import is_frequent_word
        from tagwire.entities.places import country_of

        text_embedder()
        embed("Preload the headline model")
        fingerprint(" ".join(f"word{n}" for n in range(200)))
        country_of("Paris")
        is_frequent_word("the")
    except Exception:  # the article that needs it meets the same error, and reports it
        log.debug("preload failed", exc_info=True)


def _feed_message(parsed: ParsedFeed, failures: Sequence[ItemFailure], failed: int) -> str | None:
    """What a source shows for a feed read with losses, in words: "3 of 40 items failed:
    <link>: its link is not a URL; ..." (the first few named), after what was wrong with
    the document itself. None when nothing was lost."""
    count = failed + len(parsed.failures)
    parts = [parsed.problem] if parsed.problem else []
    if count:
        total = len(parsed.items) + len(parsed.failures)
        named = "; ".join(f"{f.url[:200]}: {f.message[:200]}" for f in failures[:FAILURES_NAMED])
        more = count - min(len(failures), FAILURES_NAMED)
        rest = f"; and {more} more" if more > 0 else ""
        noun = "item" if total == 1 else "items"
        parts.append(f"{count} of {total} {noun} failed" + (f": {named}" if named else "") + rest)
    return ". ".join(parts) or None


def is_http(item: FeedItem) -> bool:
    """Whether an item links to an http(s) page: javascript:, data:, file: links would
    become links on our pages, so such an item is never stored nor queued."""
    return urlsplit(item.url).scheme.lower() in {"http", "https"}


def analysis_failed(item: FeedItem, language: str | None, exc: Exception) -> Analysis:
    """What an item becomes when its analysis raised ``exc`` (call it in the ``except``
    block, for the log's traceback), in a pass and in a worker's task alike: a page that
    breaks a library must not lose the item, so it is kept with its feed's text. No model
    (ModelError) is a broken installation, not a bad item: raised again, it stops and says so.
    """
    if isinstance(exc, ModelError):
        raise exc
    log.exception("analysis failed url=%s; keeping the feed's text", item.url)
    return feed_only(item, f"analysis failed: {exc!r}", language)


async def fetch_page(fetcher: Fetcher, item: FeedItem) -> tuple[PageBody | None, str | None]:
    """An item's page, unless its feed carries the whole article; or why it could not be
    fetched (the item is then kept with the feed's text)."""
    if item.content_html and len(item.content_html) >= 1500:
        return None, None
    try:
        page = await fetcher.get(item.url, accept="text/html,application/xhtml+xml")
    except FetchError as exc:
        log.info(
            "page failed, keeping the feed's text url=%s reason=%s: %s",
            item.url,
            exc.reason,
            exc.message,
        )
        return None, exc.message
    return (PageBody(page.url, page.body, page.charset) if page is not None else None), None


def _by_host_in_turn(feed_list: Sequence[FeedRecord]) -> list[FeedRecord]:
    """One feed of each host, then a second of each...: the feeds checked at once are on
    different hosts, so one host's politeness delay does not hold up the others."""
    hosts: dict[str, list[FeedRecord]] = {}
    for feed in feed_list:
        hosts.setdefault(urlsplit(feed.url).netloc.lower(), []).append(feed)
    turns = zip_longest(*hosts.values())
    return [feed for turn in turns for feed in turn if feed is not None]


def _after(seconds: float) -> datetime:
    return now_utc() + timedelta(seconds=seconds)


async def ingest(
    store: Store,
    config: Config,
    feed_list: Sequence[FeedRecord] | None = None,
    on_feed_done: FeedDone | None = None,
) -> PassReport:
    """One pass with a pipeline made for it (the CLI's ``tagwire ingest``)."""
    pipeline = Pipeline(store, config)
    try:
        return await pipeline.run_pass(feed_list, on_feed_done)
    finally:
        pipeline.close()
