"""``tagwire serve``: the web app and API on a port bound first, polling the sources unless
told not to, with live updates in-process or through Redis.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
from typing import Any

from tagwire import __version__, config, sources
from tagwire.cli.arguments import DB_HELP, EXIT_ERROR, Commands, tcp_port
from tagwire.cli.database import open_store, shown
from tagwire.errors import TagwireError
from tagwire.store import Store


def add_serve(sub: Commands) -> None:
    serve = sub.add_parser(
        "serve",
        help="the web app and API, polling sources",
        description="Serve the web pages, the JSON API (/api/v1, docs at "
        "/docs) and Atom feeds; poll every enabled source in the background "
        "unless --no-poll.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=tcp_port, default=8000, help="port to listen on (8000)")
    serve.add_argument("--db", metavar="URL", help=DB_HELP)
    serve.add_argument(
        "--sources", metavar="FILE", help="add/update this sources file's sources before serving"
    )
    serve.add_argument("--no-poll", action="store_true", help="serve only; do not poll")
    serve.set_defaults(handler=_serve)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, bound before the server says it serves; an address
    that cannot be bound (in use, not this machine's, a name that does not resolve) is a
    one-line error. Bound as uvicorn binds its own (SO_REUSEADDR, IPv6 for an address
    with a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except (OSError, OverflowError) as error:
        sock.close()
        reason = getattr(error, "strerror", None) or str(error)
        raise TagwireError(f"cannot listen on {host}:{port}: {reason}") from error
    return sock


def _serve(args: argparse.Namespace, settings: config.Config) -> int:
    import uvicorn

    from tagwire.web.app import create_app
    from tagwire.web.live import Broadcaster
    from tagwire.web.server import PROTOCOL
    from tagwire.workers.scheduler import Poller

    # The port first: a busy or invalid address is one line before anything is printed
    # (uvicorn would print its own error after "serving", or wait on a bad port).
    listener = _listen(args.host, args.port)
    try:
        store = open_store(settings.database_url)
    except BaseException:
        listener.close()
        raise
    try:
        if args.sources:
            store.upsert_sources(sources.load(args.sources))
        live = Broadcaster()
        on_article, relay = _live_updates(store, settings, live)
        poller = None if args.no_poll else Poller(store, settings, on_article=on_article)
        jobs = [job for job in (relay, poller) if job is not None]

        def start() -> None:
            for job in jobs:
                job.start()

        def stop() -> None:
            for job in reversed(jobs):
                job.stop()

        app = create_app(store, on_start=start, on_stop=stop, settings=settings, live=live)
        print(
            f"tagwire {__version__} serving http://{args.host}:{args.port}/ "
            f"(database {shown(settings.database_url)}; "
            f"polling {'off' if args.no_poll else 'on'})",
            flush=True,
        )
        # tagwire's protocol: TCP_NODELAY on every connection, whatever socket uvicorn binds
        server = uvicorn.Server(
            uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", http=PROTOCOL)
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: a normal stop, as uvicorn.run
            server.run(sockets=[listener])
    finally:
        listener.close()
        store.close()
    if not server.started:  # the app's startup failed; uvicorn logged why
        return EXIT_ERROR
    return 0


def _live_updates(store: Store, settings: config.Config, live: Any) -> tuple[Any, Any]:
    """The poller's hook for new articles, and the relay that feeds this process's
    broadcaster: in-process alone; through Redis when TAGWIRE_REDIS_URL is set, so that
    every web process sees the articles any process stores."""
    from tagwire.announce import redis_announcer
    from tagwire.web.live import RedisRelay, article_publisher

    publish = article_publisher(store, live)
    url = settings["TAGWIRE_REDIS_URL"]
    if not url:
        return publish, None
    import redis

    prefix = str(settings["TAGWIRE_REDIS_PREFIX"])
    announce = redis_announcer(redis.Redis.from_url(str(url)), prefix)
    return announce, RedisRelay(str(url), prefix, publish)
