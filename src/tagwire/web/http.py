"""HTTP behaviour shared by the API, pages and feeds: validators and caching, CORS,
request metrics. Middlewares in one place so that every route gets them."""

from __future__ import annotations

import hashlib
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tagwire.metrics import REQUEST_SECONDS

CACHE_SECONDS = 15  # lists change as articles arrive: a short freshness, then revalidate


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
