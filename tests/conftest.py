"""Shared fixtures: a programmable loopback HTTP server and the path of the evaluation data."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tagwire.demo.site import PublisherSite
    from tagwire.store import Store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(name: str) -> Path:
    """A folder of ../shared/data, or a skip that says why it is missing."""
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"evaluation data {path} is absent (it lives beside the repository)")
    return path


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[BaseHTTPRequestHandler], Reply]


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 whose answers the test decides, path by path."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route | Reply] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.posts: list[tuple[str, dict[str, str], bytes]] = []  # path, headers, body
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(self.path.split("?")[0])
                reply = route(self) if callable(route) else route or Reply(404, b"not found")
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.posts.append(
                    (self.path, dict(self.headers.items()), self.rfile.read(length))
                )
                self.do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class RawServer:
    """A TCP server on 127.0.0.1 that hands each connection to ``serve`` (in a thread of its
    own): for servers no HTTP library would write, such as one that never answers."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._serve = serve
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client gave up, as it should
            self._serve(conn)

    @property
    def stopping(self) -> threading.Event:
        return self._stop

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


POSTGRES_ADMIN = os.environ.get("TAGWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped after), or a skip saying why."""
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'tagwire[postgres]')")
    name = f"tagwire_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(
            f"{POSTGRES_ADMIN}/postgres", autocommit=True, connect_timeout=5
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN} is not available: {exc}")
    try:
        yield f"{POSTGRES_ADMIN}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store, once on a SQLite file and once on a fresh PostgreSQL database."""
    from tagwire.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = Store(url)
    yield store
    store.close()


def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a server-side state (listening, subscribed), failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the server never got there"
        time.sleep(0.01)


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """A real uvicorn server for ``app`` on a free loopback port; yields its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # An event stream a test left open would hold a graceful shutdown for ever: cut it off.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    until(lambda: bool(server.started))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def site() -> Iterator[PublisherSite]:
    """The fictional publisher site of ``make demo`` on a free loopback port (test_browser
    has a ``site`` of its own: tagwire serving the demo, which it overrides this with)."""
    from tagwire.demo.site import PublisherSite

    server = PublisherSite(port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()
