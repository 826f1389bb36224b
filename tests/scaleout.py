"""Helpers for the scale-out tests: the shared Redis under a key prefix of the test's own,
`tagwire worker` processes, and a loopback publisher whose pages the test controls."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from conftest import LoopbackServer, Reply, until

REDIS_URL = os.environ.get("TAGWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")

# Words for article texts that no two articles share by chance (near-duplicate detection
# would fold them otherwise): each article draws its own sequence.
_WORDS = (
    "harbour council budget river election school bridge farmers hospital railway court "
    "festival museum storm tariff airport union factory drought library mayor vaccine "
    "orchestra ferry minister senate border coalition pension glacier vineyard reactor "
    "satellite carnival refinery monastery lighthouse quarry tunnel observatory canal"
).split()


@dataclass
class RedisSpace:
    """A Redis URL and a key prefix no other test run uses; every key removed after."""

    url: str
    prefix: str
    client: Any

    def key_names(self) -> list[str]:
        return [k.decode() for k in self.client.scan_iter(match=self.prefix + "*", count=1000)]


def redis_space() -> Iterator[RedisSpace]:
    try:
        import redis
    except ImportError:
        pytest.skip("redis is not installed (pip install 'tagwire[workers]')")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not available: {exc}")
    space = RedisSpace(REDIS_URL, f"tagwire-test-{uuid.uuid4().hex[:10]}:", client)
    try:
        yield space
    finally:
        for key in space.key_names():
            client.delete(key)
        client.close()


def worker_env(database_url: str, space: RedisSpace, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGWIRE_")}
    env.update(
        TAGWIRE_DATABASE_URL=database_url,
        TAGWIRE_REDIS_URL=space.url,
        TAGWIRE_REDIS_PREFIX=space.prefix,
        TAGWIRE_ALLOWED_HOSTS="127.0.0.1",
        TAGWIRE_HOST_DELAY="0",
        TAGWIRE_VISIBILITY_TIMEOUT="3",
        TAGWIRE_TIMEOUT="5",
    )
    env.update(extra)
    return env


def settings(env: Mapping[str, str]) -> Any:
    from tagwire import config

    return config.load({k: v for k, v in env.items() if k.startswith("TAGWIRE_")})


class Worker:
    """A `tagwire worker` process (solo pool: the process that runs the tasks is the one
    a test can kill)."""

    def __init__(self, env: Mapping[str, str], log: Path, *args: str) -> None:
        self.log = log
        self._out = log.open("ab")
        command = [sys.executable, "-m", "tagwire.cli", "-v", "worker", "--pool=solo", *args]
        self.process = subprocess.Popen(
            command, env=dict(env), stdout=self._out, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        """kill -9: no chance to finish, acknowledge or give anything back."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Publisher:
    """A loopback site: one RSS feed of ``count`` articles, each page a distinct text.
    ``hold`` paths wait for ``release`` before answering (a task caught mid-fetch)."""

    server: LoopbackServer
    count: int
    hold: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    hits: list[tuple[float, str, str]] = field(default_factory=list)  # time, path, user agent
    delay: float = 0.0  # seconds each answer takes (a publisher far away)

    def __post_init__(self) -> None:
        self.server.routes["/feed.xml"] = self._route(self._feed)
        for n in range(self.count):
            self.server.routes[f"/a/{n}"] = self._route(lambda n=n: self._page(n))

    @property
    def feed_url(self) -> str:
        return self.server.url("/feed.xml")

    def urls(self) -> list[str]:
        return [self.server.url(f"/a/{n}") for n in range(self.count)]

    def page_hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.hits if p == path)

    def _route(self, make: Any) -> Any:
        def route(handler: BaseHTTPRequestHandler) -> Reply:
            self.hits.append((time.monotonic(), handler.path, handler.headers["User-Agent"]))
            if handler.path in self.hold:
                self.release.wait(30)
            elif self.delay:
                time.sleep(self.delay)
            reply: Reply = make()
            return reply

        return route

    def _feed(self) -> Reply:
        items = "".join(
            f"<item><title>{title(n)}</title><link>{self.server.url(f'/a/{n}')}</link>"
            f"<description>{title(n)}.</description></item>"
            for n in range(self.count)
        )
        body = f"<rss version='2.0'><channel><title>Loopback Times</title>{items}</channel></rss>"
        return Reply(200, body.encode(), {"Content-Type": "application/rss+xml", "ETag": '"v1"'})

    def _page(self, n: int) -> Reply:
        html = (
            f"<html><head><title>{title(n)}</title></head><body><article><h1>{title(n)}</h1>"
            + "".join(f"<p>{paragraph(n, k)}</p>" for k in range(4))
            + "</article></body></html>"
        )
        return Reply(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


def title(n: int) -> str:
    return f"Report {n}: " + " ".join(_WORDS[(n * 7 + k * 3) % len(_WORDS)] for k in range(4))


def paragraph(n: int, k: int) -> str:
    words = random.Random(n * 100 + k).choices(_WORDS, k=40)
    return f"In Oslo on day {n}, Maria Olsen said: " + " ".join(words) + f" ({n}-{k})."


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary folder owned by the postgres
    user, on another port: a test may stop and restart it (never the shared one)."""

    def __init__(self) -> None:
        import glob
        import shutil
        import tempfile

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins or os.geteuid() != 0 or not shutil.which("runuser"):
            pytest.skip("a private PostgreSQL needs root, runuser and /usr/lib/postgresql/*/bin")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="tagwire-pg-", dir="/tmp"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        self.start()

    def _as_postgres(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "server.log")
        self._as_postgres(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        import shutil

        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of the test's own on another port, writing an append-only file (as a
    deployment that must not lose queued tasks does), so it can be restarted."""

    def __init__(self) -> None:
        import shutil
        import tempfile

        if not shutil.which("redis-server"):
            pytest.skip("a private Redis needs redis-server (apt install redis-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="tagwire-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.dir), "--appendonly", "yes", "--save", ""]
        with (self.dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False

        until(answers, timeout=20)
        client.close()

    def stop(self) -> None:
        """SIGTERM: Redis writes its append-only file and exits, as on a restart."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def close(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
