"""The pipeline in-process against loopback publishers that misbehave, and a kill in the
middle of an ingest."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from conftest import LoopbackServer, Reply
from tagwire import config
from tagwire.demo.site import PublisherSite, sources_toml
from tagwire.embeddings import Vector
from tagwire.ingest.decide import StoryStep, Verdict, story_step
from tagwire.ingest.pipeline import ingest
from tagwire.store import Store
from tagwire.stories.rules import Decision, Merge
from tagwire.types import PassReport, Source

BODY = " ".join(
    f"Sentence {n} of a long enough article about the harbour in Wellington." for n in range(40)
)


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {p}</title><link>{base}{p}</link>"
        f"<description>Summary of {p} from the feed.</description>"
        f"<pubDate>Fri, 11 Jul 2025 10:0{n}:00 GMT</pubDate></item>"
        for n, p in enumerate(paths)
    )
    return f"<rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode()


def page(title: str) -> bytes:
    return f"<html><body><article><h1>{title}</h1><p>{BODY}</p></article></body></html>".encode()


def run(store: Store, **env: str) -> PassReport:
    cfg = config.load(
        {
            "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
            "TAGWIRE_HOST_DELAY": "0",
            "TAGWIRE_WORKERS": "1",
            "TAGWIRE_TIMEOUT": "3",
            "TAGWIRE_MAX_BYTES": "200000",
        }
        | env
    )
    return asyncio.run(ingest(store, cfg))


def test_misbehaving_pages_and_feeds_lose_nothing(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    paths = ["/ok", "/error500", "/garbage", "/huge", "/empty", "/redirect-loop"]
    http_server.routes["/feed.xml"] = Reply(
        200, rss(http_server.base, paths), {"Content-Type": "application/rss+xml"}
    )
    http_server.routes["/notafeed.xml"] = Reply(200, b"<html><body>hello</body></html>")
    http_server.routes["/ok"] = Reply(200, page("A fine page"), {"Content-Type": "text/html"})
    http_server.routes["/error500"] = Reply(500, b"oops")
    http_server.routes["/garbage"] = Reply(
        200, bytes(range(256)) * 50, {"Content-Type": "text/html"}
    )
    http_server.routes["/huge"] = Reply(200, b"<p>" + b"x" * 300_000, {"Content-Type": "text/html"})
    http_server.routes["/empty"] = Reply(200, b"", {"Content-Type": "text/html"})
    http_server.routes["/redirect-loop"] = Reply(302, headers={"Location": "/redirect-loop"})
    store = Store(f"sqlite:///{tmp_path / 't.db'}")
    store.upsert_sources(
        [
            Source("Good", http_server.url("/"), (http_server.url("/feed.xml"),)),
            Source("Bad", http_server.url("/bad/"), (http_server.url("/notafeed.xml"),)),
        ]
    )
    report = run(store)
    cards = store.list_cards(limit=100).items
    assert len(cards) == len(paths), "an item was dropped"
    texts = {c.url.rsplit("/", 1)[1]: store.article(c.id).text for c in cards}
    assert "Sentence 39" in texts["ok"]
    for broken in ("error500", "huge", "empty", "redirect-loop"):
        assert texts[broken] == f"Summary of /{broken} from the feed."
    sources = {s.name: s for s in store.sources()}
    assert sources["Good"].last_error is None
    assert sources["Bad"].last_error and "not a feed" in sources["Bad"].last_error
    assert report.feeds_failed == 1


def test_a_killed_ingest_is_completed_by_the_next(tmp_path: Path) -> None:
    tagwire = str(Path(sys.executable).with_name("tagwire"))
    db_path = tmp_path / "kill.db"
    env = dict(
        os.environ,
        TAGWIRE_ALLOWED_HOSTS="127.0.0.1",
        TAGWIRE_HOST_DELAY="0.2",
        TAGWIRE_HOST_CONCURRENCY="1",
        TAGWIRE_WORKERS="1",
    )
    with PublisherSite() as site:
        sources = tmp_path / "s.toml"
        sources.write_text(sources_toml(site.base_url))
        command = [tagwire, "ingest", "--sources", str(sources), "--db", f"sqlite:///{db_path}"]
        with subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ) as victim:
            deadline = time.monotonic() + 120
            while _count(db_path, "articles") < 3:
                assert victim.poll() is None, "ingest ended before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.05)  # polling the database for progress
            victim.send_signal(signal.SIGKILL)
        partial = _count(db_path, "articles")
        assert 3 <= partial < 17
        _assert_consistent(db_path)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    assert _count(db_path, "articles") == 17  # 16 listed + 1 folded copy
    _assert_consistent(db_path)


def _count(db_path: Path, table: str) -> int:
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path, timeout=30) as conn:
        try:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # the schema is not created yet


def _assert_consistent(db_path: Path) -> None:
    with sqlite3.connect(db_path, timeout=30) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute(
            "SELECT count(*) FROM articles a WHERE a.listed AND a.story_id IS NULL"
            " OR NOT EXISTS (SELECT 1 FROM article_urls u WHERE u.article_id = a.id)"
        ).fetchone()[0]
        assert orphans == 0
        untagged = conn.execute(
            "SELECT count(*) FROM articles a WHERE a.listed AND EXISTS (SELECT 1 FROM mentions m"
            " WHERE m.article_id = a.id) AND NOT EXISTS (SELECT 1 FROM article_tags t"
            " WHERE t.article_id = a.id)"
        ).fetchone()[0]
        assert untagged == 0


def test_process_pool_gives_the_same_result_as_one_worker(tmp_path: Path) -> None:
    results = []
    with PublisherSite() as site:
        sources = tmp_path / "s.toml"
        sources.write_text(sources_toml(site.base_url))
        from tagwire import sources as sources_module

        for n in ("1", "2"):
            store = Store(f"sqlite:///{tmp_path / f'w{n}.db'}")
            store.upsert_sources(sources_module.load(sources))
            run(store, TAGWIRE_WORKERS=n)
            cards = store.list_cards(limit=100).items
            results.append(sorted((c.title, [t.slug for t in c.tags]) for c in cards))
            store.close()
    assert results[0] == results[1]


def test_items_linking_to_script_or_files_are_never_stored(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    links = [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        http_server.url("/fine"),
    ]
    items = "".join(
        f"<item><title>&lt;script&gt;alert({n})&lt;/script&gt; Item {n}</title>"
        f"<link>{link.replace('<', '&lt;').replace('>', '&gt;')}</link>"
        f"<description>&lt;img src=x onerror=alert({n})&gt; text</description></item>"
        for n, link in enumerate(links)
    )
    http_server.routes["/feed.xml"] = Reply(
        200,
        f"<rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode(),
        {"Content-Type": "application/rss+xml"},
    )
    http_server.routes["/fine"] = Reply(200, page("Fine"), {"Content-Type": "text/html"})
    store = Store(f"sqlite:///{tmp_path / 't.db'}")
    store.upsert_sources([Source("S", http_server.url("/"), (http_server.url("/feed.xml"),))])
    run(store)
    cards = store.list_cards(limit=100).items
    assert [c.url for c in cards] == [http_server.url("/fine")]
    import httpx

    from tagwire.web.app import create_app

    async def home() -> str:
        transport = httpx.ASGITransport(app=create_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.get("/", headers={"Accept": "text/html"})).text

    html = asyncio.run(home())
    assert "<script>alert" not in html and "onerror" not in html
    assert "alert(3) Item 3" in html  # markup in feed titles is dropped, the words kept


class _Stories:
    """``decide.StoryLookups`` that records what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def candidates(self, keys: list[str], at: datetime) -> list[int]:
        self.asked.append(f"candidates {keys}")
        return [7, 9]

    def choose(
        self,
        vector: dict[str, float],
        scores: dict[int, float],
        at: datetime,
        candidates: list[int],
        meaning: Vector | None,
        broad: frozenset[int],
    ) -> Decision:
        self.asked.append(f"choose {candidates}")
        return Decision(9, 0.5, 0.4, (3,))

    def final(self, story_id: int) -> int:
        self.asked.append(f"final {story_id}")
        return story_id + 100

    def converged(self, story_id: int, candidates: list[int]) -> Merge | None:
        return None


def test_the_story_step_ingest_and_import_share() -> None:
    """A new article is scored against the stories its keys find; a copy that replaces its
    survivor joins the survivor's story as merged since; a folded copy gets no decision."""
    at = datetime(2026, 11, 20, tzinfo=UTC)

    def step(verdict: Verdict[int], story: int | None, lookups: _Stories) -> StoryStep[int]:
        return story_step(
            lookups,
            verdict,
            story,
            ["t:port"],
            {"port": 1.0},
            {4: 1.0, 2: 0.5},
            at,
            None,
            frozenset(),
        )

    new = _Stories()
    found = step(Verdict(None, False), None, new)
    assert found.decision == Decision(9, 0.5, 0.4, (3,)) and found.candidates == [7, 9]
    assert found.keys == ["t:port", "e:2", "e:4"]
    assert new.asked == ["candidates ['t:port', 'e:2', 'e:4']", "choose [7, 9]"]
    replacing = _Stories()
    assert step(Verdict(5, True), 8, replacing).decision == Decision(108, 1.0, 1.0, ())
    assert replacing.asked == ["final 8"]
    folded = _Stories()
    assert step(Verdict(5, False), 8, folded) == StoryStep(None, [], [])
    assert folded.asked == []
