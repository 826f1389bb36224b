"""HTTP behaviour shared by the API, pages and feeds: validators and caching, CORS,
request metrics, security headers, load shedding. Middlewares in one place so that every
route gets them."""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import deque

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tagwire.metrics import REQUEST_SECONDS, REQUESTS_SHED

CACHE_SECONDS = 15  # lists change as articles arrive: a short freshness, then revalidate

# Scripts, styles, images and fetches from tagwire itself only (card images come through
# /img/{id}); no inline script, style or handler; no plugins; forms post to tagwire; no
# framing (clickjacking). A response that sets its own policy (/docs: the hash of its one
# inline script) keeps it.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Links to publishers leave with no Referer: what a reader reads on a self-hosted tagwire
# (and its address) is theirs. Same for card images, which go through tagwire anyway.
REFERRER_POLICY = "no-referrer"
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", REFERRER_POLICY.encode()),
)


class Validators:
    """A strong ETag on every successful GET of the API, pages and feeds (a hash of the
    body), 304 when the client already has it, and Cache-Control."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or _uncached(scope["path"]):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                if start["status"] != 200:
                    await send(message)
                return
            if start.get("status") != 200:
                await send(message)
                return
            body.append(message.get("body", b""))
            if not message.get("more_body", False):
                await _validated(start, b"".join(body), scope, send)

        await self.app(scope, receive, hold)


async def _validated(start: Message, body: bytes, scope: Scope, send: Send) -> None:
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["etag"] = etag
    headers["content-length"] = str(len(body))
    if "cache-control" not in headers:
        headers["cache-control"] = f"public, max-age={CACHE_SECONDS}"
    await send_validated(headers.raw, body, etag, Headers(scope=scope), send)


async def send_validated(
    headers: list[tuple[bytes, bytes]], body: bytes, etag: str, request: Headers, send: Send
) -> None:
    """A 200 with ``body``, or a 304 when the request's If-None-Match names ``etag``."""
    if etag in etags(request.get("if-none-match", "")):
        kept = [(k, v) for k, v in headers if k in (b"etag", b"cache-control", b"vary")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Timing:
    """Request latency by route template, method and status (Prometheus)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, note)
        finally:
            REQUEST_SECONDS.labels(_route(scope), scope["method"], str(status)).observe(
                time.perf_counter() - started
            )


def _uncached(path: str) -> bool:
    return path.startswith(("/metrics", "/healthz", "/static", "/docs", "/openapi")) or (
        path.endswith("/live")
    )


def etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _route(scope: Scope) -> str:
    """The route's template ("/api/v1/tags/{tag}"), never the raw path: a label per tag
    would grow without end. The router leaves the matched route in the scope."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class SecurityHeaders:
    """Content-Security-Policy, X-Content-Type-Options and Referrer-Policy on every answer
    (pages, API, feeds, static files, errors, cache hits and 304s)."""

    def __init__(self, app: ASGIApp, policy: str = CONTENT_SECURITY_POLICY) -> None:
        self.app = app
        self.policy = (b"content-security-policy", policy.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append(self.policy)
                headers += SECURITY_HEADERS
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add)


RETRY_AFTER_SECONDS = 1
# After a request waited in vain for a slot the line is not draining (an overload, not a
# burst): for this long, requests past the bound are shed at once rather than queued, so
# that under a sustained overload few admitted requests have waited (docs/decisions.md,
# "Load shedding").
HOLD = 1.0
# While it holds, at most this many requests are computed at once: in a standing overload the
# cores are full, and two computing threads of a process share its GIL (and the event loop's
# turn), so each takes about twice as long (docs/benchmarks.md, "Tag pages above capacity").
OVERLOAD_LIMIT = 1
_SHED_EXEMPT = ("/healthz", "/metrics")
_SHED_MESSAGE = "the server is at capacity; retry in a second"
_SHED_JSON = (
    b'{"error":{"status":503,"code":"service_unavailable","message":"'
    + _SHED_MESSAGE.encode()
    + b'"}}'
)
_SHED_HTML = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>503 — tagwire</title>"
    '<link rel="stylesheet" href="/static/tagwire.css"></head><body>'
    '<main id="content"><h1>503</h1><p>tagwire is busy: '
    + _SHED_MESSAGE
    + ".</p></main></body></html>\n"
).encode()


class LoadShedding:
    """At most ``limit`` requests computed at once in this process. A request that finds
    them all taken waits for one, first come first served, up to ``wait`` seconds; if none
    frees in time it is answered 503 with Retry-After (the JSON error shape under /api/ and
    for clients that do not ask for HTML, a short page for browsers). The short wait lets a
    burst of a few uncached requests queue instead of being shed. Once a request has waited
    in vain the line is not draining (an overload, not a burst), and for ``hold`` seconds
    requests past the bound are shed at once, and the bound is ``overload_limit`` (if
    smaller): under a sustained overload few admitted requests have waited, none waits more
    than ``wait``, and those admitted are computed one at a time rather than sharing the
    process's GIL (docs/decisions.md, "Load shedding").

    Card images (/img/, which mostly wait on the publisher's server) have their own bound,
    ``image_limit`` (default 4 x ``limit``), shed at once, so that one page's images do not
    shed its reader's next page. Not counted: /healthz and /metrics (a monitor must see an
    overloaded server), and event streams (long-lived, bounded by their own broadcaster).
    Installed inside the response cache, so its hits (cheap, computed once) are answered
    whatever the load. ``limit`` 0: no limit. ``wait`` None: the app's
    TAGWIRE_QUEUE_WAIT, read at the first request (the app's settings are in its state)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        image_limit: int | None = None,
        wait: float | None = None,
        hold: float = HOLD,
        overload_limit: int = OVERLOAD_LIMIT,
    ) -> None:
        self.app = app
        self.limit = limit
        self.overload_limit = min(limit, max(1, overload_limit))
        self.image_limit = 4 * limit if image_limit is None else image_limit
        self.wait = wait
        self.hold = hold
        self.expired = -math.inf  # when a request last waited in vain (loop time)
        self.in_flight = 0
        self.images_in_flight = 0
        self.waiting: deque[asyncio.Future[bool]] = deque()  # first come, first served
        self.queued = 0  # requests that waited for a slot and got one, since start
        self.shed = 0  # requests answered 503 since start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or unshed(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/img/"):
            await self._images(scope, receive, send)
            return
        if self.in_flight < self._bound():
            self.in_flight += 1
        elif not await self._turn(scope):
            self.shed += 1
            REQUESTS_SHED.inc()
            await _shed(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._release()

    def _bound(self) -> int:
        """``limit``, or ``overload_limit`` while the hold after a wait in vain lasts."""
        if self.expired == -math.inf:
            return self.limit
        holding = asyncio.get_running_loop().time() - self.expired < self.hold
        return self.overload_limit if holding else self.limit

    async def _turn(self, scope: Scope) -> bool:
        """Wait in line for a slot, up to ``wait`` seconds: True when a finishing request
        handed its slot over (``in_flight`` already counts it), False when time ran out."""
        if self.wait is None:
            settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
            self.wait = float(settings["TAGWIRE_QUEUE_WAIT"]) if settings else 0.0
        loop = asyncio.get_running_loop()
        if self.wait <= 0 or loop.time() - self.expired < self.hold:
            return False
        turn: asyncio.Future[bool] = loop.create_future()
        self.waiting.append(turn)
        timer = loop.call_later(self.wait, self._expire, turn)
        try:
            admitted = await turn
        except asyncio.CancelledError:
            # The request's task was cancelled (the server shutting down): a slot handed
            # over meanwhile passes on, and the line forgets it.
            if turn.done() and not turn.cancelled() and turn.result():
                self._release()
            elif turn in self.waiting:
                self.waiting.remove(turn)
            raise
        finally:
            timer.cancel()
        self.queued += admitted
        return admitted

    def _expire(self, turn: asyncio.Future[bool]) -> None:
        if not turn.done():
            turn.set_result(False)
            self.waiting.remove(turn)
            self.expired = asyncio.get_running_loop().time()

    def _release(self) -> None:
        """A computed request's slot goes to the longest waiting request, else is free (a
        slot above the bound of an overload is not handed on)."""
        while self.waiting and self.in_flight <= self._bound():
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(True)
                return
        self.in_flight -= 1

    async def _images(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.images_in_flight >= self.image_limit:
            self.shed += 1
            REQUESTS_SHED.inc()
            await _shed(scope, send)
            return
        self.images_in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.images_in_flight -= 1


def unshed(path: str) -> bool:
    """Never shed: a monitor must see an overloaded server; event streams are long-lived."""
    return path.startswith(_SHED_EXEMPT) or path.endswith("/live")


async def shed_outside_the_app(scope: Scope, send: Send) -> None:
    """The 503 that ``LoadShedding`` sends, for a request answered before the app (and its
    middlewares) saw it: by the HTTP protocol, which sheds requests that waited too long
    (``tagwire.web.server``). It carries the security headers that middleware would add."""
    REQUESTS_SHED.inc()
    extra = [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()), *SECURITY_HEADERS]
    await _shed(scope, send, extra)


async def _shed(scope: Scope, send: Send, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    path: str = scope["path"]
    accept = Headers(scope=scope).get("accept", "")
    html = not path.startswith("/api/") and "text/html" in accept
    body = _SHED_HTML if html else _SHED_JSON
    kind = b"text/html; charset=utf-8" if html else b"application/json"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        (b"cache-control", b"no-store"),
        *(extra or ()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""})
