"""The scheduler of a scaled-out installation: queues a poll task for each due feed.

Run as ``tagwire scheduler`` (or inside a worker: ``tagwire worker --beat``); any number
may run, and two never poll a feed twice for one due time:

- one leads: a Redis key with a lease (``{prefix}scheduler:leader``), renewed at every tick
  by its holder and taken over by another only once it has expired (the leader died);
- a due feed is queued only with its claim (``{prefix}poll:{feed}``, SET NX with an expiry):
  the poll task deletes it once the feed's next check is stored, so a feed still waiting
  in the queue is not queued again however many ticks pass. A claim whose poll was lost
  (the broker lost its data) ends by itself after ``claim_seconds``.

The leader also sends the webhook deliveries that are due, as ``tagwire serve`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from datetime import timedelta
from typing import Any

import redis.exceptions
import sqlalchemy.exc

from tagwire.config import Config
from tagwire.store import Store
from tagwire.types import now_utc
from tagwire.webhooks import deliver_round
from tagwire.workers.queue import TaskQueue
from tagwire.workers.tasks import poll_claim

log = logging.getLogger("tagwire.scheduler")

# KEYS[1]: the leader key; ARGV: this scheduler's token, lease (ms). 1 while it leads.
LEAD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
RESIGN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
DOWN = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
)


class Scheduler:
    def __init__(
        self,
        store: Store,
        config: Config,
        queue: TaskQueue,
        client: Any,  # redis.Redis
        tick_seconds: float = 5.0,
        claim_seconds: float = 600.0,
        lease_seconds: float = 15.0,
    ) -> None:
        self.store = store
        self.config = config
        self.queue = queue
        self.redis = client
        self.prefix = str(config["TAGWIRE_REDIS_PREFIX"])
        self.token = uuid.uuid4().hex
        self.tick_seconds = tick_seconds
        self.claim_seconds = claim_seconds
        # Renewed every tick; at least three ticks long, so that one slow tick (a long
        # database query) does not hand the lead over while its holder is alive.
        self.lease_ms = int(max(3 * tick_seconds, lease_seconds) * 1000)
        self._lead = client.register_script(LEAD)
        self._resign = client.register_script(RESIGN)

    @property
    def leader_key(self) -> str:
        return f"{self.prefix}scheduler:leader"

    def leads(self) -> bool:
        return bool(self._lead(keys=[self.leader_key], args=[self.token, self.lease_ms]))

    def tick(self) -> int:
        """Queue every due feed that is not claimed yet, if this scheduler leads; returns
        how many were queued."""
        if not self.leads():
            return 0
        queued = 0
        for feed in self.store.feeds(due_before=now_utc()):
            key = poll_claim(self.prefix, feed.id)
            # Claimed before it is queued: a scheduler killed between the two delays this
            # feed by claim_seconds, where the other order could poll it twice.
            if not self.redis.set(key, self.token, nx=True, ex=int(self.claim_seconds)):
                continue
            try:
                self.queue.poll_feed(feed.id, feed.source_id)
            except Exception:
                self.redis.delete(key)  # not queued: the next tick tries again
                raise
            queued += 1
        return queued

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; a database or Redis outage is waited out."""
        try:
            while not stop.is_set():
                try:
                    queued = self.tick()
                    if queued:
                        log.info("queued %s due feeds", queued)
                    if self.leads():
                        asyncio.run(deliver_round(self.store, self.config))
                except DOWN as exc:
                    log.warning("scheduler cannot reach a service, next try soon: %s", exc)
                stop.wait(self._sleep_seconds())
        finally:
            self.resign()

    def resign(self) -> None:
        with contextlib.suppress(*DOWN):  # else the lease ends by itself
            self._resign(keys=[self.leader_key], args=[self.token])

    def _sleep_seconds(self) -> float:
        try:
            upcoming = [f.next_check_at for f in self.store.feeds() if f.next_check_at]
        except DOWN:
            return self.tick_seconds
        if not upcoming:
            return self.tick_seconds
        wait = (min(upcoming) - now_utc()) / timedelta(seconds=1)
        # Due already: queued (or claimed) by this tick; no need to look again at once.
        return self.tick_seconds if wait <= 0 else min(wait, self.tick_seconds)
