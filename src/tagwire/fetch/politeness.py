"""Per-host politeness of one process: at most N requests at once to a host, and a delay
between their starts (``TAGWIRE_HOST_CONCURRENCY``, ``TAGWIRE_HOST_DELAY``, a longer
Crawl-delay from robots.txt). ``fetch.client.make_gate`` chooses this gate, or the one that every
process shares through Redis (``tagwire.fetch.redis_politeness``), which falls back to this one
when Redis cannot be reached. Apart from ``client.py`` so that the Redis gate can use it
without importing the fetcher (the two imported each other).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class HostGate:
    """Per-host politeness: at most N requests at once, and a delay between their starts."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self._concurrency = max(1, concurrency)
        self._delay = max(0.0, delay)
        self._slower: dict[str, float] = {}  # hosts whose robots.txt asks for a longer delay
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def slow_down(self, host: str, delay: float) -> None:
        if delay > self._delay:
            self._slower[host] = delay

    async def __call__(self, host: str, polite: bool = True) -> asyncio.Semaphore:
        """Wait for a slot on ``host`` (and, when ``polite``, for the delay since the last
        request there). robots.txt is read without the delay: it is the request that tells
        the delay, and making a host's first real request wait a delay after it doubled the
        time of a first pass (bench/polling.py)."""
        semaphore = self._semaphores.setdefault(host, asyncio.Semaphore(self._concurrency))
        await semaphore.acquire()
        delay = self._slower.get(host, self._delay) if polite else 0.0
        if delay:
            lock = self._locks.setdefault(host, asyncio.Lock())
            async with lock:
                wait = self._next_start.get(host, 0.0) - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start[host] = time.monotonic() + delay
        return semaphore

    @asynccontextmanager
    async def slot(self, host: str, polite: bool = True) -> AsyncIterator[None]:
        semaphore = await self(host, polite)
        try:
            yield
        finally:
            semaphore.release()

    async def aclose(self) -> None:
        pass


class Gate(Protocol):
    """Politeness per host: this process's :class:`HostGate`, or one shared by every
    process through Redis (``tagwire.fetch.redis_politeness``) when ``TAGWIRE_REDIS_URL`` is set."""

    def slow_down(self, host: str, delay: float) -> None: ...

    def slot(self, host: str, polite: bool = True) -> AbstractAsyncContextManager[None]: ...

    async def aclose(self) -> None: ...
