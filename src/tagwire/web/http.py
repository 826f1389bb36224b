"""HTTP behaviour shared by the API, pages and feeds: validators and caching, CORS,
request metrics. Middlewares in one place so that every route gets them."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from tagwire.metrics import REQUEST_SECONDS

Next = Callable[[Request], Awaitable[Response]]
CACHE_SECONDS = 15  # lists change as articles arrive: a short freshness, then revalidate


def install(app: FastAPI, cors_origins: tuple[str, ...]) -> None:
    @app.middleware("http")
    async def validators(request: Request, call_next: Next) -> Response:
        """A strong ETag on every successful GET of the API, pages and feeds (a hash of the
        body), 304 when the client already has it, and Cache-Control."""
        response = await call_next(request)
        if request.method != "GET" or response.status_code != 200 or _uncached(request):
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        headers = dict(response.headers)
        headers.pop("content-length", None)
        headers["etag"] = etag
        headers.setdefault("cache-control", f"public, max-age={CACHE_SECONDS}")
        if etag in _etags(request.headers.get("if-none-match", "")):
            kept = {k: v for k, v in headers.items() if k in ("etag", "cache-control", "vary")}
            return Response(status_code=304, headers=kept)
        return Response(body, status_code=200, headers=headers, media_type=response.media_type)

    @app.middleware("http")
    async def timing(request: Request, call_next: Next) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            REQUEST_SECONDS.labels(_route(request), request.method, str(status)).observe(
                time.perf_counter() - started
            )

    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["If-None-Match", "Authorization", "Content-Type"],
            expose_headers=["ETag"],
            max_age=600,
        )


def _uncached(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/metrics", "/healthz", "/static", "/docs", "/openapi")) or (
        path.endswith("/live")
    )


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _route(request: Request) -> str:
    """The route's template ("/api/v1/tags/{tag}"), never the raw path: a label per tag
    would grow without end. The router leaves the matched route in the scope."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"
