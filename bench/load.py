"""Tag pages under load: an open-loop load on the HTML tag page and its JSON API.

The database: 100,000 listed articles (plus their stories, tags, mentions, editions and
full-text index) written once by bulk inserts into a SQLite file under /tmp and reused (it
is rebuilt when its newest article is more than a day old, so "the last 14/30 days" of the
tag page stay full). The rows are what ``Writer.insert_article`` writes, without the ingest
writer's per-article queries (~10 ms each):

* entities, their ``entity_aliases`` (slug and name lookup keys) and ``entity_keys`` are
  created by the real ``Writer.entity_ids`` from the distinct, not all-capitals entity
  names of CoNLL-2003 (dev + test, Reuters; ``../shared/data/conll2003-ner``), most
  frequent first: 3,000 names, so /tags/{slug} finds them as it finds ingested ones;
* 40 sources (one feed each) over the six regions;
* articles: titles and texts of the 2,225 BBC News articles (``../shared/data/bbc-news``,
  cycled, with a last sentence naming the article's entities, so every text and hash
  differs), ``summary`` = ``analyse.lead(text)``, category from the BBC section, a third
  with an image URL, ``published_at`` = ``sort_at`` spread uniformly over the last 90 days
  (~1,100 articles a day), ``listed`` true, ``content_hash`` and ``title_key`` as the
  pipeline computes them;
* stories: one to eight articles each (60% alone, mean ~1.8), from different sources
  within a few hours, which share the story's 3-8 tags (each article may drop one);
* tags: each story draws 3-8 distinct entities with a Zipf-Mandelbrot popularity
  (weight ``1 / (rank + 5)``), so the most common tag is on ~10% of the articles and the
  3,000th on a handful; ``article_tags`` rows with salience and rank, one ``mentions`` row
  per tag (offsets into the last sentence), ``entity_names`` and
  ``entities.article_count`` as the writer counts them;
* ``article_regions`` (the source's region and those of the tagged places), ``article_urls``
  and the FTS5 search index (rebuilt from ``articles``);
* not written (only the ingest reads them): ``near_dup_keys``, fingerprints, ``story_keys``.

The server: ``uvicorn bench.load:make_app --factory`` (``create_app(Store(url))``, the app
``tagwire serve`` runs, without its poller), with 1 and then 2 worker processes, on
127.0.0.1 only, with the HTTP protocol ``tagwire serve`` runs (httptools, TCP_NODELAY on
every connection) on uvloop (uvicorn's ``loop="auto"``; both are tagwire dependencies).

The load: requests are scheduled at ``t0 + i / rate`` and sent at that time whether or not
earlier ones have finished (open loop); latency runs from the scheduled time to the last
byte of the response, so time spent queueing (in the client's connection pool, the kernel
or the server) counts. Each request is, at random (fixed seed, the same sequence every
run): the HTML page ``/tags/{slug}`` (with the ``Accept`` and ``Accept-Language`` headers
of a browser) or the API ``/api/v1/tags/{slug}``, half each; its tag drawn with Zipf
popularity (s = 1.1) over the 2,000 tags with most articles, ranked by their article count
(the most requested tags are the largest); one request in five carries ``?cursor=`` (the
``next`` of that tag's first page, gathered in the warm-up; such requests draw among tags
that have a second page). No conditional headers are sent, so every request is a 200 with
a full body. An error is any status other than 200, a connection failure, or no answer
within 10 s.

The client is raw asyncio streams with HTTP/1.1 keep-alive (a pool of up to 256
connections, opened as needed, none reused after 4 s idle since uvicorn closes them at
5 s; a request waits for one when all are busy), one process, on uvloop (``--client-loop
asyncio`` for the default loop), with no garbage collection during a run (a full collection
over the plan and the results stopped it for tens of ms): cheaper per request than
httpx.AsyncClient (both are measured against the same server). The machine has 2 cores;
the generator runs on them beside the server, so its CPU (reported per run) is taken from
the server. Priorities: the kernel shares the cores between sessions (autogroups) before
processes, so the generator (nice -15, process and session) is ahead of the server (-10,
a session of its own), which is ahead of other sessions' processes (``--client-nice``,
``--server-nice``; 0 for a fair share). The machine is shared: before each run the
script waits (up to 2 min) until other processes use less than 0.15 cores, reports what
they took during the run, and repeats a run they disturbed (more than 0.15 cores) once.
Beside the client's figures, the server's own: each admitted request's time in the app
(``ServerTimes``, an ASGI wrapper in the bench's app factory; it cannot see the wait
before the event loop reads a request), and the admitted answers that were computed
(cache misses), whose latency is most of the admitted p99.

Per server configuration: checks (first API page of every tag, 2,000 requests from 8
concurrent clients: 200, cards, the right tag; HTML first and second pages of the 25
largest tags), then 10 s at 300 requests/s (not counted), then 60 s at 300 requests/s,
measured; then a search for the highest rate with p99 <= 50 ms and no errors: x1.25 up
from 300 until a run fails, or halving down until one passes (down to 2/s), then four
bisections; runs of 20 s, or of 300 requests at low rates (60 s at most). A run whose
backlog exceeds 2 s of requests is stopped early and counts as failed, and the server is
restarted (and warmed by 200 requests) after every failed run: an overloaded server goes
on answering, for minutes, the requests that the client gave up on. The server keeps
answers in its response cache (``tagwire.web.cache``; ``TAGWIRE_CACHE_SECONDS``, default
30 s, one cache per process; no article arrives during the runs, so entries only expire);
the client counts the answers marked ``X-Cache: hit`` and reports the hit rate per run.
Clients send no ``If-None-Match``, so every answer is a 200 with a full body.

``--profile`` adds where a request's time goes: py-spy (threads on CPU, 200 Hz) on the
one-process server during 20 s at 300 requests/s, by innermost package and by function;
and each stage of the two handlers timed in a new process (exclusive wall time of wrapped
functions, through httpx.ASGITransport, one request at a time) on the same mix, with the
garbage collector's pauses (``gc.callbacks``).

    python -m bench.load                 # build or reuse the DB, measure, print
    python -m bench.load --write         # also update docs/benchmarks.md
    python -m bench.load --profile       # also profile the server (needs py-spy)
    python -m bench.load --quick         # short runs, for a try (docs untouched)
    python -m bench.load --db PATH --rebuild
    python -m bench.load --workers 2 --overload-at 586 --max-in-flight 2 --write
                                         # the load-shedding section alone
    python -m bench.load --workers 2 --overload-at 586 --no-unbounded --protocol aged
                                         # side by side: shedding by age (CoDel); also
                                         # --backlog N, --limit-concurrency N (uvicorn's)
    python -m bench.load --workers 2 --overload-at 586 --compare 2:0,2:0.05:0.1 \
        --compare-rounds 2 --after-seconds 20
                                         # side by side, in turn: BOUND:WAIT[:HOLD] of
                                         # the load shedding (a table, docs untouched)
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import functools
import gc
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar, cast
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvloop
from sqlalchemy import Connection, func, select, text, update

from bench.report import machine, replace_section, revision
from tagwire.dedup.exact import content_hash, title_key
from tagwire.entities.hashtags import slugify
from tagwire.entities.places import region_of
from tagwire.ingest.analyse import lead
from tagwire.ingest.writer import writing
from tagwire.sources import REGIONS
from tagwire.store import Store
from tagwire.store import schema as t

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Tag pages under load"
SHED_SECTION = "## Tag pages above capacity: load shedding"
COMMAND = "python -m bench.load --write"
DEFAULT_DB = Path("/tmp/tagwire-bench-load-v1.db")
DB_ENV = "TAGWIRE_BENCH_LOAD_DB"
HOLD_ENV = "TAGWIRE_BENCH_SHED_HOLD"  # LoadShedding's hold for a --compare variant
OVERLOAD_ENV = "TAGWIRE_BENCH_SHED_OVERLOAD"  # LoadShedding's overload_limit, likewise
SWITCH_ENV = "TAGWIRE_BENCH_SWITCH_INTERVAL"  # sys.setswitchinterval in the server, likewise
TIMES_ENV = "TAGWIRE_BENCH_SERVER_TIMES"  # a folder: the server records each request's time
NODELAY_RATE = 20.0
SEED = 20261127

ARTICLES = 100_000
ENTITY_NAMES = 3_000
SOURCES = 40
DAYS = 90
TAG_OFFSET = 5  # Zipf-Mandelbrot: the tag of popularity rank r (from 0) weighs 1 / (r + 6)
MAX_AGE = timedelta(days=1)  # a cached database whose newest article is older is rebuilt
CHUNK = 5_000  # articles per batch of inserts

REQUEST_TAGS = 2_000
ZIPF_S = 1.1
HTML_SHARE = 0.5
CURSOR_SHARE = 0.2
GOAL_RATE = 300.0
GOAL_P99 = 0.050
TIMEOUT = 10.0
MAX_CONNECTIONS = 256
IDLE_SECONDS = 4.0  # a keep-alive connection idle this long is not reused (uvicorn: 5 s)
BACKLOG_SECONDS = 2.0  # more requests in flight than this many seconds' worth: run stopped
# Nice values (of the process and of its session's autogroup): the load generator ahead of
# the server for the cores, as a client on another machine would be, so that its timestamps
# are not the server's queueing; the server ahead of other sessions' processes on a shared
# machine, as on a machine of its own (docs/benchmarks.md, "the load generator").
CLIENT_NICE = -15
SERVER_NICE_DEFAULT = -10
OVERLOAD_FACTOR = 3.0  # the overload run: this many times the highest passing rate
HEALTH_EVERY = 0.5  # seconds between two /healthz probes during the overload run
STEP = 1.25  # rate search: up by this factor (down by halves), then bisections
BISECTIONS = 4
MIN_RATE = 2
SEARCH_REQUESTS = 300  # at least this many requests in a run of the search (up to 60 s)

HTML_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
}
API_HEADERS = {"Accept": "application/json"}
BBC_LABELS = {
    "business": "Business & Economy",
    "entertainment": "Arts & Entertainment",
    "politics": "Politics",
    "sport": "Sport",
    "tech": "Science & Technology",
}
CONLL_KINDS = {"PER": "person", "ORG": "organization", "LOC": "place", "MISC": "other"}


# -- the database ----------------------------------------------------------------------


def conll_names() -> list[tuple[str, str]]:
    """(kind, name) of the CoNLL-2003 entities (dev + test), most frequent first; names in
    capitals (headlines) left out; ties in a fixed random order."""
    counts: Counter[tuple[str, str]] = Counter()
    for name in ("conllpp_dev.txt", "conllpp_test.txt"):
        words: list[str] = []
        kind = ""
        lines = (DATA / "conll2003-ner" / name).read_text(encoding="utf-8").splitlines()
        for line in [*lines, ""]:
            parts = line.split()
            tag = parts[-1] if len(parts) >= 4 else "O"
            if tag.startswith("I-") and tag[2:] == kind:
                words.append(parts[0])
                continue
            if words:
                counts[(CONLL_KINDS[kind], " ".join(words))] += 1
            words, kind = ([parts[0]], tag[2:]) if tag != "O" else ([], "")
    rng = random.Random(SEED)
    names = [
        (kind, name)
        for kind, name in sorted(counts)
        if not name.isupper() and len(name) > 1 and slugify(name)
    ]
    order = {pair: (-counts[pair], rng.random()) for pair in names}
    return sorted(names, key=order.__getitem__)


@dataclass(frozen=True)
class Doc:
    title: str
    text: str
    category: str


def bbc_docs() -> list[Doc]:
    docs = []
    for path in sorted((DATA / "bbc-news" / "bbc").glob("*/*.txt")):
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError:
            content = raw.decode("latin-1")
        title, _, body = content.strip().partition("\n")
        paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
        docs.append(Doc(title.strip(), "\n".join(paragraphs), BBC_LABELS[path.parent.name]))
    return docs


def db_is_fresh(db: Path) -> bool:
    if not db.is_file():
        return False
    store = Store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            count, newest = conn.execute(select(func.count(), func.max(t.articles.c.sort_at))).one()
    finally:
        store.close()
    if count != ARTICLES or newest is None:
        return False
    newest_at = datetime.fromisoformat(str(newest)).replace(tzinfo=UTC)
    return datetime.now(UTC) - newest_at < MAX_AGE


@dataclass
class _Story:
    tags: list[int]
    salience: list[float]
    items: list[_Item] = field(default_factory=list)
    id: int = 0


@dataclass
class _Item:
    at: datetime
    story: _Story
    source: int
    doc: int
    tags: list[int]
    salience: list[float]


def _plan(rng: random.Random, ranked: list[int], first: datetime, now: datetime) -> list[_Item]:
    """Stories of 1-8 articles sharing 3-8 Zipf-Mandelbrot-drawn tags; the articles in
    time order."""
    weights = list(itertools.accumulate(1.0 / (r + 1 + TAG_OFFSET) for r in range(len(ranked))))
    items: list[_Item] = []
    while len(items) < ARTICLES:
        u = rng.random()
        size = 1 if u < 0.6 else 2 if u < 0.8 else 3 if u < 0.9 else rng.randint(4, 8)
        size = min(size, ARTICLES - len(items))
        wanted = rng.randint(3, 8)
        tags: list[int] = []
        while len(tags) < wanted:
            pick = ranked[bisect.bisect(weights, rng.random() * weights[-1])]
            if pick not in tags:
                tags.append(pick)
        salience = sorted((round(rng.uniform(0.05, 1.0), 4) for _ in tags), reverse=True)
        story = _Story(tags, salience)
        at = first + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        for source in rng.sample(range(1, SOURCES + 1), size):
            keep = list(range(len(tags)))
            if len(tags) > 3 and story.items and rng.random() < 0.3:
                keep.pop(rng.randrange(1, len(keep)))  # a later article may drop a tag
            item = _Item(
                min(at, now),
                story,
                source,
                rng.randrange(1 << 30),
                [tags[k] for k in keep],
                [salience[k] for k in keep],
            )
            story.items.append(item)
            items.append(item)
            at += timedelta(seconds=rng.uniform(60, 3 * 3600))
    items.sort(key=lambda i: i.at)
    return items


def build_db(db: Path) -> None:
    """Write the benchmark database (see the module docstring) into ``db``."""
    started = time.perf_counter()
    partial = db.with_name(db.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    store = Store(f"sqlite:///{partial}")
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    first = now - timedelta(days=DAYS)
    docs = bbc_docs()
    try:
        with writing(store) as w:
            conn = w.conn
            found = w.entity_ids(conll_names()[:ENTITY_NAMES])
            ranked = list(dict.fromkeys(found.values()))  # most popular first
            e = t.entities.c
            entity_rows = conn.execute(select(e.id, e.name, e.country)).all()
            names = {int(r.id): str(r.name) for r in entity_rows}
            regions = {int(r.id): region_of(r.country) for r in entity_rows}
            sources = [
                {
                    "id": i,
                    "url": f"https://wire{i:02d}.bench.example/",
                    "name": f"Bench Wire {i:02d}",
                    "region": REGIONS[i % len(REGIONS)],
                    "language": "en",
                    "enabled": True,
                    "created_at": first,
                }
                for i in range(1, SOURCES + 1)
            ]
            conn.execute(t.sources.insert(), sources)
            conn.execute(
                t.feeds.insert(),
                [
                    {"id": s["id"], "source_id": s["id"], "url": f"{s['url']}feed.xml"}
                    | {"error_count": 0}
                    for s in sources
                ],
            )
            items = _plan(rng, ranked, first, now)
            print(f"  planned {len(items)} articles", flush=True)
            _write_stories(conn, items, docs)
            for start in range(0, len(items), CHUNK):
                _write_articles(
                    conn, items[start : start + CHUNK], start + 1, docs, sources, names, regions
                )
                print(f"  {start + CHUNK} articles written", flush=True)
            tags = t.article_tags.c
            counts = select(func.count()).where(tags.entity_id == t.entities.c.id).scalar_subquery()
            conn.execute(update(t.entities).values(article_count=counts))
            m, n = t.mentions.c, t.entity_names.c
            conn.execute(
                t.entity_names.insert().from_select(
                    [n.entity_id, n.name, n.uses],
                    select(m.entity_id, m.name, func.count(func.distinct(m.article_id))).group_by(
                        m.entity_id, m.name
                    ),
                )
            )
            conn.execute(text("INSERT INTO article_search(article_search) VALUES ('rebuild')"))
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    os.replace(partial, db)
    for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    print(f"built {db} in {time.perf_counter() - started:.0f} s", flush=True)


def _write_stories(conn: Connection, items: list[_Item], docs: list[Doc]) -> None:
    rows: list[dict[str, Any]] = []
    for item in items:
        story = item.story
        if story.id:
            continue
        story.id = len(rows) + 1
        title = docs[story.items[0].doc % len(docs)].title
        rows.append(
            {
                "id": story.id,
                "title": title,
                "first_seen": min(i.at for i in story.items),
                "last_seen": max(i.at for i in story.items),
                "article_count": len(story.items),
                "publishers": len({i.source for i in story.items}),
                "terms": {w.casefold(): 1.0 for w in title.split()[:8]},
                "entity_ids": sorted(story.tags),
            }
        )
    for start in range(0, len(rows), CHUNK):
        conn.execute(t.stories.insert(), rows[start : start + CHUNK])


def _write_articles(
    conn: Connection,
    items: list[_Item],
    first_id: int,
    docs: list[Doc],
    sources: list[dict[str, Any]],
    names: dict[int, str],
    regions: dict[int, str | None],
) -> None:
    articles, urls, tags, mentions, editions = [], [], [], [], []
    for article_id, item in enumerate(items, start=first_id):
        doc = docs[item.doc % len(docs)]
        source = sources[item.source - 1]
        named = [names[e] for e in item.tags]
        closing = "Named in this report: "
        starts = []
        for name in named:
            starts.append(len(doc.text) + 1 + len(closing))
            closing += name + ", "
        body = doc.text + "\n" + closing.removesuffix(", ") + "."
        url = f"{source['url']}{item.at:%Y/%m/%d}/{slugify(doc.title).lower()[:60]}-{article_id}"
        starter = item.story.items[0] is item
        articles.append(
            {
                "id": article_id,
                "source_id": item.source,
                "feed_id": item.source,
                "url": url,
                "title": doc.title,
                "summary": lead(body)[:1000],
                "text": body,
                "author": f"Reporter {item.doc % 97:02d}" if item.doc % 5 < 2 else None,
                "image": f"{source['url']}img/{article_id}.jpg" if item.doc % 3 == 0 else None,
                "category": doc.category,
                "language": "en",
                "published_at": item.at,
                "first_seen_at": item.at + timedelta(seconds=60 + item.doc % 1800),
                "sort_at": item.at,
                "content_hash": content_hash(body),
                "extraction": "page",
                "story_id": item.story.id,
                "story_score": None if starter else 0.5 + (item.doc % 40) / 100,
                "story_shared": None if starter else item.tags[:3],
                "duplicate_of": None,
                "listed": True,
                "words": len(body.split()),
                "story_text": None if starter else 0.3,
                "title_key": title_key(doc.title),
                "fingerprint": None,
            }
        )
        urls.append({"url": url, "article_id": article_id})
        for rank, (entity_id, salience) in enumerate(zip(item.tags, item.salience, strict=True)):
            tags.append(
                {
                    "entity_id": entity_id,
                    "article_id": article_id,
                    "sort_at": item.at,
                    "salience": salience,
                    "rank": rank,
                }
            )
        for entity_id, name, begin in zip(item.tags, named, starts, strict=True):
            mentions.append(
                {
                    "article_id": article_id,
                    "entity_id": entity_id,
                    "surface": name,
                    "name": name,
                    "start": begin,
                    "end": begin + len(name),
                    "in_title": False,
                }
            )
        places = {regions[e] for e in item.tags}
        for region in sorted(r for r in places | {source["region"]} if r):
            editions.append({"region": region, "article_id": article_id, "sort_at": item.at})
    conn.execute(t.articles.insert(), articles)
    conn.execute(t.article_urls.insert(), urls)
    conn.execute(t.article_tags.insert(), tags)
    conn.execute(t.mentions.insert(), mentions)
    conn.execute(t.article_regions.insert(), editions)


def db_summary(db: Path) -> dict[str, Any]:
    """What the report says about the database."""
    store = Store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            tags = t.article_tags.c
            e = t.entities.c
            counts = store.counts()
            tag_rows = conn.execute(select(func.count()).select_from(t.article_tags)).scalar_one()
            tagged = conn.execute(
                select(func.count()).select_from(t.entities).where(e.article_count > 0)
            ).scalar_one()
            top = conn.execute(
                select(e.slug, e.article_count).order_by(e.article_count.desc()).limit(3)
            ).all()
            requested = (
                conn.execute(
                    select(e.article_count)
                    .where(e.article_count > 0)
                    .order_by(e.article_count.desc(), e.id)
                    .limit(REQUEST_TAGS)
                )
                .scalars()
                .all()
            )
            per_article = (
                select(func.count().label("n"))
                .select_from(t.article_tags)
                .group_by(tags.article_id)
                .subquery()
            )
            fewest, most = conn.execute(
                select(func.min(per_article.c.n), func.max(per_article.c.n))
            ).one()
    finally:
        store.close()
    return {
        "articles": counts["articles"],
        "stories": counts["stories"],
        "entities": counts["entities"],
        "tagged": tagged,
        "tag_rows": tag_rows,
        "top": [(str(s), int(n)) for s, n in top],
        "smallest_requested": int(requested[-1]) if requested else 0,
        "tags_per_article": (int(fewest), int(most)),
        "size_mb": db.stat().st_size / 1e6,
    }


def request_tags(url: str, n: int = REQUEST_TAGS) -> list[str]:
    """The slugs of the ``n`` tags with most articles, most first."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            e = t.entities.c
            rows = conn.execute(
                select(e.slug)
                .where(e.article_count > 0, e.blocked.is_(False))
                .order_by(e.article_count.desc(), e.id)
                .limit(n)
            )
            return [str(slug) for slug in rows.scalars()]
    finally:
        store.close()


# -- the server ------------------------------------------------------------------------


def make_app() -> Any:
    """The app ``tagwire serve`` runs (without its poller), on the benchmark database, with
    the settings of the environment as ``tagwire serve`` reads them (TAGWIRE_MAX_IN_FLIGHT);
    with TIMES_ENV, inside a recorder of each request's time in the app."""
    from tagwire import config
    from tagwire.web.app import create_app
    from tagwire.web.http import LoadShedding

    recorder = ServerTimes(os.environ[TIMES_ENV]) if TIMES_ENV in os.environ else None
    app = create_app(
        Store(os.environ[DB_ENV]),
        settings=config.load(),
        on_stop=recorder.flush if recorder else None,
    )
    if HOLD_ENV in os.environ:  # a variant of --compare: the shedding's hold, for a try
        for middleware in app.user_middleware:
            if cast(Any, middleware.cls) is LoadShedding:
                middleware.kwargs["hold"] = float(os.environ[HOLD_ENV])
    if OVERLOAD_ENV in os.environ:  # a variant of --compare: the bound during the hold
        for middleware in app.user_middleware:
            if cast(Any, middleware.cls) is LoadShedding:
                middleware.kwargs["overload_limit"] = int(os.environ[OVERLOAD_ENV])
    if SWITCH_ENV in os.environ:  # a variant of --compare: the GIL's switch interval
        sys.setswitchinterval(float(os.environ[SWITCH_ENV]))
    if recorder is None:
        return app
    recorder.app = app
    return recorder


class ServerTimes:
    """The server's own view (an ASGI wrapper outside the app): for each HTTP request, when
    the app got it (wall clock), how long until its last byte was handed to the protocol,
    and its status; appended to a file per process every FLUSH_SECONDS and at shutdown.
    What it cannot see: the time before the event loop got to the request (the kernel's
    buffers, the loop's queue), which the client's figures include."""

    FLUSH_SECONDS = 0.5

    def __init__(self, folder: str) -> None:
        self.app: Any = None
        self.path = Path(folder) / f"{os.getpid()}.txt"
        self.lines: list[str] = []
        self.flushed = time.monotonic()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wall, started = time.time(), time.perf_counter()
        status = 0

        async def note(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, note)
        finally:
            self.lines.append(f"{wall:.6f} {time.perf_counter() - started:.6f} {status}\n")
            if time.monotonic() - self.flushed > self.FLUSH_SECONDS:
                self.flush()

    def flush(self) -> None:
        self.flushed = time.monotonic()
        if self.lines:
            with self.path.open("a") as out:
                out.writelines(self.lines)
            self.lines.clear()


def read_server_times(folder: Path) -> list[tuple[float, float, int]]:
    """Every request ServerTimes wrote in ``folder``: (wall clock, seconds in the app, status)."""
    found = []
    for path in folder.glob("*.txt"):
        for line in path.read_text().splitlines():
            wall, seconds, status = line.split()
            found.append((float(wall), float(seconds), int(status)))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


PROTOCOLS = {
    "tagwire": "tagwire.web.server:PROTOCOL",  # what `tagwire serve` runs
    "aged": "tagwire.web.server:AgedHttpToolsProtocol",  # also sheds requests by their age
    "uvicorn": "httptools",  # uvicorn's own (no TCP_NODELAY on --workers sockets)
}


def start_server(
    url: str,
    workers: int,
    port: int,
    nodelay: bool = True,
    max_in_flight: int | None = None,
    protocol: str = "tagwire",
    uvicorn_args: Sequence[str] = (),
    queue_wait: float | None = None,
    hold: float | None = None,
    times: Path | None = None,
    overload_limit: int | None = None,
    switch: float | None = None,
) -> subprocess.Popen[bytes]:
    """uvicorn with tagwire's HTTP protocol (``tagwire serve``'s: httptools, TCP_NODELAY
    on every connection), another of PROTOCOLS, or (``nodelay``
    false) uvicorn's own httptools protocol; ``max_in_flight`` sets TAGWIRE_MAX_IN_FLIGHT
    (the load-shedding bound; None: its default) and ``queue_wait`` TAGWIRE_QUEUE_WAIT (how
    long a request past the bound waits for a slot); ``uvicorn_args`` such as --backlog."""
    http = PROTOCOLS[protocol if nodelay else "uvicorn"]
    command = [
        *(sys.executable, "-m", "uvicorn", "bench.load:make_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--log-level", "warning", "--no-access-log", "--http", http, *uvicorn_args),
    ]
    env = dict(os.environ, **{DB_ENV: url})
    if max_in_flight is not None:
        env["TAGWIRE_MAX_IN_FLIGHT"] = str(max_in_flight)
    if queue_wait is not None:
        env["TAGWIRE_QUEUE_WAIT"] = str(queue_wait)
    if hold is not None:
        env[HOLD_ENV] = str(hold)
    if overload_limit is not None:
        env[OVERLOAD_ENV] = str(overload_limit)
    if switch is not None:
        env[SWITCH_ENV] = str(switch)
    if times is not None:
        env[TIMES_ENV] = str(times)
    # The server's priority is its own (SERVER_NICE), whatever the load generator's.
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_server_priority
    )
    autogroup_nice(proc.pid, SERVER_NICE[0])
    return proc


SERVER_NICE = [0]  # --server-nice: the server's nice value (a list: set once by main)


def _server_priority() -> None:
    os.setpriority(os.PRIO_PROCESS, 0, SERVER_NICE[0])


def autogroup_nice(pid: int, nice: int) -> None:
    """With the kernel's autogroups (sched_autogroup_enabled), the cores are shared between
    sessions first and a process's nice value counts only inside its session: the server
    (a session of its own) gets its share against other sessions' processes by its group's
    nice value. Nothing where autogroups are off or the file cannot be written."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its worker processes (the process group it leads): SIGTERM,
    then SIGKILL after 3 s (a busy server would first answer all it has queued)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, user + system clock ticks) of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def tree_pids(pid: int) -> list[int]:
    table = _proc_table()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += [child for child, (parent, _) in table.items() if parent == current]
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its descendants."""
    table = _proc_table()
    pids = set(tree_pids(pid))
    return sum(table[p][1] for p in pids if p in table) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all processes have used since boot (user, nice, system, irq, steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# -- the client ------------------------------------------------------------------------

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Http:
    """GETs over a pool of HTTP/1.1 keep-alive connections to 127.0.0.1 (asyncio streams):
    at most ``limit`` at once, opened as needed, reused most recent first, and never once
    idle for IDLE_SECONDS (uvicorn closes them after 5 s). A reused connection that the
    server closed before answering is replaced by a new one, once, as browsers do."""

    def __init__(self, port: int, limit: int = MAX_CONNECTIONS) -> None:
        self.port = port
        self.idle: list[tuple[Conn, float]] = []  # (connection, idle since), oldest first
        self.slots = asyncio.Semaphore(limit)
        self.opened = 0
        self.hits = 0  # answers the server's response cache gave (X-Cache: hit)

    def request(self, path: str, headers: dict[str, str]) -> bytes:
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "User-Agent: bench"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")

    async def get(self, request: bytes) -> tuple[int, bytes]:
        status, body, _ = await self.get_marked(request)
        return status, body

    async def get_marked(self, request: bytes) -> tuple[int, bytes, bool]:
        """The status, the body, and whether the server's response cache answered."""
        async with self.slots:
            for attempt in (0, 1):
                conn = self._reuse() if attempt == 0 else None
                reused = conn is not None
                if conn is None:
                    conn = await self._open()
                try:
                    status, body, keep, hit = await self._exchange(conn, request)
                except (ConnectionResetError, asyncio.IncompleteReadError) as exc:
                    conn[1].close()
                    nothing = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
                    if reused and nothing and attempt == 0:
                        continue  # the server had closed this idle connection: a new one
                    raise
                except BaseException:
                    conn[1].close()
                    raise
                if keep:
                    self.idle.append((conn, time.monotonic()))
                else:
                    conn[1].close()
                return status, body, hit
        raise AssertionError("unreachable")

    def _reuse(self) -> Conn | None:
        """The most recently used idle connection, if it has not been idle too long (the
        older ones are closed then)."""
        if not self.idle:
            return None
        conn, since = self.idle.pop()
        if time.monotonic() - since < IDLE_SECONDS:
            return conn
        self.idle.append((conn, since))
        self.close_idle()
        return None

    async def _open(self) -> Conn:
        conn = await asyncio.open_connection("127.0.0.1", self.port)
        self.opened += 1
        return conn

    async def _exchange(self, conn: Conn, request: bytes) -> tuple[int, bytes, bool, bool]:
        reader, writer = conn
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        hit = b"\r\nx-cache: hit" in lower
        self.hits += hit
        keep = b"\r\nconnection: close" not in lower
        if b"\r\ntransfer-encoding: chunked" in lower:
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size + 2))
            await reader.readuntil(b"\r\n")
            return status, b"".join(c[:-2] for c in chunks), keep, hit
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            return status, await reader.read(), False, hit
        length = int(lower[at + 17 : lower.index(b"\r\n", at + 2)])
        return status, await reader.readexactly(length), keep, hit

    def close_idle(self) -> None:
        for (_, writer), _ in self.idle:
            writer.close()
        self.idle.clear()


@dataclass(frozen=True)
class Item:
    kind: str  # "html" or "api"
    tag: int  # popularity rank of the tag
    cursor: bool
    path: str
    headers: dict[str, str]
    raw: bytes


def build_plan(
    http: Http, tags: list[str], cursors: dict[str, str], n: int, html_share: float = HTML_SHARE
) -> list[Item]:
    """The request sequence (the same for every run): see the module docstring."""
    rng = random.Random(SEED + 1)
    weight = [1.0 / (rank + 1) ** ZIPF_S for rank in range(len(tags))]
    every = list(itertools.accumulate(weight))
    paged = [rank for rank, slug in enumerate(tags) if slug in cursors]
    paged_cum = list(itertools.accumulate(weight[rank] for rank in paged))
    plan = []
    for _ in range(n):
        html = rng.random() < html_share
        cursor = rng.random() < CURSOR_SHARE and bool(paged)
        if cursor:
            rank = paged[bisect.bisect(paged_cum, rng.random() * paged_cum[-1])]
        else:
            rank = bisect.bisect(every, rng.random() * every[-1])
        slug = tags[rank]
        path = ("/tags/" if html else "/api/v1/tags/") + quote(slug, safe="")
        if cursor:
            path += f"?cursor={cursors[slug]}"
        headers = HTML_HEADERS if html else API_HEADERS
        raw = http.request(path, headers)
        plan.append(Item("html" if html else "api", rank, cursor, path, headers, raw))
    return plan


@dataclass
class Run:
    rate: float
    duration: float
    sent: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"html": [], "api": []})
    errors: dict[str, Counter[str]] = field(
        default_factory=lambda: {"html": Counter(), "api": Counter()}
    )
    lag: list[float] = field(default_factory=list)  # actual send time - scheduled time
    tags: set[int] = field(default_factory=set)
    cursors: int = 0
    elapsed: float = 0.0  # first scheduled send to last response
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    other_cpu: float = 0.0
    peak_in_flight: int = 0
    aborted: bool = False
    slow: Counter[str] = field(default_factory=Counter)  # path -> answers over GOAL_P99
    hits: int = 0  # answers from the server's response cache
    shed: Counter[str] = field(default_factory=Counter)  # kind -> 503s (load shed)
    shed_latencies: list[float] = field(default_factory=list)
    # admitted answers from the moment the client got to send (its own lateness left out)
    from_send: list[float] = field(default_factory=list)
    # admitted answers the server computed (not from its response cache), from the due time
    misses: list[float] = field(default_factory=list)
    wall: tuple[float, float] = (0.0, 0.0)  # wall clock of the first send and the last answer
    # admitted answers' time in the server's app (ServerTimes), once the server has stopped
    in_app: list[float] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / max(1, len(self.all()))

    def all(self) -> list[float]:
        return self.latencies["html"] + self.latencies["api"]

    def shed_count(self) -> int:
        return sum(self.shed.values())

    def error_count(self, kind: str | None = None) -> int:
        kinds = [kind] if kind else ["html", "api"]
        return sum(sum(self.errors[k].values()) for k in kinds)

    def p(self, q: float, kind: str | None = None) -> float:
        return percentile(self.latencies[kind] if kind else self.all(), q)

    @property
    def passed(self) -> bool:
        return (
            not self.aborted
            and self.error_count() == 0
            and self.shed_count() == 0
            and self.p(99) <= GOAL_P99
        )

    @property
    def answered(self) -> int:
        return len(self.all()) + self.error_count() + self.shed_count()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank; inf for an empty list."""
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(len(ordered) * q / 100 + 0.999999) - 1))]


Fetch = Callable[[Item], Awaitable[tuple[int, bool]]]  # (status, from the response cache)


async def open_loop(
    fetch: Fetch, plan: list[Item], rate: float, duration: float, pid: int, abort: bool = True
) -> Run:
    """Send plan[i] at t0 + i / rate, whatever the state of earlier requests; with ``abort``,
    stop once more than BACKLOG_SECONDS of requests are in flight."""
    loop = asyncio.get_running_loop()
    run = Run(rate, duration)
    total = round(rate * duration)
    backlog = max(50.0, rate * BACKLOG_SECONDS)
    in_flight = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(item: Item, due: float) -> None:
        nonlocal in_flight
        started = loop.time()
        run.lag.append(started - due)
        error = None
        shed = hit = False
        try:
            async with asyncio.timeout(TIMEOUT):
                status, hit = await fetch(item)
            if status == 503:
                shed = True  # load shed: answered at once, counted apart from errors
            elif status != 200:
                error = f"HTTP {status}"
        except TimeoutError:
            error = "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            error = type(exc).__name__
        end = loop.time()
        in_flight -= 1
        if shed:
            run.shed[item.kind] += 1
            run.shed_latencies.append(end - due)
        elif error:
            run.errors[item.kind][error] += 1
        else:
            run.latencies[item.kind].append(end - due)
            run.from_send.append(end - started)
            if not hit:
                run.misses.append(end - due)
            if end - due > GOAL_P99:
                run.slow[item.path.partition("?")[0] + ("?cursor" if item.cursor else "")] += 1
        run.elapsed = max(run.elapsed, end - t0)

    # No collection during the run: a full one over the plan and the results stopped the
    # generator for tens of ms (its lateness to send was its own pauses, not the server).
    gc.collect()
    gc.freeze()
    gc.disable()
    cpu = time.process_time(), tree_cpu(pid), machine_busy()
    t0 = loop.time() + 0.05
    wall = time.time() + 0.05
    for i in range(total):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if abort and in_flight > backlog:
            run.aborted = True
            break
        item = plan[i % len(plan)]
        in_flight += 1
        run.peak_in_flight = max(run.peak_in_flight, in_flight)
        run.sent += 1
        run.tags.add(item.tag)
        run.cursors += item.cursor
        task = loop.create_task(one(item, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(set(tasks))
    gc.enable()
    run.wall = (wall, time.time())
    run.client_cpu = time.process_time() - cpu[0]
    run.server_cpu = tree_cpu(pid) - cpu[1]
    run.other_cpu = max(0.0, machine_busy() - cpu[2] - run.client_cpu - run.server_cpu)
    return run


# -- warm-up and checks ----------------------------------------------------------------


async def wait_ready(http: Http, proc: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            status, _ = await http.get(http.request("/api/v1/editions", API_HEADERS))
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


@dataclass
class Checks:
    api_pages: int = 0
    api_cards: int = 0
    html_pages: int = 0
    html_cards: int = 0
    problems: list[str] = field(default_factory=list)


async def checked_get(http: Http, request: bytes) -> tuple[int, bytes]:
    """A GET of the checks, asked again after a 503 (load shed: the server's bound is
    smaller than the checks' concurrency on a cold cache), up to 100 times."""
    for _ in range(100):
        status, body = await http.get(request)
        if status != 503:
            break
        await asyncio.sleep(0.05)
    return status, body


async def first_pages(http: Http, tags: list[str], checks: Checks) -> dict[str, str]:
    """The API's first page of every tag (8 at a time): checked, and their cursors kept."""
    cursors: dict[str, str] = {}
    queue = list(reversed(tags))

    async def worker() -> None:
        while queue:
            slug = queue.pop()
            path = f"/api/v1/tags/{quote(slug, safe='')}"
            status, body = await checked_get(http, http.request(path, API_HEADERS))
            data = json.loads(body) if status == 200 else {}
            cards = len(data.get("articles", []))
            if status != 200 or not cards or data["tag"]["slug"] != slug:
                checks.problems.append(f"{path}: {status}, {cards} cards")
                continue
            checks.api_pages += 1
            checks.api_cards += cards
            if data.get("next"):
                cursors[slug] = str(data["next"])

    await asyncio.gather(*(worker() for _ in range(8)))
    return cursors


async def check_html(http: Http, tags: list[str], cursors: dict[str, str], checks: Checks) -> None:
    """HTML first and second pages of the 25 largest tags: 200, cards, the tag's heading."""
    for slug in tags[:25]:
        for query in ("", f"?cursor={cursors[slug]}" if slug in cursors else None):
            if query is None:
                continue
            path = f"/tags/{quote(slug, safe='')}{query}"
            status, body = await checked_get(http, http.request(path, HTML_HEADERS))
            cards = body.count(b'<article class="card"')
            if status != 200 or not cards or f"#{slug}</h1>".encode() not in body:
                checks.problems.append(f"{path}: {status}, {cards} cards")
                continue
            checks.html_pages += 1
            checks.html_cards += cards


# -- where the time goes ---------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


class Stages:
    """Exclusive wall time of chosen functions (a function's time without the time of the
    other chosen functions it calls), per thread, summed over requests."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._local = threading.local()

    def wrap(self, name: str, fn: F) -> F:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack: list[float] = self._local.__dict__.setdefault("stack", [])
            stack.append(0.0)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                inner = stack.pop()
                self.seconds[name] += elapsed - inner
                self.calls[name] += 1
                if stack:
                    stack[-1] += elapsed

        return timed  # type: ignore[return-value]


STAGE_NAMES = {
    "find_tag": "tag lookup (`service.find_tag`, SQL by alias key)",
    "list_cards": "tag list query (`Store.list_cards` without its cards)",
    "_cards": "cards (`Store._cards`: articles + sources, tags, copies: 3 queries)",
    "timeline": "timeline SQL (`Store.timeline`, 30 days of sort times)",
    "timeline_json": "timeline in Python (`timeline_json`: Counter, 30 days)",
    "related_entities": "related tags SQL (`Store.related_entities`, 14-day self-join)",
    "related_json": "related tags in Python (`related_json`)",
    "render": "Jinja2 rendering (`Template.render`, without the date filters)",
    "relative": "Babel `format_timedelta` (filter `relative`)",
    "exact": "Babel `format_datetime` (filter `exact`)",
    "negotiate_locale": "Accept-Language (`negotiate_locale`, Babel)",
    "validate": "pydantic validation (query parameters; response model of the API)",
    "serialize_json": "JSON serialisation of the response model (pydantic)",
    "blake2b": "ETag middleware: BLAKE2b of the body",
}


def run_stage_times(db: Path, plan: list[Item], n: int) -> dict[str, Any]:
    return asyncio.run(stage_times(db, plan, n))


async def stage_times(db: Path, plan: list[Item], n: int) -> dict[str, Any]:
    """Time the stages of ``n`` requests of the plan, one at a time, in this process, through
    the real app (httpx.ASGITransport): handlers run in the thread pool as under uvicorn."""
    import fastapi._compat.v2 as compat
    import jinja2

    from tagwire.service import tag_queries
    from tagwire.web import http as web_http
    from tagwire.web.app import create_app
    from tagwire.web.pages import rendering as pages

    stages = Stages()
    patched: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, attr: str, name: str) -> None:
        patched.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, stages.wrap(name, getattr(owner, attr)))

    patch(tag_queries, "find_tag", "find_tag")
    patch(Store, "list_cards", "list_cards")
    patch(Store, "_cards", "_cards")
    patch(Store, "timeline", "timeline")
    patch(tag_queries, "timeline_json", "timeline_json")
    patch(Store, "related_entities", "related_entities")
    patch(tag_queries, "related_json", "related_json")
    patch(jinja2.Template, "render", "render")
    patch(pages, "negotiate_locale", "negotiate_locale")
    patch(compat.ModelField, "validate", "validate")
    patch(compat.ModelField, "serialize_json", "serialize_json")
    filters = pages.templates.env.filters
    old_filters = dict(filters)
    filters["relative"] = stages.wrap("relative", filters["relative"])
    filters["exact"] = stages.wrap("exact", filters["exact"])
    module = vars(web_http)  # its `hashlib`, to time the ETag's hashing
    old_hashlib = module["hashlib"]
    module["hashlib"] = SimpleNamespace(blake2b=stages.wrap("blake2b", hashlib.blake2b))
    store = Store(f"sqlite:///{db}")
    collections: list[tuple[int, float]] = []  # (generation, seconds) of each GC run
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif counting[0]:
            collections.append((int(info["generation"]), time.perf_counter() - gc_started[0]))

    counting = [False]
    gc.callbacks.append(on_gc)
    wall: dict[str, list[float]] = {"html": [], "api": []}
    per_kind: dict[str, defaultdict[str, float]] = {
        "html": defaultdict(float),
        "api": defaultdict(float),
    }
    try:
        app = create_app(store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for index, item in enumerate(plan[: n + 50]):  # the first 50 warm up
                before = dict(stages.seconds)
                started = time.perf_counter()
                response = await client.get(item.path, headers=item.headers)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{item.path}: {response.status_code}")
                counting[0] = index >= 49
                if index >= 50:
                    wall[item.kind].append(elapsed)
                    for key, value in stages.seconds.items():
                        per_kind[item.kind][key] += value - before.get(key, 0.0)
    finally:
        gc.callbacks.remove(on_gc)
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)
        filters.clear()
        filters.update(old_filters)
        module["hashlib"] = old_hashlib
        store.close()
    return {"wall": wall, "stages": per_kind, "gc": collections}


# -- py-spy ----------------------------------------------------------------------------

SPY_PACKAGES = (  # the innermost Python frame of a sample names what the CPU was doing
    (("babel/",), "Babel (date formatting, locale negotiation)"),
    (("sqlalchemy/",), "SQLAlchemy (statements, result rows, pool)"),
    (("tagwire/store/",), "tagwire store code (rows to records, UTC datetimes)"),
    (("jinja2/", "markupsafe/"), "Jinja2 rendering"),
    (("pydantic", "json/", "fastapi/encoders", "fastapi/_compat"), "pydantic and JSON"),
    (("h11/", "httptools/", "uvicorn/"), "uvicorn + httptools (HTTP parsing and writing)"),
    (("starlette/", "fastapi/", "anyio/"), "Starlette, FastAPI, anyio (routing, middlewares)"),
    (
        ("asyncio/", "uvloop/", "threading.py", "concurrent/", "selectors.py"),
        "asyncio/uvloop loop and threads",
    ),
    (("tagwire/",), "tagwire other code (service, pages, middlewares)"),
)
IDLE_FRAMES = {("EpollSelector.select", "selectors.py"), ("Condition.wait", "threading.py")}
SQLITE_CALLS = ("do_execute", "_fetchall_impl", "_fetchone_impl", "_fetchmany_impl")
SQLITE = "SQLite itself (sqlite3: executing statements, stepping rows)"
SPY_STAGES = {  # a sample is in a stage when a frame on its stack is that function
    "HTML handler `pages.tag_page`": ("tag_page", "tagwire/web/pages/news.py"),
    "API handler `api.tag`": ("tag", "tagwire/web/api.py"),
    "`service.related_json`": ("related_json", "tagwire/service/tag_queries.py"),
    "`service.timeline_json`": ("timeline_json", "tagwire/service/tag_queries.py"),
    "`Store.list_cards`": ("Store.list_cards", "tagwire/store/__init__.py"),
    "`Store._cards`": ("Store._cards", "tagwire/store/__init__.py"),
    "`service.find_tag`": ("find_tag", "tagwire/service/tag_queries.py"),
    "Jinja2 `Template.render`": ("Template.render", "jinja2/environment.py"),
    "Babel `format_timedelta`, `format_datetime`": ("", "babel/dates.py"),
    "`UTCDateTime.process_result_value`": (
        "UTCDateTime.process_result_value",
        "tagwire/store/schema.py",
    ),
}
_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^()]*):\d+\)$")


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def read_spy(out: Path, err: bytes) -> str:
    """py-spy's raw output (then removed)."""
    if not out.is_file():
        raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
    raw = out.read_text(encoding="utf-8", errors="replace")
    out.unlink()
    return raw


def spy_categories(raw: str) -> tuple[int, Counter[str], Counter[str]]:
    """(samples, samples by innermost package, samples by stage) of py-spy's raw output."""
    by_package: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [(m["func"], m["path"]) for f in stack.split(";") if (m := _FRAME.match(f))]
        if frames and frames[-1] in IDLE_FRAMES:
            continue  # a thread waiting (epoll, the thread pool's queue), not on CPU
        n = int(count)
        total += n
        category = "other (stdlib, C calls outside these)"
        leaf_func, leaf_path = frames[-1] if frames else ("", "")
        if leaf_path.startswith("sqlalchemy/engine/") and leaf_func.endswith(SQLITE_CALLS):
            category = SQLITE
        else:
            for _, path in reversed(frames):
                hit = next((name for parts, name in SPY_PACKAGES if path.startswith(parts)), None)
                if hit or path.endswith(".html"):
                    category = hit or "Jinja2 rendering"
                    break
        by_package[category] += n
        for stage, (func_name, path) in SPY_STAGES.items():
            if any(p == path and (not func_name or f == func_name) for f, p in frames):
                by_stage[stage] += n
    return total, by_package, by_stage


# -- the measurements ------------------------------------------------------------------

# A --compare variant: the load shedding's bound, wait, hold, bound in an overload; the
# server's GIL switch interval (s).
Variant = tuple[int | None, float | None, float | None, int | None, float | None]
QUIET_CORES = 0.15  # the machine is quiet when others use less than this many cores
DISTURBED_CORES = 0.15  # a run is measured again when others took this many cores


@dataclass
class Settings:
    rate: float = GOAL_RATE  # the goal's rate, requests/s
    html_share: float = HTML_SHARE  # of the requests, the share of HTML pages (else API)
    extras: bool = True  # the TCP_NODELAY check and the client's overhead too
    goal_seconds: float = 60.0
    search_seconds: float = 20.0
    warm_seconds: float = 10.0
    bisections: int = BISECTIONS
    quiet_wait: float = 120.0
    rounds: int = 2
    profile: bool = False
    overload: bool = True  # after the search: OVERLOAD_FACTOR x the highest passing rate
    overload_seconds: float = 30.0
    overload_at: float | None = None  # take this as the highest passing rate (no search)
    unbounded: bool = True  # the overload run again without load shedding, to compare
    max_in_flight: int | None = None  # TAGWIRE_MAX_IN_FLIGHT of the server (None: default)
    queue_wait: float | None = None  # TAGWIRE_QUEUE_WAIT of the server (None: default)
    after_seconds: float = 10.0  # the run at half the passing rate after the overload
    hold: float | None = None  # LoadShedding's hold (None: its default)
    # side by side: (bound, wait, hold) variants of the overload run, in turn each round
    compare: list[Variant] = field(default_factory=list)
    overload_limit: int | None = None  # LoadShedding's bound during its hold (None: default)
    switch: float | None = None  # the server's sys.setswitchinterval (None: Python's 5 ms)
    compare_rounds: int = 1
    protocol: str = "tagwire"  # of PROTOCOLS
    uvicorn_args: tuple[str, ...] = ()  # --backlog N, --limit-concurrency N


@dataclass
class Overload:
    """The overload run: the bounded server at OVERLOAD_FACTOR x ``best``, /healthz probed
    during it, a run at half ``best`` right after, and the same overload without shedding."""

    best: float
    run: Run
    health: list[tuple[int, float]]  # (status, seconds) of each probe during the run
    alive: bool
    after: Run
    unbounded: Run | None = None
    load_average: float = 0.0  # the machine's 1-minute load average as the run started


@dataclass
class Compared:
    """One overload run of a side-by-side comparison, with what else ran on the machine."""

    round: int
    started: datetime
    bound: int | None
    wait: float | None
    hold: float | None
    load_average: float  # 1-minute load average at the start
    load: Overload
    overload_limit: int | None = None
    switch: float | None = None


@dataclass
class Outcome:
    workers: int
    checks: Checks
    paged_tags: int
    goal: Run
    search: list[Run]
    best: float | None
    client: dict[str, tuple[float, int]] = field(default_factory=dict)
    spy: tuple[int, Counter[str], Counter[str]] | None = None
    spy_run: Run | None = None
    nodelay: tuple[Run, Run] | None = None  # as served, and with TCP_NODELAY forced
    overload: Overload | None = None
    compared: list[Compared] = field(default_factory=list)


class Bench:
    def __init__(self, url: str, workers: int, tags: list[str], settings: Settings) -> None:
        self.url = url
        self.workers = workers
        self.tags = tags
        self.settings = settings
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = Http(self.port)
        self.plan: list[Item] = []
        self.overloaded = False  # the last run failed: the server may still be busy with it
        self.times = Path(tempfile.mkdtemp(prefix="tagwire-bench-times-"))  # ServerTimes
        self.timed: list[Run] = []  # runs whose in_app times come when the server stops

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def fetch(self, item: Item) -> tuple[int, bool]:
        status, _, hit = await self.http.get_marked(item.raw)
        return status, hit

    async def quiet(self) -> float:
        """Wait until the server is idle (it may still be answering requests that a
        stopped run gave up on) and other processes than this one and the server have used
        less than QUIET_CORES, for 2 s (at most settings.quiet_wait); the seconds waited."""
        started = time.monotonic()
        calm = 0
        while calm < 2 and time.monotonic() - started < self.settings.quiet_wait:
            server, busy, mine = tree_cpu(self.pid), machine_busy(), time.process_time()
            await asyncio.sleep(1.0)
            server = tree_cpu(self.pid) - server
            others = machine_busy() - busy - (time.process_time() - mine) - server
            calm = calm + 1 if others < QUIET_CORES and server < 0.05 else 0
        return time.monotonic() - started

    async def measure(self, rate: float, seconds: float, abort: bool = True) -> Run:
        """One run at ``rate``; again (up to settings.rounds) when other processes took
        more than DISTURBED_CORES; the least disturbed run is kept."""
        kept: Run | None = None
        for _ in range(self.settings.rounds):
            if self.overloaded:
                await self.restart()
            await self.quiet()
            self.http.close_idle()
            hits = self.http.hits
            run = await open_loop(self.fetch, self.plan, rate, seconds, self.pid, abort)
            run.hits = self.http.hits - hits
            self.overloaded = not run.passed
            await asyncio.sleep(1.0)
            if kept is None or others(run) < others(kept):
                kept = run
            print("   ", describe(run), flush=True)
            if others(run) <= DISTURBED_CORES:
                break
        assert kept is not None
        return kept

    async def search(self, first: Run) -> tuple[float | None, list[Run]]:
        """The highest rate with p99 <= GOAL_P99 and no errors: x STEP up from the goal
        rate until a run fails, or halving down until one passes (or MIN_RATE fails), then
        bisections. Runs last settings.search_seconds, or longer at low rates, so that
        each has at least SEARCH_REQUESTS requests (at most 60 s)."""
        runs: list[Run] = []
        passing: float | None = first.rate if first.passed else None
        failing: float | None = None if first.passed else first.rate
        rate = first.rate
        while passing is None or failing is None:
            rate = round(rate * STEP) if failing is None else max(MIN_RATE, round(rate / 2))
            run = await self.measure(rate, self._seconds(rate))
            runs.append(run)
            if run.passed:
                passing = rate
            else:
                failing = rate
                if rate <= MIN_RATE:
                    return None, runs
        for _ in range(self.settings.bisections):
            if failing - passing <= 1:
                break
            rate = round((passing + failing) / 2)
            run = await self.measure(rate, self._seconds(rate))
            runs.append(run)
            if run.passed:
                passing = rate
            else:
                failing = rate
        return passing, runs

    def _seconds(self, rate: float) -> float:
        return min(60.0, max(self.settings.search_seconds, SEARCH_REQUESTS / rate))

    async def client_overhead(self, rate: float) -> dict[str, tuple[float, int]]:
        """CPU of this process per request: the raw client, then httpx.AsyncClient, each
        for 10 s at ``rate`` on the same plan."""
        found: dict[str, tuple[float, int]] = {}
        run = await self.measure(rate, 10.0)
        found["raw asyncio streams (used)"] = (run.client_cpu / run.answered, run.answered)
        limits = httpx.Limits(max_connections=MAX_CONNECTIONS)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", limits=limits, timeout=TIMEOUT
        ) as client:

            async def fetch(item: Item) -> tuple[int, bool]:
                response = await client.get(item.path, headers=item.headers)
                return response.status_code, response.headers.get("x-cache") == "hit"

            await self.quiet()
            run = await open_loop(fetch, self.plan, rate, 10.0, self.pid)
            print("    httpx:", describe(run), flush=True)
        found["httpx.AsyncClient"] = (run.client_cpu / max(run.answered, 1), run.answered)
        return found

    async def profile(self, seconds: float) -> tuple[tuple[int, Counter[str], Counter[str]], Run]:
        """py-spy on the server (GIL holders only) during ``seconds`` at the goal rate."""
        spy = py_spy()
        if spy is None:
            raise RuntimeError("py-spy is not installed: pip install py-spy")
        out = Path(f"/tmp/tagwire-bench-load-{os.getpid()}.spy")
        await self.quiet()
        self.http.close_idle()
        command = [
            *(spy, "record", "--pid", str(self.pid), "--nonblocking"),
            *("--rate", "200", "--duration", str(round(seconds - 2)), "--format", "raw"),
            *("--output", str(out), "--subprocesses"),
        ]
        recorder = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        rate = self.settings.rate
        run = await open_loop(self.fetch, self.plan, rate, seconds, self.pid, abort=False)
        _, err = await recorder.communicate()
        return spy_categories(read_spy(out, err)), run

    async def nodelay_check(self) -> tuple[Run, Run]:
        """uvicorn's --workers mode binds its socket with protocol number 0, so asyncio does
        not set TCP_NODELAY on the connections it accepts (it checks for IPPROTO_TCP), and
        Nagle's algorithm with the client's delayed ACKs may hold a response's last segment
        ~40 ms: 20 s at NODELAY_RATE with uvicorn's httptools protocol, then tagwire's."""
        await self.restart(nodelay=False)
        plain = await self.measure(NODELAY_RATE, 20.0)
        await self.restart()
        forced = await self.measure(NODELAY_RATE, 20.0)
        return plain, forced

    async def restart(
        self, nodelay: bool = True, max_in_flight: int | None = None, protocol: str | None = None
    ) -> None:
        """A new server (an overloaded one answers, for minutes, requests that the client
        gave up on), warmed up by 200 requests of the plan, 4 at a time."""
        self.http.close_idle()
        if self.proc is not None:
            stop_server(self.proc)
            self.server_times()
        bound = self.settings.max_in_flight if max_in_flight is None else max_in_flight
        self.proc = start_server(
            self.url,
            self.workers,
            self.port,
            nodelay,
            bound,
            protocol or self.settings.protocol,
            self.settings.uvicorn_args,
            self.settings.queue_wait,
            self.settings.hold,
            self.times,
            self.settings.overload_limit,
            self.settings.switch,
        )
        await wait_ready(self.http, self.proc)
        queue = list(reversed(self.plan[:200]))

        async def worker() -> None:
            while queue:
                await self.fetch(queue.pop())

        await asyncio.gather(*(worker() for _ in range(4)))
        self.overloaded = False

    async def overload(self, best: float) -> Overload:
        """OVERLOAD_FACTOR x ``best`` on a fresh server for settings.overload_seconds (never
        stopped for its backlog), /healthz probed every HEALTH_EVERY s on a connection of
        its own; then, on the same server, 10 s at half ``best``: it answers at once again.
        Then the same overload on a server without shedding (TAGWIRE_MAX_IN_FLIGHT=0 and
        the protocol without shedding by age), stopped once its backlog passes
        BACKLOG_SECONDS."""
        rate = round(best * OVERLOAD_FACTOR)
        seconds = self.settings.overload_seconds
        await self.restart()
        await self.quiet()
        self.http.close_idle()
        probe = Http(self.port, limit=1)
        health: list[tuple[int, float]] = []
        done = asyncio.Event()

        async def monitor() -> None:
            raw = probe.request("/healthz", API_HEADERS)
            while not done.is_set():
                started = time.monotonic()
                try:
                    status, _ = await asyncio.wait_for(probe.get(raw), TIMEOUT)
                except (OSError, TimeoutError, asyncio.IncompleteReadError):
                    status = 0
                health.append((status, time.monotonic() - started))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), HEALTH_EVERY)

        load_average = os.getloadavg()[0]
        watcher = asyncio.create_task(monitor())
        hits = self.http.hits
        run = await open_loop(self.fetch, self.plan, rate, seconds, self.pid, abort=False)
        run.hits = self.http.hits - hits
        done.set()
        await watcher
        probe.close_idle()
        print("   ", describe(run), flush=True)
        assert self.proc is not None
        alive = self.proc.poll() is None
        self.http.close_idle()
        hits = self.http.hits
        after = await open_loop(
            self.fetch, self.plan, round(best / 2), self.settings.after_seconds, self.pid
        )
        after.hits = self.http.hits - hits
        print("    right after, at half the rate:", describe(after), flush=True)
        outcome = Overload(best, run, health, alive, after, load_average=load_average)
        self.timed += [run, after]
        if self.settings.unbounded:
            await self.restart(max_in_flight=0, protocol="tagwire")  # no shedding at all
            await self.quiet()
            self.http.close_idle()
            hits = self.http.hits
            outcome.unbounded = await open_loop(self.fetch, self.plan, rate, seconds, self.pid)
            outcome.unbounded.hits = self.http.hits - hits
            print("    without load shedding:", describe(outcome.unbounded), flush=True)
            self.overloaded = True
        return outcome

    async def compare(self, best: float) -> list[Compared]:
        """The overload run (and the run at half ``best`` right after) of each variant of
        settings.compare in turn, settings.compare_rounds times: variants taken within the
        same minutes share the machine's noise."""
        found: list[Compared] = []
        for number in range(1, self.settings.compare_rounds + 1):
            for bound, wait, hold, overload_limit, switch in self.settings.compare:
                self.settings.max_in_flight, self.settings.queue_wait = bound, wait
                self.settings.hold, self.settings.overload_limit = hold, overload_limit
                self.settings.switch = switch
                print(
                    f"  round {number}: bound {bound}, wait {wait}, hold {hold}, "
                    f"bound in an overload {overload_limit}, switch interval {switch}:",
                    flush=True,
                )
                started, load_average = datetime.now(UTC), os.getloadavg()[0]
                load = await self.overload(best)
                found.append(
                    Compared(
                        number,
                        started,
                        bound,
                        wait,
                        hold,
                        load_average,
                        load,
                        overload_limit,
                        switch,
                    )
                )
        return found

    async def run(self) -> Outcome:
        self.proc = start_server(
            self.url,
            self.workers,
            self.port,
            max_in_flight=self.settings.max_in_flight,
            protocol=self.settings.protocol,
            uvicorn_args=self.settings.uvicorn_args,
            queue_wait=self.settings.queue_wait,
        )
        try:
            await wait_ready(self.http, self.proc)
            print(f"server up: {self.workers} process(es), port {self.port}", flush=True)
            checks = Checks()
            cursors = await first_pages(self.http, self.tags, checks)
            await check_html(self.http, self.tags, cursors, checks)
            print(
                f"  checked {checks.api_pages} API and {checks.html_pages} HTML pages, "
                f"{len(checks.problems)} problems {checks.problems[:3]}",
                flush=True,
            )
            rate = self.settings.rate
            size = round(max(rate * 2, 5000) * max(self.settings.goal_seconds, 60))
            self.plan = build_plan(self.http, self.tags, cursors, size, self.settings.html_share)
            await self.quiet()
            await open_loop(self.fetch, self.plan, rate, self.settings.warm_seconds, self.pid)
            if self.settings.overload_at is not None and self.settings.compare:
                given = self.settings.overload_at
                outcome = Outcome(self.workers, checks, len(cursors), Run(given, 0.0), [], given)
                outcome.compared = await self.compare(given)
                return outcome
            if self.settings.overload_at is not None:  # the overload run alone
                print("  overload:", flush=True)
                load = await self.overload(self.settings.overload_at)
                given = self.settings.overload_at
                outcome = Outcome(self.workers, checks, len(cursors), load.after, [], given)
                outcome.overload = load
                return outcome
            print(f"  {rate:.0f}/s for {self.settings.goal_seconds:.0f} s:", flush=True)
            goal = await self.measure(rate, self.settings.goal_seconds, abort=False)
            print("  search:", flush=True)
            best, runs = await self.search(goal)
            outcome = Outcome(self.workers, checks, len(cursors), goal, runs, best)
            if self.settings.overload and best is not None:
                print(f"  overload ({OVERLOAD_FACTOR:g} x {best:.0f}/s):", flush=True)
                outcome.overload = await self.overload(best)
            if self.workers > 1 and self.settings.extras:
                print("  TCP_NODELAY:", flush=True)
                outcome.nodelay = await self.nodelay_check()
            if self.workers == 1 and self.settings.extras:
                print("  client overhead:", flush=True)
                outcome.client = await self.client_overhead(max(5.0, round((best or 20) / 2)))
                if self.settings.profile:
                    print("  py-spy:", flush=True)
                    outcome.spy, outcome.spy_run = await self.profile(20.0)
            return outcome
        finally:
            self.http.close_idle()
            if self.proc is not None:
                stop_server(self.proc)
                self.server_times()
            shutil.rmtree(self.times, ignore_errors=True)

    def server_times(self) -> None:
        """The stopped server's record of its requests, to the runs they belong to."""
        records = read_server_times(self.times)
        for path in self.times.glob("*.txt"):
            path.unlink()
        for run in self.timed:
            start, end = run.wall
            run.in_app = [s for w, s, status in records if status == 200 and start <= w <= end]
        self.timed.clear()


def others(run: Run) -> float:
    """Cores other processes used on average during a run."""
    return run.other_cpu / max(run.elapsed, 1e-9)


def ms(seconds: float) -> str:
    if seconds == float("inf"):
        return "—"
    return f"{seconds * 1000:.0f}" if seconds >= 0.1 else f"{seconds * 1000:.1f}"


def describe(run: Run) -> str:
    verdict = "pass" if run.passed else "FAIL"
    return (
        f"{run.rate:.0f}/s: sent {run.sent}, answered {len(run.all())}, "
        + (
            f"shed (503) {run.shed_count()} in p99 {ms(percentile(run.shed_latencies, 99))} ms, "
            if run.shed_count()
            else ""
        )
        + f"errors {run.error_count()} {dict(run.errors['html'] + run.errors['api'])}"
        f"{' (stopped: backlog)' if run.aborted else ''}; "
        f"p50 {ms(run.p(50))} p90 {ms(run.p(90))} p99 {ms(run.p(99))} max {ms(run.p(100))} ms; "
        f"html p99 {ms(run.p(99, 'html'))}, api p99 {ms(run.p(99, 'api'))}; cpu server "
        f"{run.server_cpu / max(run.elapsed, 1e-9):.2f}, client "
        f"{run.client_cpu / max(run.elapsed, 1e-9):.2f}, others {others(run):.2f} cores; "
        f"cache hits {run.hit_rate:.0%}; client late to send p50 {ms(percentile(run.lag, 50))} "
        f"p99 {ms(percentile(run.lag, 99))} ms; admitted from the send p50 "
        f"{ms(percentile(run.from_send, 50))} p99 {ms(percentile(run.from_send, 99))} ms; "
        f"admitted misses {len(run.misses)}, p50 {ms(percentile(run.misses, 50))} p99 "
        f"{ms(percentile(run.misses, 99))} ms; {verdict}"
    )


# -- the report ------------------------------------------------------------------------


def cores(run: Run, cpu: float) -> str:
    return f"{cpu / max(run.elapsed, 1e-9):.2f}"


def render(
    outcomes: list[Outcome],
    summary: dict[str, Any],
    stages: dict[str, Any] | None,
    settings: Settings,
    measured: str,
) -> str:
    top = ", ".join(f"#{slug} {n:,}" for slug, n in summary["top"])
    fewest, most = summary["tags_per_article"]
    first = outcomes[0]
    checks = first.checks
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}, tagwire at {measured}. "
        f"Rerun: `{COMMAND}` from the repository root (`--profile` adds the profile below, "
        "`--quick` makes short runs and leaves this file alone). The method is in the "
        "docstring of `bench/load.py`.",
        "",
        f"**Database** (SQLite, {summary['size_mb']:.0f} MB, built once by bulk inserts that "
        "write the rows `Writer.insert_article` writes): "
        f"{summary['articles']:,} listed articles in {summary['stories']:,} stories over the "
        f"last {DAYS} days, {summary['tagged']:,} tags with {summary['tag_rows']:,} "
        f"`article_tags` rows ({fewest}-{most} per article, Zipf-Mandelbrot popularity: "
        f"{top} articles); BBC News texts, CoNLL-2003 entity names.",
        "",
        "**Server**: `uvicorn bench.load:make_app --factory`, i.e. `create_app(Store(url))` as "
        "`tagwire serve` runs it (without the poller), with its HTTP protocol (httptools, "
        "`TCP_NODELAY` on every connection) on uvloop, with "
        f"{' and with '.join(str(o.workers) for o in outcomes)} worker process(es). "
        "Each process keeps "
        "answers in its response cache (`TAGWIRE_CACHE_SECONDS`, default 30 s; entries also "
        "go when an article changes them, but none arrives during the runs); the hit rate "
        "is the share of answers marked `X-Cache: hit`. Clients send no `If-None-Match`.",
        "",
        f"**Load**: open loop (request *i* sent at t0 + *i*/rate whatever earlier ones did), "
        f"from one client process on the same {len(os.sched_getaffinity(0))} cores as the "
        "server (so the client's CPU, in the tables, is taken from the server). Half the "
        "requests are the HTML page `/tags/{slug}` (browser `Accept` and `Accept-Language`), "
        f"half `/api/v1/tags/{{slug}}`; tags drawn Zipf (s = {ZIPF_S}) over the "
        f"{len(first.checks.problems) * 0 + REQUEST_TAGS:,} tags with most articles "
        f"(largest first; the smallest has {summary['smallest_requested']} articles); one "
        "request in five with `?cursor=` (the tag's second page, from its first page in the "
        "warm-up); no conditional headers. Latency runs from the scheduled send time to the "
        "last byte, so queueing counts; an error is a status other than 200, a failed "
        f"connection or no answer in {TIMEOUT:.0f} s. Before measuring, the first API page "
        f"of all {REQUEST_TAGS:,} tags and the first two HTML pages of the 25 largest were "
        f"checked (status 200, cards, the tag's heading): {checks.api_pages:,} API pages "
        f"with {checks.api_cards / max(checks.api_pages, 1):.0f} cards each, "
        f"{checks.html_pages} HTML pages with "
        f"{checks.html_cards / max(checks.html_pages, 1):.0f} story groups of cards each, "
        f"{len(checks.problems)} problems; then {settings.warm_seconds:.0f} s "
        f"at {GOAL_RATE:.0f}/s, not counted.",
        "",
        f"### {GOAL_RATE:.0f} requests/s for {settings.goal_seconds:.0f} s "
        f"(goal: p99 <= {GOAL_P99 * 1000:.0f} ms, no errors)",
        "",
        "| server | sent | answered (200) | errors | answers/s | cache hits | p50 ms | p90 ms "
        "| p99 ms "
        "| max ms | HTML p50 / p99 ms | API p50 / p99 ms | CPU cores: server, client, others "
        "| goal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        g = o.goal
        errors = ", ".join(
            f"{n} {e}" for e, n in (g.errors["html"] + g.errors["api"]).most_common()
        )
        lines.append(
            f"| {o.workers} process{'es' if o.workers > 1 else ''} | {g.sent:,} "
            f"| {len(g.all()):,} | {g.error_count():,}{f' ({errors})' if errors else ''} "
            f"| {len(g.all()) / max(g.elapsed, 1e-9):.0f} | {g.hit_rate:.0%} "
            f"| {ms(g.p(50))} | {ms(g.p(90))} "
            f"| {ms(g.p(99))} | {ms(g.p(100))} | {ms(g.p(50, 'html'))} / {ms(g.p(99, 'html'))} "
            f"| {ms(g.p(50, 'api'))} / {ms(g.p(99, 'api'))} | {cores(g, g.server_cpu)}, "
            f"{cores(g, g.client_cpu)}, {others(g):.2f} "
            f"| {'met' if g.passed else '**missed**'} |"
        )
    g = first.goal
    lines += [
        "",
        "Above its capacity each server process computes at most `TAGWIRE_MAX_IN_FLIGHT` "
        "requests at once (the response cache's hits aside) and answers the others 503 with "
        "`Retry-After` at once (see the next section); a 503 counts as a failed run here. "
        "Without that bound (`TAGWIRE_MAX_IN_FLIGHT=0`) every request it has read waits for "
        "one of the thread pool's 40 threads, and it goes on computing answers for requests "
        f"the client gave up on after {TIMEOUT:.0f} s and needs minutes to drain; the server "
        "is restarted after every failed run either way.",
        "",
        f"Each run drew {len(g.tags):,} distinct tags, {g.cursors / max(g.sent, 1):.0%} of "
        f"requests with a cursor; every requested tag has a second page. 'answers/s' counts "
        "200s over the time from the first scheduled send to the last answer; 'others' is "
        "the CPU that processes other than the server and the client took (the machine is "
        "shared; a run is repeated once when others took more than "
        f"{DISTURBED_CORES} cores, and the less disturbed run kept).",
        "",
        f"### Highest rate with p99 <= {GOAL_P99 * 1000:.0f} ms and no errors",
        "",
        f"From the {GOAL_RATE:.0f}/s run: x{STEP} up until a run fails, or halving down "
        f"until one passes (down to {MIN_RATE}/s), then up to {settings.bisections} "
        f"bisections. Runs of {settings.search_seconds:.0f} s, or of {SEARCH_REQUESTS} "
        "requests at low rates (60 s at most); a run is stopped (failed) once more than "
        f"{BACKLOG_SECONDS:.0f} s of requests are waiting, and the server restarted after "
        "every failed run. 'stopped' = the backlog stop; 'pass' = p99 within the goal.",
        "",
        "| server | highest passing rate | runs: rate/s -> p99 ms (errors) |",
        "|---|---|---|",
    ]
    for o in outcomes:
        runs = "; ".join(
            f"{r.rate:.0f} -> {ms(r.p(99))}"
            + (f" ({r.error_count()})" if r.error_count() else "")
            + (" stopped" if r.aborted else "")
            + (" pass" if r.passed else "")
            for r in o.search
        )
        best = f"**{o.best:.0f}/s**" if o.best is not None else "none"
        lines.append(f"| {o.workers} process{'es' if o.workers > 1 else ''} | {best} | {runs} |")
    for o in outcomes:
        if o.nodelay is None:
            continue
        plain, forced = o.nodelay
        lines += [
            "",
            f"With {o.workers} processes, uvicorn's `--workers` mode binds its socket with "
            "protocol number 0, so asyncio does not set `TCP_NODELAY` on the connections it "
            "accepts (it checks for `IPPROTO_TCP`; the 1-process server's socket has it), and "
            "Nagle's algorithm with the client's delayed ACKs holds the end of many responses "
            "for ~40 ms; tagwire's HTTP protocol (`tagwire.web.server.PROTOCOL`, used in "
            "every run above) sets it on each connection. Side by side at "
            f"{NODELAY_RATE:.0f}/s for 20 s: uvicorn's httptools protocol p50 "
            f"{ms(plain.p(50))} ms, "
            f"p99 {ms(plain.p(99))} ms; tagwire's p50 {ms(forced.p(50))} ms, p99 "
            f"{ms(forced.p(99))} ms.",
        ]
    slowest = min((r for r in first.search if not r.aborted), key=lambda r: r.rate, default=None)
    if slowest is not None and slowest.slow:
        total_slow = sum(slowest.slow.values())
        paths = ", ".join(f"`{path}` {n}" for path, n in slowest.slow.most_common(6))
        lines += [
            "",
            f"At {slowest.rate:.0f}/s with {first.workers} process(es) (no queueing to speak of), "
            f"{total_slow} of {len(slowest.all())} answers took more than "
            f"{GOAL_P99 * 1000:.0f} ms: {paths}. The HTML pages of the largest tags are "
            "slow by themselves (see the profile), and a full (generation 2) garbage "
            "collection stops the process for tens of ms every few dozen such pages.",
        ]
    if first.client:
        (raw_cpu, _), (httpx_cpu, _) = list(first.client.values())
        lag = percentile(first.goal.lag, 99)
        lines += [
            "",
            f"**The load generator's cost**: {raw_cpu * 1000:.2f} ms of CPU per request "
            f"(httpx.AsyncClient on the same requests: {httpx_cpu * 1000:.2f} ms), i.e. "
            f"{raw_cpu * GOAL_RATE:.2f} of a core at {GOAL_RATE:.0f}/s taken from the server's "
            f"2 cores; p99 of its send lag (actual minus scheduled send) in the "
            f"{GOAL_RATE:.0f}/s run with {first.workers} process(es): {ms(lag)} ms.",
        ]
    if first.spy is not None and first.spy_run is not None:
        total, packages, spy_stages = first.spy
        lines += [
            "",
            "### Where the server's time goes",
            "",
            "py-spy (`record --nonblocking`, 200 Hz, threads on CPU only: waits in epoll and on "
            "the thread pool's queue left out) on the 1-process server during 18 s of 20 s at "
            f"{GOAL_RATE:.0f}/s ({describe(first.spy_run).split(';')[0]}): {total:,} samples. "
            "By the innermost Python frame of each sample (a C call counts for the Python line "
            "that made it; SQLite runs without the GIL, beside Python code on the other core):",
            "",
            "| what | share of CPU samples |",
            "|---|---|",
            *(f"| {name} | {n / max(total, 1):.0%} |" for name, n in packages.most_common()),
            "",
            "Inclusive shares (samples with that function on the stack):",
            "",
            "| function | share of CPU samples |",
            "|---|---|",
            *(
                f"| {name} | {spy_stages[name] / max(total, 1):.0%} |"
                for name in SPY_STAGES
                if spy_stages[name]
            ),
        ]
    if stages is not None:
        lines += ["", *stage_table(stages)]
    return "\n".join(lines) + "\n"


def render_compared(rows: list[Compared], measured: str, given: float) -> str:
    """The side-by-side table of ``--compare``: one line per overload run, with its run at
    half the passing rate right after, and the machine's load beside each."""

    def shown(value: float | int | None, unit: float = 1.0) -> str:
        return "default" if value is None else f"{value * unit:g}"

    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}, tagwire at {measured}; "
        f"{OVERLOAD_FACTOR:g} x {given:.0f}/s (the highest passing rate given), then half "
        f"of {given:.0f}/s on the same server. Bound = TAGWIRE_MAX_IN_FLIGHT, wait = "
        "TAGWIRE_QUEUE_WAIT in ms, hold = LoadShedding's hold in ms (after a request waited "
        "in vain, how long requests past the bound are shed at once); 'load' = the 1-minute "
        "load average at the start; "
        "'others' = cores other processes took during the run (/proc/stat).",
        "",
        "| round | start (UTC) | bound | wait ms | hold ms | bound in an overload "
        "| GIL switch ms | load "
        "| others | admitted (200) "
        "| shed (503) "
        "| 503 p99 ms | admitted p50 / p99 / max ms | client late p99 ms "
        "| from the send p99 ms | computed (misses): n, p99 ms | in the app p99 ms "
        "| errors | /healthz | half rate: sent, shed, p99 ms, others |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        run, after = row.load.run, row.load.after
        healthy = sum(1 for status, _ in row.load.health if status == 200)
        lines.append(
            f"| {row.round} | {row.started:%H:%M} | {shown(row.bound)} "
            f"| {shown(row.wait, 1000)} | {shown(row.hold, 1000)} | {shown(row.overload_limit)} "
            f"| {shown(row.switch, 1000)} "
            f"| {row.load_average:.2f} "
            f"| {others(run):.2f} "
            f"| {len(run.all()):,} | {run.shed_count():,} "
            f"| {ms(percentile(run.shed_latencies, 99))} "
            f"| {ms(run.p(50))} / **{ms(run.p(99))}** / {ms(run.p(100))} "
            f"| {ms(percentile(run.lag, 99))} | {ms(percentile(run.from_send, 99))} "
            f"| {len(run.misses):,}, {ms(percentile(run.misses, 99))} "
            f"| {ms(percentile(run.in_app, 99))} "
            f"| {run.error_count()} | {healthy} of {len(row.load.health)} "
            f"| {after.sent:,}, {after.shed_count()}, {ms(after.p(99))}, {others(after):.2f} |"
        )
    return "\n".join(lines) + "\n"


def render_overload(
    outcomes: list[Outcome],
    measured: str,
    bound: int | None,
    given: float | None = None,
    protocol: str = "tagwire",
    queue_wait: float | None = None,
) -> str:
    """The section on load shedding: the overload runs of each server configuration."""
    from tagwire import config

    defaults = {s.name: s.default for s in config.SETTINGS}
    limit = defaults["TAGWIRE_MAX_IN_FLIGHT"] if bound is None else bound
    wait = defaults["TAGWIRE_QUEUE_WAIT"] if queue_wait is None else queue_wait
    after_seconds = next((o.overload.after.duration for o in outcomes if o.overload), 10.0)
    lines = [
        SHED_SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}, tagwire at {measured}; "
        f"`{COMMAND}` (the phase after the rate search; `--overload-at RATE` runs it alone). "
        f"The server and the load are those of the section above, with "
        f"`TAGWIRE_MAX_IN_FLIGHT={limit}` (requests each process computes at once; the "
        "response cache's hits, /healthz and /metrics are not counted), "
        f"`TAGWIRE_QUEUE_WAIT={wait:g}` (seconds a request past the bound waits for a slot "
        "before its 503) and the HTTP "
        f"protocol `{PROTOCOLS[protocol]}`"
        + (
            " (which sheds requests by the time they waited before the app)"
            if protocol == "aged"
            else ""
        )
        + ": "
        f"{OVERLOAD_FACTOR:g} x the highest passing rate, open loop, never stopped for its "
        "backlog; /healthz probed every "
        f"{HEALTH_EVERY:g} s on a connection of its own; then, on the same server, "
        f"{after_seconds:g} s at half the passing rate; then the same overload on a server "
        "without shedding "
        "(`TAGWIRE_MAX_IN_FLIGHT=0`, the protocol without shedding by age, stopped once "
        f"{BACKLOG_SECONDS:.0f} s of requests wait). "
        "'admitted' = answered 200; 'shed' = answered 503 with Retry-After; errors = any "
        f"other status, a failed connection or no answer in {TIMEOUT:.0f} s. 'load' = the "
        "1-minute load average as the run started, 'others' = the cores other processes "
        "took during it (/proc/stat): the machine is shared with other sessions.",
        *(
            [
                "",
                f"This run took {given:.0f}/s as the highest passing rate (`--overload-at "
                f"{given:.0f}`, the search's figure in the section above) instead of searching "
                "again.",
            ]
            if given is not None
            else []
        ),
        "",
        "| server | load, others | rate/s | sent | admitted (200) "
        "| shed (503), p99 ms to the 503 | errors "
        "| admitted p50 / p99 / max ms | /healthz during the run | server alive after "
        "| right after at half the rate | without the bound |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        load = o.overload
        if load is None:
            continue
        r = load.run
        ok = [seconds for status, seconds in load.health if status == 200]
        health = f"{len(ok)} of {len(load.health)} answered 200, max {ms(max(ok, default=0.0))} ms"
        after = load.after
        after_text = (
            f"{after.rate:.0f}/s: p99 {ms(after.p(99))} ms, {after.shed_count()} shed, "
            f"{after.error_count()} errors"
        )
        u = load.unbounded
        unbounded = (
            "not run"
            if u is None
            else f"p99 {ms(u.p(99))} ms, {u.error_count()} errors"
            + (f", stopped after {u.sent:,} sent (backlog)" if u.aborted else "")
        )
        errors = dict(r.errors["html"] + r.errors["api"])
        lines.append(
            f"| {o.workers} process{'es' if o.workers > 1 else ''} "
            f"| {load.load_average:.2f}, {others(r):.2f} | {r.rate:.0f} "
            f"| {r.sent:,} | {len(r.all()):,} ({len(r.all()) / max(r.elapsed, 1e-9):.0f}/s) "
            f"| {r.shed_count():,}, {ms(percentile(r.shed_latencies, 99))} "
            f"| {r.error_count()}{f' {errors}' if errors else ''} "
            f"| {ms(r.p(50))} / **{ms(r.p(99))}** / {ms(r.p(100))} | {health} "
            f"| {'yes' if load.alive else '**no**'} | {after_text} | {unbounded} |"
        )
    for o in outcomes:
        if o.overload is None or o.overload.run.p(99) <= GOAL_P99:
            continue
        r = o.overload.run
        lines += [
            "",
            f"**Goal missed** with {o.workers} process(es): admitted p99 {ms(r.p(99))} ms "
            f"against {GOAL_P99 * 1000:.0f} ms ({ms(percentile(r.from_send, 99))} ms counted "
            "from the moment the client got to send: the client, on the same cores, was "
            f"{ms(percentile(r.lag, 99))} ms late to send at p99). The 503s took p99 "
            f"{ms(percentile(r.shed_latencies, 99))} ms though each is answered as soon as "
            "its request is read: the wait is before the server reads it (its processes "
            "off the cores, the kernel's queues) and in the client, on cores that the server "
            f"had {cores(r, r.server_cpu)} of (others took {others(r):.2f}, the client "
            f"{cores(r, r.client_cpu)}). Shedding keeps the server's own queue short "
            "(no errors, answering at once afterwards; without it the backlog grew without "
            "end); it cannot make room on the cores.",
        ]
    lines += ["", "The runs (CPU in cores):", ""]
    for o in outcomes:
        if o.overload is None:
            continue
        lines.append(f"- {o.workers} process(es), overload: {describe(o.overload.run)}")
        lines.append(f"  - right after: {describe(o.overload.after)}")
        if o.overload.unbounded is not None:
            lines.append(f"  - without the bound: {describe(o.overload.unbounded)}")
    return "\n".join(lines) + "\n"


def stage_table(stages: dict[str, Any]) -> list[str]:
    wall: dict[str, list[float]] = stages["wall"]
    per_kind: dict[str, defaultdict[str, float]] = stages["stages"]
    n = {kind: max(len(values), 1) for kind, values in wall.items()}
    lines = [
        f"Each stage timed in a new process, one request at a time through the real app "
        f"(httpx.ASGITransport, so no uvicorn/h11, and the client's own work is in 'the rest'), "
        f"{n['html']} HTML and {n['api']} API requests of the same mix; exclusive wall time "
        "per request, mean:",
        "",
        "| stage | HTML page ms | API ms |",
        "|---|---|---|",
    ]
    for key, label in STAGE_NAMES.items():
        html = per_kind["html"][key] / n["html"] * 1000
        api = per_kind["api"][key] / n["api"] * 1000
        if html >= 0.005 or api >= 0.005:
            lines.append(f"| {label} | {html:.2f} | {api:.2f} |")
    rest = {
        kind: (sum(wall[kind]) - sum(per_kind[kind].values())) / n[kind] * 1000 for kind in wall
    }
    lines += [
        "| the rest (routing, middlewares, thread pool hops, the in-process client) "
        f"| {rest['html']:.2f} | {rest['api']:.2f} |",
        f"| **total per request** (mean; p99) | **{sum(wall['html']) / n['html'] * 1000:.1f}**; "
        f"{ms(percentile(wall['html'], 99))} | **{sum(wall['api']) / n['api'] * 1000:.1f}**; "
        f"{ms(percentile(wall['api'], 99))} |",
    ]
    collections: list[tuple[int, float]] = stages.get("gc", [])
    full = [seconds for generation, seconds in collections if generation == 2]
    young = [seconds for generation, seconds in collections if generation < 2]
    requests = n["html"] + n["api"]
    if full:
        lines += [
            "",
            f"Garbage collection, included in the stages above: during these {requests} "
            f"requests CPython ran {len(full)} full (generation 2) collections of "
            f"{sum(full) / len(full) * 1000:.0f} ms each (max {max(full) * 1000:.0f} ms; one "
            f"every {requests / len(full):.0f} requests) and {len(young)} young ones "
            f"({sum(young) * 1000:.0f} ms in all). A full collection walks every tracked "
            "object of the process (SQLAlchemy, FastAPI, Jinja2, Babel ...); the pages of the "
            "largest tags allocate thousands of objects each (a datetime per article of the "
            "last 30 days for the timeline) and so trigger them.",
        ]
    return lines


def _variant(spec: str) -> Variant:
    """BOUND:WAIT[:HOLD[:OVERLOAD[:SWITCH]]] of --compare, each empty for its default."""
    bound, wait, hold, overload, switch = [*spec.split(":"), "", "", "", ""][:5]
    return (
        int(bound) if bound else None,
        float(wait) if wait else None,
        float(hold) if hold else None,
        int(overload) if overload else None,
        float(switch) if switch else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the database (cached)")
    parser.add_argument("--rebuild", action="store_true", help="build the database anew")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--profile", action="store_true", help="profile the server too")
    parser.add_argument("--quick", action="store_true", help="short runs (docs untouched)")
    parser.add_argument("--workers", default="1,2", help="server processes to try: 1,2")
    parser.add_argument("--quiet-wait", type=float, default=120.0, help="max s per wait")
    parser.add_argument("--rounds", type=int, default=2, help="tries of a disturbed run")
    parser.add_argument(
        "--overload-at",
        type=float,
        help="skip the goal and the search: take RATE as the highest passing rate and run "
        "the overload phase alone (--write then updates only its section)",
    )
    parser.add_argument("--no-overload", action="store_true", help="skip the overload phase")
    parser.add_argument(
        "--no-unbounded", action="store_true", help="no overload run without load shedding"
    )
    parser.add_argument("--max-in-flight", type=int, help="TAGWIRE_MAX_IN_FLIGHT of the server")
    parser.add_argument("--queue-wait", type=float, help="TAGWIRE_QUEUE_WAIT of the server (s)")
    parser.add_argument(
        "--after-seconds", type=float, default=10.0, help="the run at half the rate after"
    )
    parser.add_argument(
        "--compare",
        help="with --overload-at: side by side, the overload run of each BOUND:WAIT[:HOLD] "
        "(seconds; each may be empty for its default), e.g. 2:0,2:0.02,2:0.02:0.1; prints a "
        "table",
    )
    parser.add_argument("--compare-rounds", type=int, default=1, help="rounds of --compare")
    parser.add_argument("--overload-seconds", type=float, default=30.0)
    parser.add_argument(
        "--protocol",
        choices=sorted(PROTOCOLS),
        default="tagwire",
        help="the server's HTTP protocol: tagwire (tagwire serve's), aged (sheds by age), uvicorn",
    )
    parser.add_argument(
        "--client-loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="the load generator's event loop",
    )
    parser.add_argument(
        "--client-nice",
        type=int,
        default=CLIENT_NICE,
        help="the load generator's nice value and its session's (below the server's: it is "
        "not queued behind the server for the cores, so its clock reads when answers arrive)",
    )
    parser.add_argument(
        "--server-nice",
        type=int,
        default=SERVER_NICE_DEFAULT,
        help="the server's nice value and its session's: below 0 other sessions' processes on "
        "a shared machine take less of the cores from it (0: its fair share)",
    )
    parser.add_argument("--backlog", type=int, help="uvicorn's --backlog")
    parser.add_argument("--limit-concurrency", type=int, help="uvicorn's --limit-concurrency")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on the way out
    for folder in ("bbc-news", "conll2003-ner"):
        if not (DATA / folder).is_dir():
            print(f"missing data: {DATA / folder}", file=sys.stderr)
            return 2
    measured = revision()  # before the run: the code imported is the code measured
    if args.rebuild or not db_is_fresh(args.db):
        print(f"building {args.db} (a minute or two)...", flush=True)
        build_db(args.db)
    summary = db_summary(args.db)
    url = f"sqlite:///{args.db}"
    tags = request_tags(url)
    settings = Settings(quiet_wait=args.quiet_wait, rounds=args.rounds, profile=args.profile)
    if args.quick:
        settings = Settings(
            goal_seconds=15.0,
            search_seconds=8.0,
            warm_seconds=3.0,
            bisections=1,
            quiet_wait=args.quiet_wait,
            rounds=1,
            profile=args.profile,
        )
    settings.overload = not args.no_overload
    settings.overload_at = args.overload_at
    settings.unbounded = not args.no_unbounded
    settings.max_in_flight = args.max_in_flight
    settings.queue_wait = args.queue_wait
    settings.after_seconds = args.after_seconds
    if args.compare:
        if args.overload_at is None:
            parser.error("--compare needs --overload-at")
        settings.compare = [_variant(v) for v in args.compare.split(",")]
        settings.compare_rounds = args.compare_rounds
        settings.unbounded = False
    settings.overload_seconds = args.overload_seconds
    settings.protocol = args.protocol
    if args.backlog is not None:
        settings.uvicorn_args += ("--backlog", str(args.backlog))
    if args.limit_concurrency is not None:
        settings.uvicorn_args += ("--limit-concurrency", str(args.limit_concurrency))
    outcomes = []
    plan: list[Item] = []
    with contextlib.suppress(PermissionError):  # not root: the default priority
        os.setpriority(os.PRIO_PROCESS, 0, args.client_nice)
    autogroup_nice(os.getpid(), args.client_nice)
    SERVER_NICE[0] = args.server_nice
    print(
        f"load generator: {args.client_loop}, nice {os.getpriority(os.PRIO_PROCESS, 0)}; "
        f"server nice {args.server_nice}"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        bench = Bench(url, workers, tags, settings)
        if args.client_loop == "uvloop":
            outcomes.append(uvloop.run(bench.run()))
        else:
            outcomes.append(asyncio.run(bench.run()))
        plan = plan or bench.plan
    if settings.compare:
        print("\n" + render_compared([c for o in outcomes for c in o.compared], measured,
                                      args.overload_at))  # fmt: skip
        return 0
    stages = None
    if args.profile:  # in a new process, whose heap (what the GC walks) is a server's
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            stages = pool.submit(run_stage_times, args.db, plan[:450], 400).result()
    shedding = render_overload(
        outcomes, measured, args.max_in_flight, args.overload_at, args.protocol, args.queue_wait
    )
    if args.overload_at is None:
        markdown = render(outcomes, summary, stages, settings, measured)
        print("\n" + markdown)
        if args.write and not args.quick and replace_section(BENCH_DOC, SECTION, markdown):
            print(f"updated the '{SECTION}' section of {BENCH_DOC}")
    print("\n" + shedding)
    written = args.write and not args.quick and any(o.overload for o in outcomes)
    if written and replace_section(BENCH_DOC, SHED_SECTION, shedding):
        print(f"updated the '{SHED_SECTION}' section of {BENCH_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
