"""The in-process poller of ``tagwire serve``: a thread with its own event loop that runs a
pass over the feeds that are due, then sleeps until the next one is due.

A thread, not a task on the web server's loop: store writes and the pipeline's own awaits
then never hold up a page request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from tagwire.config import Config
from tagwire.ingest.pipeline import Pipeline
from tagwire.store import Store
from tagwire.types import now_utc
from tagwire.webhooks import deliver_round

log = logging.getLogger("tagwire.scheduler")
MIN_SLEEP = 5.0


class Poller:
    def __init__(
        self, store: Store, config: Config, on_article: Callable[[int], None] | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.on_article = on_article  # each new listed article's id (live updates)
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tagwire-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        pipeline = Pipeline(self.store, self.config, on_article=self.on_article)
        try:
            while not self._stop.is_set():
                due = self.store.feeds(due_before=now_utc())
                if due:
                    try:
                        report = await pipeline.run_pass(due)
                        log.info(
                            "pass done: %s new, %s failed feeds",
                            report.articles_new,
                            report.feeds_failed,
                        )
                    except Exception:  # the poller must outlive any one pass
                        log.exception("pass failed")
                    self.passes += 1
                await deliver_round(self.store, self.config)
                await asyncio.to_thread(self._stop.wait, self._sleep_seconds())
        finally:
            pipeline.close()

    def _sleep_seconds(self) -> float:
        upcoming = [f.next_check_at for f in self.store.feeds() if f.next_check_at]
        delivery = self.store.next_delivery_at()
        if delivery is not None:
            upcoming.append(delivery)
        if not upcoming:
            return MIN_SLEEP
        wait = (min(upcoming) - now_utc()) / timedelta(seconds=1)
        return max(MIN_SLEEP, min(wait, float(self.config["TAGWIRE_POLL_INTERVAL"])))
