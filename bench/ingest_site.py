"""The publishers of bench/ingest.py: a loopback HTTP server that serves the benchmark's
pages and RSS feeds linking to them, and the TOML sources file naming them."""

from __future__ import annotations

import email.utils
import hashlib
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from bench.ingest_common import PUBLISHERS
from bench.ingest_floor import page_title
from bench.metrics import AebPage

# -- the publishers ---------------------------------------------------------------------


@dataclass
class Site:
    """What the loopback server answers: pages and feeds by path."""

    pages: dict[str, bytes]
    feeds: dict[str, bytes] = field(default_factory=dict)
    honour_etag: bool = True
    requests: int = 0
    not_modified: int = 0

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha1(self.feeds[path]).hexdigest()[:16] + '"'


def build_feeds(
    site: Site,
    base: str,
    pages: Sequence[AebPage],
    count: int,
    title: Callable[[AebPage], str] | None = None,
) -> list[str]:
    """RSS 2.0 feeds, page i in feed i % count, each item titled by ``title`` (default: the
    page's <title>); returns the feed paths."""
    title = title or page_title
    now = datetime.now(UTC)
    span = timedelta(hours=48)
    paths = [f"/feeds/{n}.xml" for n in range(count)]
    items: list[list[str]] = [[] for _ in range(count)]
    for i, page in enumerate(pages):
        published = now - span * (i + 0.5) / len(pages)
        summary = " ".join(page.gold.split()[:30]) + " …"
        items[i % count].append(
            "<item>"
            f"<title>{escape(title(page))}</title>"
            f"<link>{base}/p/{page.id}.html</link>"
            f'<guid isPermaLink="true">{base}/p/{page.id}.html</guid>'
            f"<description>{escape(summary)}</description>"
            f"<pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate>"
            "</item>"
        )
    for n, path in enumerate(paths):
        name = PUBLISHERS[n % len(PUBLISHERS)][0]
        site.feeds[path] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{name}</title><link>{base}/s/{n}/</link>"
            f"<description>{name}: latest news</description>"
            + "".join(items[n])
            + "</channel></rss>"
        ).encode("utf-8")
    return paths


def serve(site: Site) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real publishers

        def do_GET(self) -> None:
            site.requests += 1
            path = self.path.split("?", 1)[0]
            if path in site.feeds:
                etag = site.etag(path)
                if site.honour_etag and self.headers.get("If-None-Match") == etag:
                    site.not_modified += 1
                    self._reply(304, b"", {"ETag": etag})
                else:
                    headers = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}
                    self._reply(200, site.feeds[path], headers)
            elif path.startswith("/p/") and path[3:].removesuffix(".html") in site.pages:
                body = site.pages[path[3:].removesuffix(".html")]
                self._reply(200, body, {"Content-Type": "text/html; charset=utf-8"})
            else:
                self._reply(404, b"not found", {"Content-Type": "text/plain"})

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that left
                super().handle_error(request, client_address)  # type: ignore[arg-type]

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def write_sources(path: Path, base: str, feed_paths: Sequence[str]) -> None:
    lines = []
    for n, feed in enumerate(feed_paths):
        name, country, region = PUBLISHERS[n % len(PUBLISHERS)]
        lines += [
            "[[sources]]",
            f'name = "{name}"',
            f'url = "{base}/s/{n}/"',
            f'feeds = ["{base}{feed}"]',
            f'country = "{country}"',
            f'region = "{region}"',
            'language = "en"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
