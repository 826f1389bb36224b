"""The publishers bench/polling.py polls: feeds on loopback hosts, served from a process
of their own (how and why: the docstring of bench/polling.py)."""

from __future__ import annotations

import asyncio
import email.utils
import resource
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

ITEMS = 10  # items per feed
CIDR = "127.1.0.0/16"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def host_address(index: int) -> str:
    """The loopback address of host ``index`` (127.1.0.1, 127.1.0.2, ...)."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


def item_url(host: str, port: int, feed: int, number: int) -> str:
    return f"http://{host}:{port}/a/{feed}/{number}.html"


# -- the publishers (server process) ----------------------------------------------------


class Publishers:
    """What the server answers: ``feeds`` feeds over ``hosts`` addresses, and its counts."""

    def __init__(self, hosts: int, feeds: int, port: int) -> None:
        self.hosts = hosts
        self.port = port
        self.versions = [0] * feeds
        self.bodies: dict[int, bytes] = {}
        self.host_index = {host_address(i): i for i in range(hosts)}
        self.status: dict[int, int] = {}
        self.connections = 0

    def etag(self, feed: int) -> str:
        return f'"f{feed}-v{self.versions[feed]}"'

    def change(self, feeds: Sequence[int]) -> None:
        for feed in feeds:
            self.versions[feed] += 1
            self.bodies.pop(feed, None)

    def body(self, feed: int) -> bytes:
        cached = self.bodies.get(feed)
        if cached is not None:
            return cached
        host = host_address(feed % self.hosts)
        first = self.versions[feed]
        items = []
        for number in reversed(range(first, first + ITEMS)):  # newest first
            url = item_url(host, self.port, feed, number)
            published = EPOCH + timedelta(hours=2 * number)
            items.append(
                "<item>"
                f"<title>Feed {feed}, story {number}: what happened today</title>"
                f"<link>{url}</link>"
                f'<guid isPermaLink="true">{url}</guid>'
                f"<description>Story {number} of feed {feed}, in a sentence or two, as "
                "publishers put them in their feeds.</description>"
                f"<pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate>"
                "</item>"
            )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Feed {feed}</title><link>http://{host}:{self.port}/</link>"
            f"<description>Bench publisher {feed % self.hosts}, feed {feed}</description>"
            + "".join(items)
            + "</channel></rss>"
        ).encode("utf-8")
        self.bodies[feed] = body
        return body

    def answer(self, address: str, target: str, if_none_match: str | None) -> bytes:
        """The whole HTTP response to a GET of ``target`` on ``address``."""
        path = target.split("?", 1)[0]
        feed = -1
        if path.startswith("/feeds/") and path.endswith(".xml"):
            number = path[len("/feeds/") : -len(".xml")]
            if number.isdigit() and int(number) < len(self.versions):
                feed = int(number)
        if feed >= 0 and feed % self.hosts == self.host_index.get(address, -1):
            etag = self.etag(feed)
            if if_none_match == etag:
                return self._reply(304, "Not Modified", b"", {"ETag": etag})
            headers = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}
            return self._reply(200, "OK", self.body(feed), headers)
        return self._reply(404, "Not Found", b"not found", {"Content-Type": "text/plain"})

    def _reply(self, status: int, phrase: str, body: bytes, headers: dict[str, str]) -> bytes:
        self.status[status] = self.status.get(status, 0) + 1
        lines = [f"HTTP/1.1 {status} {phrase}", *(f"{k}: {v}" for k, v in headers.items())]
        if status != 304:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        address = str(writer.get_extra_info("sockname")[0])
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    key, sep, value = line.partition(":")
                    if sep:
                        headers[key.strip().lower()] = value.strip()
                target = parts[1] if len(parts) == 3 else "/"
                writer.write(self.answer(address, target, headers.get("if-none-match")))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except OSError:
            pass
        finally:
            writer.close()

    def stats(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "status": dict(self.status),
            "connections": self.connections,
            "cpu": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
        }


def serve(control: Connection, hosts: int, feeds: int, port: int) -> None:
    """The server process: listen on ``port`` of every host address, obey ``control``."""
    asyncio.run(_serve(control, hosts, feeds, port))


async def _serve(control: Connection, hosts: int, feeds: int, port: int) -> None:
    publishers = Publishers(hosts, feeds, port)
    servers = []
    for start in range(0, hosts, 500):  # several addresses per call, few calls
        addresses = [host_address(i) for i in range(start, min(hosts, start + 500))]
        servers.append(
            await asyncio.start_server(
                publishers.handle, addresses, port, backlog=256, reuse_address=True
            )
        )
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()

    def on_command() -> None:
        command, argument = control.recv()
        if command == "change":
            publishers.change(argument)
            control.send(None)
        elif command == "stats":
            control.send(publishers.stats())
        else:
            stopped.set()

    loop.add_reader(control.fileno(), on_command)
    control.send("ready")
    await stopped.wait()
    loop.remove_reader(control.fileno())
    for server in servers:
        server.close()
    control.send(None)


def free_port() -> int:
    """A port free on 127.1.0.1 (the others are almost surely free too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host_address(0), 0))
        return int(probe.getsockname()[1])
