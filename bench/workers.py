"""Ingest throughput of `tagwire worker` on PostgreSQL: one pool process, then two.

The publishers and pages are those of bench/ingest.py (the 138 real pages of the
article-extraction benchmark behind six RSS feeds on a loopback server). For each worker
count: a fresh PostgreSQL database on the shared server, a fresh key prefix on the shared
Redis, the sources added, then `tagwire worker --pool=prefork --concurrency=N` started and
left to load its models (every pool process says it is ready) before the clock starts;
then one poll task per feed is queued and the clock stops when every item is stored
(listed or folded). Peak RSS of the worker and its pool processes is sampled every 0.2 s.

The issue's goal: two processes >= 1.6 x one on 2 cores.

``--memory N``: the memory of one worker (one pool process: the NLP models loaded once)
over N articles (20,000 by default): the first N articles of bench/scale.py's generator
(real BBC paragraphs mixed, with their exact and near copies) as HTML pages behind 200 RSS
feeds of up to 100 items on the loopback server; one poll task per feed, then the clock
runs until every item is stored; the resident memory of the worker and its pool process is
sampled every second and reported at every tenth of the way (the issue's goal: flat, under
1 GB).

    python -m bench.workers            # writes its section of docs/benchmarks.md
    python -m bench.workers --rounds 1 --no-write
    python -m bench.workers --memory 20000
"""

from __future__ import annotations

import argparse
import email.utils
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import psycopg
import redis

import tagwire.sources
from bench.ingest import (
    BENCH_DOC,
    DATA,
    DOC_HEADER,
    FEEDS,
    Site,
    _cpu_seconds,
    _family,
    _rss_kb,
    build_feeds,
    serve,
    write_sources,
)
from bench.metrics import aeb_pages
from bench.report import machine, machine_busy, replace_section, revision, wait_for_quiet
from tagwire import config
from tagwire.store import Store
from tagwire.workers.celery_app import make_app
from tagwire.workers.queue import TaskQueue

POSTGRES = os.environ.get("TAGWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("TAGWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")
SECTION = "## Scale-out ingest (Celery workers, PostgreSQL)"
MEMORY_SECTION = "## Worker memory over 20,000 articles"
GOAL_RATIO = 1.6
DISTURBED_CORES = 0.5  # busier than this outside the worker, a run says it was disturbed


@dataclass
class Run:
    processes: int
    items: int
    seconds: float
    peak_mb: float
    others_cores: float  # CPU taken by processes outside the benchmark, on average

    @property
    def rate(self) -> float:
        return self.items / self.seconds


@contextmanager
def database() -> Iterator[str]:
    name = f"tagwire_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def one_run(
    processes: int,
    base: str,
    feed_paths: list[str],
    items: int,
    work: Path,
    timeout: float = 600.0,
    trace: list[tuple[float, int, float]] | None = None,
) -> Run:
    """One worker with ``processes`` pool processes until ``items`` are stored; with
    ``trace``, (seconds, stored, RSS MB of the worker and its pool) every second."""
    prefix = f"tagwire-bench-{uuid.uuid4().hex[:8]}:"
    with database() as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAGWIRE_")}
        env |= {
            "TAGWIRE_DATABASE_URL": url,
            "TAGWIRE_REDIS_URL": REDIS,
            "TAGWIRE_REDIS_PREFIX": prefix,
            "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
            "TAGWIRE_HOST_DELAY": "0",
            "TAGWIRE_HOST_CONCURRENCY": "16",
        }
        store = Store(url)
        sources_file = work / "sources.toml"
        write_sources(sources_file, base, feed_paths)
        store.upsert_sources(tagwire.sources.load(str(sources_file)))
        log = work / f"worker-{processes}.log"
        command = [sys.executable, "-m", "tagwire.cli", "-v", "worker", "--pool=prefork"]
        command.append(f"--concurrency={processes}")
        with log.open("wb") as out:
            worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: log.read_text(errors="replace").count("ready (database") >= processes)
            wait_for_quiet(30)
            queue = TaskQueue(make_app(config.load(env)))
            peak = [0]
            family_cpu = [0.0]
            stop = threading.Event()
            sampler = threading.Thread(target=_sample, args=(worker.pid, peak, family_cpu, stop))
            cpu_before = _cpu_family(worker.pid) + _cpu_seconds(os.getpid())
            busy_before = machine_busy()
            sampler.start()
            started = time.monotonic()
            for feed in store.feeds():
                queue.poll_feed(feed.id, feed.source_id)
            if trace is None:
                _wait(lambda: _stored(store) >= items, timeout=timeout)
            else:
                _trace(store, worker.pid, items, timeout, started, trace)
            seconds = time.monotonic() - started
            stop.set()
            sampler.join()
            ours = family_cpu[0] + _cpu_seconds(os.getpid()) - cpu_before
            others = max(0.0, machine_busy() - busy_before - ours) / seconds
        finally:
            worker.terminate()
            worker.wait(30)
            store.close()
            _clean(prefix)
    return Run(processes, items, seconds, peak[0] / 1024, others)


def _trace(
    store: Store,
    root: int,
    items: int,
    timeout: float,
    started: float,
    trace: list[tuple[float, int, float]],
) -> None:
    while (stored := _stored(store)) < items:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{stored} of {items} stored in {timeout:.0f} s")
        rss = sum(_rss_kb(pid) for pid in _family(root)) / 1024
        trace.append((time.monotonic() - started, stored, rss))
        if len(trace) % 60 == 0:  # a long run shows how far it got
            print(f"  {trace[-1][0]:.0f} s: {stored:,} stored, {rss:.0f} MB", flush=True)
        time.sleep(1.0)


def memory_site(n: int) -> tuple[Site, list[str], str]:
    """bench/scale.py's first ``n`` articles as pages behind 200 feeds (served)."""
    from bench.scale import SEED, Generator, plan

    now = datetime.now(UTC).replace(microsecond=0)
    generator = Generator(SEED)
    articles = [generator.article(i, p) for i, p in enumerate(plan(n, random.Random(SEED), now))]
    pages = {
        str(i): (
            "<html><head><title>{0}</title></head><body><article><h1>{0}</h1>{1}</article>"
            "</body></html>"
        )
        .format(
            escape(str(a["title"])),
            "".join(f"<p>{escape(p)}</p>" for p in str(a["text"]).split("\n")),
        )
        .encode()
        for i, a in enumerate(articles)
    }
    site = Site(pages)
    server, base = serve(site)
    del server  # a daemon thread serves until the process ends
    feeds = 200
    paths = [f"/feeds/{n}.xml" for n in range(feeds)]
    items: list[list[str]] = [[] for _ in range(feeds)]
    for i, a in enumerate(articles):
        published = datetime.fromisoformat(str(a["published_at"]))
        items[i % feeds].append(
            f"<item><title>{escape(str(a['title']))}</title>"
            f"<link>{base}/p/{i}.html</link><guid>{base}/p/{i}.html</guid>"
            f"<description>{escape(str(a['summary']))}</description>"
            f"<pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate></item>"
        )
    for k, path in enumerate(paths):
        site.feeds[path] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Wire {k}</title><link>{base}/s/{k}/</link><description>news</description>"
            + "".join(items[k])
            + "</channel></rss>"
        ).encode()
    return site, paths, base


def memory_report(n: int, run: Run, trace: list[tuple[float, int, float]]) -> str:
    marks = []
    for tenth in range(1, 11):
        reached = [p for p in trace if p[1] >= n * tenth // 10]
        marks.append(reached[0] if reached else trace[-1])
    peak = max(p[2] for p in trace)
    first = next((p for p in trace if p[1] >= n // 10), trace[0])
    verdict = "met" if peak < 1024 and peak - first[2] < 0.1 * first[2] else "not met"
    lines = [
        MEMORY_SECTION,
        "",
        f"`python -m bench.workers --memory {n}` at {revision()} on {machine()}: {n:,} "
        "articles (bench/scale.py's generator: mixed BBC paragraphs, with exact and near "
        "copies) as pages behind 200 feeds on a loopback server; `tagwire worker "
        "--pool=prefork --concurrency=1` (one NLP process) on a fresh PostgreSQL database, "
        "Redis broker; resident memory of the worker and its pool process, sampled every "
        "second.",
        "",
        "| articles stored | seconds | RSS, worker + pool (MB) |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {stored:,} | {sec:.0f} | {rss:.0f} |" for sec, stored, rss in marks]
    lines += [
        "",
        f"{run.items:,} articles in {run.seconds:.0f} s ({run.rate:.1f}/s); peak {peak:.0f} MB; "
        f"from a tenth of the way to the end: {first[2]:.0f} -> {trace[-1][2]:.0f} MB. "
        f"Goal (flat, under 1 GB): {verdict}.",
        "",
    ]
    return "\n".join(lines)


def _stored(store: Store) -> int:
    counts = store.counts()
    return counts["articles"] + counts["duplicates"]


def _sample(root: int, peak: list[int], cpu: list[float], stop: threading.Event) -> None:
    while not stop.wait(0.2):
        peak[0] = max(peak[0], sum(_rss_kb(pid) for pid in _family(root)))
        cpu[0] = _cpu_family(root)


def _cpu_family(root: int) -> float:
    return sum(_cpu_seconds(pid) for pid in _family(root))


def _wait(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not get there")
        time.sleep(0.05)


def _clean(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)
    client.close()


def report(runs: dict[int, Run]) -> str:
    one, two = runs[1], runs[2]
    ratio = two.rate / one.rate
    verdict = "met" if ratio >= GOAL_RATIO else "not met"
    lines = [
        SECTION,
        "",
        f"`python -m bench.workers` at {revision()} on {machine()}: the {one.items} real pages "
        "of bench/ingest.py behind six feeds on a loopback server, `tagwire worker "
        "--pool=prefork` on a fresh PostgreSQL database (shared server), Redis broker; "
        "models loaded before the clock starts; best of the rounds.",
        "",
        "| pool processes | articles | seconds | articles/s | peak RSS (worker + pool) "
        "| cores busy outside the worker (PostgreSQL, Redis and other sessions) |",
        "|---|---|---|---|---|---|",
    ]
    for run in (one, two):
        lines.append(
            f"| {run.processes} | {run.items} | {run.seconds:.1f} | {run.rate:.1f} | "
            f"{run.peak_mb:.0f} MB | {run.others_cores:.2f} |"
        )
    lines += ["", f"Two processes: {ratio:.2f} x one (goal {GOAL_RATIO} x: {verdict}).", ""]
    if max(one.others_cores, two.others_cores) > DISTURBED_CORES:
        lines += [
            "Disturbed: other processes kept the machine busy during these runs (last "
            "column, out of 2 cores; PostgreSQL's own work for the worker counts there "
            "too), so these figures are a floor and the ratio no verdict on the goal.",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--memory", type=int, default=0, help="articles for the memory run")
    args = parser.parse_args()
    if args.memory:
        site, paths, base = memory_site(args.memory)
        trace: list[tuple[float, int, float]] = []
        with tempfile.TemporaryDirectory() as work:
            run = one_run(1, base, paths, args.memory, Path(work), 4 * 3600, trace)
        text = memory_report(args.memory, run, trace)
        print(text)
        if not args.no_write:
            replace_section(BENCH_DOC, MEMORY_SECTION, text, DOC_HEADER)
        return
    pages = list(aeb_pages(DATA))
    site = Site({page.id: page.html for page in pages})
    server, base = serve(site)
    feed_paths = build_feeds(site, base, pages, FEEDS)
    runs: dict[int, Run] = {}
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.rounds):
            for processes in (1, 2):
                run = one_run(processes, base, feed_paths, len(pages), Path(work))
                print(
                    f"{processes} process(es): {run.rate:.1f} articles/s, {run.peak_mb:.0f} MB, "
                    f"others took {run.others_cores:.2f} cores"
                )
                if processes not in runs or run.rate > runs[processes].rate:
                    runs[processes] = run
    server.shutdown()
    text = report(runs)
    print(text)
    if not args.no_write:
        replace_section(BENCH_DOC, SECTION, text, DOC_HEADER)


if __name__ == "__main__":
    main()
