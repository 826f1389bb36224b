"""Per-host politeness shared by every process through Redis (``TAGWIRE_REDIS_URL``).

With several workers on several machines, the in-process :class:`tagwire.fetch.politeness.HostGate`
would let each of them hit a publisher at its own pace. Here the two rules live in Redis:

- at most N requests at once to a host: a sorted set of leases (holder -> lease end). A
  lease ends when the request does, or by itself after ``lease`` seconds, so a worker killed
  mid-request frees its slot without anyone cleaning up;
- a delay between two request starts: the host's next allowed start time. Each request
  *reserves* the next start (max(now, next)) and moves it on by the delay in one step, so
  no two requests ever share a start, however many processes ask at once.

Both are Lua scripts timed by Redis's own clock (``TIME``), so the processes' clocks do not
matter. When Redis cannot be reached, a request waits on the process's own gate instead:
politeness per process for a while rather than no fetching at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tagwire.fetch.politeness import HostGate

log = logging.getLogger("tagwire.fetch.politeness")
POLL_SECONDS = 0.05  # between two tries for a busy host's slot (plus jitter)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS[1]: the host's leases; ARGV: holder, limit, lease (ms). 1 when the slot is taken.
ACQUIRE = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
"""
)

# KEYS[1]: the host's next allowed start (ms); ARGV[1]: delay (ms). Returns ms to wait.
RESERVE = (
    _NOW_MS
    + """
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], after, 'PX', after - now + 60000)
return start - now
"""
)


class RedisHostGate:
    """The :class:`tagwire.fetch.politeness.Gate` of a process that shares its hosts with others."""

    def __init__(
        self,
        url: str,
        prefix: str,
        concurrency: int,
        delay: float,
        lease: float,
        fallback: HostGate,
    ) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix
        self._concurrency = max(1, concurrency)
        self._delay = max(0.0, delay)
        self._lease_ms = int(lease * 1000)
        self._slower: dict[str, float] = {}
        self._fallback = fallback
        self._acquire = self._redis.register_script(ACQUIRE)
        self._reserve = self._redis.register_script(RESERVE)

    def slow_down(self, host: str, delay: float) -> None:
        # Each process reads robots.txt itself, so each learns the Crawl-delay itself too.
        self._fallback.slow_down(host, delay)
        if delay > self._delay:
            self._slower[host] = delay

    @asynccontextmanager
    async def slot(self, host: str, polite: bool = True) -> AsyncIterator[None]:
        holder = uuid.uuid4().hex
        try:
            await self._take(host, holder, polite)
        except REDIS_DOWN as exc:
            log.warning("redis unreachable, politeness per process for host=%s: %s", host, exc)
            async with self._fallback.slot(host, polite):
                yield
            return
        try:
            yield
        finally:
            await self._give_back(host, holder)

    async def _take(self, host: str, holder: str, polite: bool) -> None:
        leases = f"{self._prefix}host:{host}:leases"
        # Polled, not notified: a slot can also come free by a lease running out, which no
        # process announces. A busy host costs one small script call per POLL_SECONDS.
        args: list[str | int] = [holder, self._concurrency, self._lease_ms]
        while not await self._acquire(keys=[leases], args=args):  # noqa: ASYNC110
            await asyncio.sleep(POLL_SECONDS * (1 + random.random()))
        delay = self._slower.get(host, self._delay) if polite else 0.0
        if delay:
            wait_ms = await self._reserve(
                keys=[f"{self._prefix}host:{host}:next"], args=[int(delay * 1000)]
            )
            if int(wait_ms) > 0:
                await asyncio.sleep(int(wait_ms) / 1000)

    async def _give_back(self, host: str, holder: str) -> None:
        with contextlib.suppress(*REDIS_DOWN):  # the lease then ends by itself
            await self._redis.zrem(f"{self._prefix}host:{host}:leases", holder)

    async def aclose(self) -> None:
        await self._redis.aclose()
