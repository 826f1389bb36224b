"""The FastAPI application: pages, API, errors in one JSON shape, /healthz."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tagwire import __version__, config
from tagwire.config import Config
from tagwire.errors import BadRequest, FeedError, FetchError, NotFound
from tagwire.fetch.robots import RobotsCache
from tagwire.metrics import REGISTRY
from tagwire.store import Store
from tagwire.web import api, http, pages
from tagwire.web.cache import CacheMiddleware, ResponseCache, reader_locale
from tagwire.web.live import Broadcaster
from tagwire.web.pages import docs, rendering

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "unprocessable",
    500: "internal_error",
}


def create_app(
    store: Store,
    on_start: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
    settings: Config | None = None,
    live: Broadcaster | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if on_start:
            on_start()
        # What is loaded by now (modules, templates, locale data: ~10^5 objects) lives as
        # long as the process: out of the collector's sight, so that a full collection
        # stops requests for far less than the tens of ms it took (bench/load.py profile).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if on_stop:
                on_stop()

    app = FastAPI(
        title="tagwire",
        version=__version__,
        lifespan=lifespan,
        description="Latest news by hashtag: people, organisations and places.",
        docs_url=None,  # pages.docs.api_docs: Swagger UI from its package, not from a CDN
        redoc_url=None,
    )
    app.state.store = store
    # Defaults, not the environment, unless the caller passes settings (serve does).
    app.state.settings = settings if settings is not None else config.load({})
    app.state.robots = RobotsCache()  # for discovery when a source is added through the API
    app.state.live = live or Broadcaster()  # new articles to open pages (server-sent events)

    install_middlewares(app, store)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    docs.install_docs(app)
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "counts": store.counts()}

    app.add_exception_handler(NotFound, _handler(404))
    app.add_exception_handler(BadRequest, _handler(400))
    # A site that cannot be fetched or has no feed, when a source is added.
    app.add_exception_handler(FeedError, _handler(422))
    app.add_exception_handler(FetchError, _handler(422))
    app.add_exception_handler(RequestValidationError, _handler(400))
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    _exact_openapi(app)
    return app


def install_middlewares(app: FastAPI, store: Store) -> None:
    """Outermost first: security headers, CORS (per request, so also on cached answers),
    request metrics, the response cache, load shedding (inside the cache: its hits are
    answered whatever the load), validators, the reader's locale. Plain ASGI middlewares:
    Starlette's ``BaseHTTPMiddleware`` costs a task group and memory streams per request
    and layer."""
    settings = app.state.settings
    locale = str(settings["TAGWIRE_LOCALE"])
    app.add_middleware(ReaderLocale, default=locale)
    app.add_middleware(http.Validators)
    app.add_middleware(http.LoadShedding, limit=int(settings["TAGWIRE_MAX_IN_FLIGHT"]))
    seconds = float(settings["TAGWIRE_CACHE_SECONDS"])
    if seconds > 0:
        app.state.cache = ResponseCache(store, seconds)
        app.add_middleware(CacheMiddleware, cache=app.state.cache, default_locale=locale)
    app.add_middleware(HeadAsGet)
    app.add_middleware(http.Timing)
    if settings["TAGWIRE_CORS_ORIGINS"]:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings["TAGWIRE_CORS_ORIGINS"]),
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["If-None-Match", "Authorization", "Content-Type"],
            expose_headers=["ETag"],
            max_age=600,
        )
    app.add_middleware(http.SecurityHeaders)


class ReaderLocale:
    """The locale of the page's dates: the browser's Accept-Language, else the setting."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = Headers(scope=scope).get("accept-language", "")
            rendering.LOCALE.set(reader_locale(header, self.default))
        await self.app(scope, receive, send)


class HeadAsGet:
    """HEAD wherever GET works (RFC 9110 9.3.2): the GET's status and headers (ETag,
    Content-Length, Cache-Control, a 304 for a matching If-None-Match), no body. FastAPI
    routes answer only the methods they declare, so every page and feed answered HEAD with a
    405. An event stream ends once its headers are sent: the app sees the client gone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def head_receive() -> Message:
            if done:
                return {"type": "http.disconnect"}
            return await receive()

        async def head_send(message: Message) -> None:
            nonlocal done
            if done or message["type"] != "http.response.start":
                return  # the body (and anything after the headers) never leaves
            await send(message)
            await send({"type": "http.response.body", "body": b""})
            done = True

        await self.app(dict(scope, method="GET"), head_receive, head_send)


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    code = _CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(
            {"error": {"status": status, "code": code, "message": message}},
            status_code=status,
            headers=headers,
        )
    return rendering.templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message},
        status_code=status,
        headers=headers,
    )


def _handler(status: int) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, exc: Exception) -> Response:
        message = str(exc)
        if isinstance(exc, RequestValidationError):
            first = exc.errors()[0] if exc.errors() else {}
            where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("path", "query"))
            message = f"{where}: {first.get('msg', 'invalid request')}"
        return error_response(request, status, message)

    return handle


def _http_handler(request: Request, exc: Exception) -> Response:
    """Starlette's and the routes' HTTP errors in the error shape, with their headers
    (WWW-Authenticate on a 401); a 405 says in Allow every method the path answers."""
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail) if exc.status_code != 404 else "no such page"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request) or headers.get("Allow") or "GET, HEAD"
    return error_response(request, exc.status_code, message, headers)


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _allowed(request: Request) -> str:
    """Every method some route fully matches at the request's path (the router's 405 names
    only the first route's), and HEAD wherever GET is."""
    routes = request.app.router.routes
    methods = {
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _exact_openapi(app: FastAPI) -> None:
    """The description says what is sent: FastAPI documents a 422 "Validation Error" on every
    operation with parameters, but tagwire answers those with a 400 (the error shape, as
    each operation's responses say). A 422 an operation declares itself stays."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                auto = operation.get("responses", {}).get("422", {})
                if "HTTPValidationError" in str(auto.get("content", "")):
                    del operation["responses"]["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
