"""The demo publisher site as a whole: one event on four publishers, a person shared across
them, non-ASCII names, its sources file, robots and not-found pages, the requests it
records, and the command line that serves it (moved out of test_demo_site.py)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tagwire.demo.run import prepare
from tagwire.demo.site import (
    EVENT_PATHS,
    MISSING_PATH,
    NON_ASCII_PATH,
    PUBLISHERS,
    SHARED_PERSON_PATHS,
    TRACKED_PATH,
    TRACKING_QUERY,
    PublisherSite,
    sources_toml,
)
from tagwire.store import Store
from test_demo_site import article_links, fetch, parse_page

REGIONS = {"africa", "americas", "asia", "europe", "middle-east", "oceania"}


def test_one_event_on_four_publishers(site: PublisherSite) -> None:
    assert len({path.split("/")[1] for path in EVENT_PATHS}) == 4
    links = set(article_links(site))
    pages = []
    for path in EVENT_PATHS:
        assert site.base_url + path in links
        pages.append(parse_page(fetch(site.base_url + path).text))
    titles = {page.h1 for page in pages}
    assert len(titles) == 4
    paragraphs: set[str] = set()
    for page in pages:
        text = " ".join(page.body)
        first = text.index("President Elena Marchetti")
        assert text.index("Marchetti") == first + len("President Elena ")
        assert text.count("Marchetti") >= 3
        for name in ("Hiroshi Nakamura", "World Trade Organization", "Geneva", "Italy", "Japan"):
            assert name in text, (page.h1, name)
        assert not paragraphs & set(page.body), "event articles must not share paragraphs"
        paragraphs |= set(page.body)
    times = [datetime.fromisoformat(p.meta["article:published_time"][0]) for p in pages]
    assert max(times) - min(times) <= timedelta(hours=4)


def test_shared_person_across_publishers(site: PublisherSite) -> None:
    assert SHARED_PERSON_PATHS[0].split("/")[1] != SHARED_PERSON_PATHS[1].split("/")[1]
    for path in SHARED_PERSON_PATHS:
        text = " ".join(parse_page(fetch(site.base_url + path).text).body)
        assert "Chief executive Laura Bennett" in text


def test_non_ascii_names(site: PublisherSite) -> None:
    response = fetch(site.base_url + NON_ASCII_PATH)
    assert response.headers["content-type"].endswith("charset=utf-8")
    page = parse_page(response.text)
    text = " ".join(page.body)
    assert "Zoë Müller" in page.h1 and "São Paulo" in page.h1
    assert "Zoë Müller" in text and "São Paulo" in text and "Zürich" in text


def test_sources_toml(site: PublisherSite) -> None:
    doc = tomllib.loads(sources_toml(site.base_url))
    sources = doc["sources"]
    assert len(sources) == 5
    assert len({s["name"] for s in sources}) == 5
    for source in sources:
        assert set(source) == {"name", "url", "feeds", "country", "region", "language"}
        assert source["url"].startswith(site.base_url + "/") and source["url"].endswith("/")
        assert len(source["feeds"]) == 1 and source["feeds"][0].startswith(source["url"])
        assert re.fullmatch(r"[A-Z]{2}", source["country"])
        assert source["region"] in REGIONS
        assert source["language"] == "en"
        assert fetch(source["url"]).status == 200
    served = fetch(site.base_url + "/sources.toml")
    assert served.status == 200 and tomllib.loads(served.text) == doc


def test_robots_index_and_not_found(site: PublisherSite) -> None:
    robots = fetch(site.base_url + "/robots.txt")
    assert robots.status == 200 and robots.headers["content-type"].startswith("text/plain")
    assert "User-agent: *" in robots.text and "Allow: /" in robots.text
    missing = fetch(site.base_url + "/no/such/page")
    assert missing.status == 404
    assert missing.headers["content-type"] == "text/html; charset=utf-8"
    assert int(missing.headers["content-length"]) == len(missing.body)
    assert "<h1>Page not found</h1>" in missing.text
    head = fetch(site.base_url + EVENT_PATHS[0], method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["content-length"]) > 0


def test_requests_are_recorded(site: PublisherSite) -> None:
    assert site.requests == []
    fetch(site.base_url + "/robots.txt")
    fetch(f"{site.base_url}{TRACKED_PATH}?{TRACKING_QUERY}")
    fetch(site.base_url + "/nowhere")
    assert site.requests == ["/robots.txt", f"{TRACKED_PATH}?{TRACKING_QUERY}", "/nowhere"]


def test_command_line_serves_and_writes_sources(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "tagwire.demo.site", "--port", "0", "--write-sources", str(sources)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        assert tomllib.loads(sources.read_text("utf-8")) == tomllib.loads(sources_toml(base_url))
        assert fetch(base_url + "/herald/rss.xml").status == 200
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert stderr == ""


def test_demo_run_twice_gives_one_set_of_sources_and_live_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo`` a second time: a new site port, and a new database with it, so the
    sources are listed once and every link and image points at the site that is running."""
    monkeypatch.setenv("TAGWIRE_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("TAGWIRE_HOST_DELAY", "0")
    db = tmp_path / "tagwire-demo.db"
    said: list[str] = []
    with PublisherSite() as first:
        prepare(first, db, tmp_path / "sources.toml", said.append)
        first_url = first.base_url
    with PublisherSite() as second:
        report = prepare(second, db, tmp_path / "sources.toml", said.append)
        assert second.base_url != first_url  # what broke the demo: a new port each run
        assert report.articles_new >= 15
        store = Store(f"sqlite:///{db}")
        try:
            names = sorted(s.name for s in store.sources())
            assert names == sorted(p.name for p in PUBLISHERS)
            cards = store.list_cards(limit=100).items
            assert len(cards) == report.articles_new and report.articles_duplicate == 1
            links = [c.url for c in cards] + [u for c in cards for u in c.duplicates]
            links += [c.image for c in cards if c.image]
            links += [c.source_url for c in cards]
            assert len(links) > len(cards)
            for link in links:
                assert link.startswith(second.base_url + "/"), link
                if not link.endswith(MISSING_PATH):
                    assert fetch(link).status == 200, link
            # Each article once: none "also covered" by its own copy from the earlier run.
            assert len({c.title for c in cards}) == len(cards)
        finally:
            store.close()
    # Said as it happens, terminal or not: what it does, and each feed as it is read.
    assert sum("fresh database" in line for line in said) == 2
    assert sum(re.search(r"\[5/5\]", line) is not None for line in said) == 2
