"""Live updates through a real uvicorn server: an open event stream receives the new
articles of its tag (and only those) as the pipeline stores them."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import LoopbackServer, Reply, running, until
from tagwire import config
from tagwire.ingest.pipeline import Pipeline
from tagwire.store import Store
from tagwire.types import Source
from tagwire.web.app import create_app
from tagwire.web.live import Broadcaster, article_publisher
from test_search import _add


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store, Broadcaster]]:
    store = Store(f"sqlite:///{tmp_path / 'live.db'}")
    (source,) = store.upsert_sources([Source("S", "https://s.example/", ("https://s.example/f",))])
    _add(store, 1, "Older news from Oslo", "Text.", source=source, places=("Oslo",))
    live = Broadcaster()
    with running(create_app(store, live=live)) as base:
        yield base, store, live
    store.close()


Events = list[dict[str, Any]]


def _read_events(url: str, wanted: int, events: Events, ready: threading.Event) -> None:
    with httpx.stream("GET", url, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        ready.set()
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) >= wanted:
                    return


def test_an_open_tag_stream_receives_new_articles_of_its_tag(
    served: tuple[str, Store, Broadcaster], http_server: LoopbackServer
) -> None:
    base, store, live = served
    oslo: Events = []
    everything: Events = []
    ready = [threading.Event(), threading.Event()]
    readers = [
        threading.Thread(
            target=_read_events,
            args=(f"{base}/api/v1/tags/Oslo/live", 1, oslo, ready[0]),
            daemon=True,  # a stream left open by a failed test must not keep pytest alive
        ),
        threading.Thread(
            target=_read_events, args=(f"{base}/api/v1/live", 2, everything, ready[1]), daemon=True
        ),
    ]
    for reader in readers:
        reader.start()
    for event in ready:
        assert event.wait(10)
    until(lambda: live.listeners == 2)  # both subscriptions registered
    feed = (
        "<rss version='2.0'><channel><title>T</title>"
        f"<item><title>Storm closes Oslo harbour</title><link>{http_server.base}/a</link>"
        "<description>A storm closed the harbour in Oslo on Monday.</description></item>"
        f"<item><title>Rain in Bergen</title><link>{http_server.base}/b</link>"
        "<description>Rain fell in Bergen all week.</description></item>"
        "</channel></rss>"
    )
    http_server.routes["/feed.xml"] = Reply(
        200, feed.encode(), {"Content-Type": "application/rss+xml"}
    )
    store.upsert_sources([Source("Live", http_server.url("/"), (http_server.url("/feed.xml"),))])
    cfg = config.load(
        {"TAGWIRE_ALLOWED_HOSTS": "127.0.0.1", "TAGWIRE_HOST_DELAY": "0", "TAGWIRE_WORKERS": "1"}
    )
    pipeline = Pipeline(store, cfg, on_article=article_publisher(store, live))
    try:
        asyncio.run(pipeline.run_pass())
    finally:
        pipeline.close()
    for reader in readers:
        reader.join(20)
    assert [e["card"]["title"] for e in oslo] == ["Storm closes Oslo harbour"]
    assert {e["card"]["title"] for e in everything} == {
        "Storm closes Oslo harbour",
        "Rain in Bergen",
    }
    assert 'id="article-' in str(oslo[0]["html"]) and "#Oslo" in str(oslo[0]["html"])
