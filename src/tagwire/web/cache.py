"""A response cache in each web process: whole GET responses of the read side, kept until
what they show changes, and at most ``TAGWIRE_CACHE_SECONDS``.

Why our own: the ASGI caches on PyPI expire entries by time only (or cache function
results), so a page would lag a new article by the whole time to live. tagwire knows what
changed: every write that changes what pages show records a row in ``changes`` in its own
transaction (``store.write_base.record_change``) with the tags it touched. Before serving from
the cache, the middleware reads the changes committed since the last look (one indexed
query, ~0.1 ms) and drops the responses of those tags, and every response that is not about
one tag (home, editions, stories, search). So a reader sees a new article as soon as its
transaction commits, whichever process wrote it (the poller of ``tagwire serve``, ``tagwire
ingest`` beside it, workers); the time to live only bounds how old relative times ("5
minutes ago") and the aggregates beside a list (timeline, related tags) can get.

On PostgreSQL, concurrent writers can commit change ids out of order: ids skipped by a
newer visible one are asked for again until they appear (or for PENDING_SECONDS, after
which they were rolled back).

Answers say ``X-Cache: hit`` or ``miss``. Not cached: anything but GET, requests with
credentials, server-sent events, /metrics, /healthz, sources (their health changes with
every check), images, static files, the API documentation.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tagwire.metrics import CACHE_LOOKUPS
from tagwire.web.http import send_validated
from tagwire.web.pages import rendering as pages

if TYPE_CHECKING:
    from tagwire.store import Store

log = logging.getLogger("tagwire.cache")
MAX_BYTES = 64 * 1024 * 1024  # all entries of one process
MAX_ENTRY_BYTES = 1024 * 1024
PENDING_SECONDS = 60.0
_BYPASS_PREFIXES = (
    "/metrics",
    "/healthz",
    "/static",
    "/docs",
    "/redoc",
    "/openapi",
    "/img/",
    "/sources",
    "/api/v1/sources",
    "/api/v1/webhooks",
)

Key = tuple[str, bytes, str, str]  # path, query string, host, locale of HTML pages


class Unknown(Exception):
    """What changed cannot be read now: the request must go through."""


@dataclass(slots=True)
class Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    tag: int | None  # the tag the response lists (request.state.cache_tag), else None
    expires: float
    route: Any  # the matched route, for the request metrics of hits
    etag: str


class ResponseCache:
    """The entries of one process, least recently used first. Used from the event loop's
    thread only (the middleware), so without locks."""

    def __init__(self, store: Store, seconds: float, max_bytes: int = MAX_BYTES) -> None:
        self.store = store
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.epoch = 0  # bumped by every invalidation: a response computed across one is not kept
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self._feed = store.change_feed()
        self._last_change = self._feed.last()
        self._pending: dict[int, float] = {}  # change id -> when it was first missing

    def __len__(self) -> int:
        return len(self._entries)

    def sync(self) -> None:
        """Apply the changes committed since the last look. When the database cannot say
        (a restart), nothing kept can be trusted: all goes, and requests go through."""
        now = time.monotonic()
        try:
            changes = self._feed.after(self._last_change, list(self._pending))
        except Exception:  # any driver error: the pages answer it themselves
            log.warning("response cache: cannot read the changes log; emptied", exc_info=True)
            self.invalidate(None)
            raise Unknown from None
        for change_id, tags in changes:
            self._pending.pop(change_id, None)
            if change_id > self._last_change:
                skipped = range(max(self._last_change + 1, change_id - 1000), change_id)
                self._pending.update(dict.fromkeys(skipped, now))
                self._last_change = change_id
            self.invalidate(tags)
        for change_id, since in list(self._pending.items()):
            if now - since > PENDING_SECONDS:
                del self._pending[change_id]

    def invalidate(self, tags: tuple[int, ...] | None) -> None:
        """Drop the responses of these tags and those about no single tag; None: all."""
        self.epoch += 1
        if tags is None:
            self._entries.clear()
            self._bytes = 0
            return
        wanted = set(tags)
        for key in [k for k, e in self._entries.items() if e.tag is None or e.tag in wanted]:
            self._drop(key)

    def get(self, key: Key) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: Entry) -> None:
        if len(entry.body) > MAX_ENTRY_BYTES:
            return
        self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)


@lru_cache(maxsize=4096)
def reader_locale(accept_language: str, default: str) -> str:
    """``web.pages.rendering.negotiate_locale``, remembered: browsers send few distinct headers, and
    Babel's negotiation costs ~0.2 ms."""
    return pages.negotiate_locale(accept_language, default)


class CacheMiddleware:
    """Serves hits (and 304s for them) before routing; keeps complete 200 responses."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, default_locale: str) -> None:
        self.app = app
        self.cache = cache
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = Headers(scope=scope)
        if (
            path.startswith(_BYPASS_PREFIXES)
            or path.endswith("/live")
            or "authorization" in headers
        ):
            await self.app(scope, receive, send)
            return
        try:
            self.cache.sync()
        except Unknown:
            await self.app(scope, receive, send)
            return
        locale = (
            ""
            if path.startswith("/api/")
            else reader_locale(headers.get("accept-language", ""), self.default_locale)
        )
        key: Key = (path, scope["query_string"], headers.get("host", ""), locale)
        entry = self.cache.get(key)
        if entry is not None:
            CACHE_LOOKUPS.labels("hit").inc()
            scope["route"] = entry.route
            await _replay(entry, headers, send)
            return
        CACHE_LOOKUPS.labels("miss").inc()
        await self._fill(key, scope, receive, send)

    async def _fill(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        epoch = self.cache.epoch
        start: Message = {}
        body: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                # A copy: outer middlewares (CORS) add this request's headers in place.
                start = {**message, "headers": list(message["headers"])}
                message["headers"] = [*message["headers"], (b"x-cache", b"miss")]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        if start.get("status") != 200 or self.cache.epoch != epoch:
            return  # an error, a 304, or a change landed while it was computed
        response_headers = Headers(raw=start["headers"])
        etag = response_headers.get("etag")
        if etag is None or "no-store" in response_headers.get("cache-control", ""):
            return  # only validated responses: a hit must answer If-None-Match as they do
        tag = scope.get("state", {}).get("cache_tag")
        self.cache.put(
            key,
            Entry(
                headers=[(k, v) for k, v in start["headers"] if k != b"content-length"],
                body=b"".join(body),
                tag=tag if isinstance(tag, int) else None,
                expires=time.monotonic() + self.cache.seconds,
                route=scope.get("route"),
                etag=etag,
            ),
        )


async def _replay(entry: Entry, request: Headers, send: Send) -> None:
    headers = [
        *entry.headers,
        (b"content-length", str(len(entry.body)).encode()),
        (b"x-cache", b"hit"),
    ]
    await send_validated(headers, entry.body, entry.etag, request, send)
