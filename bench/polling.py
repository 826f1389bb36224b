"""One polling cycle over 10,000 feeds on 1,000 loopback hosts, mostly answering 304.

A separate server process (multiprocessing ``spawn``; an asyncio HTTP/1.1 server, stdlib
only, keep-alive) listens on one port of ``--hosts`` loopback addresses 127.1.x.y, so that
each address is a host of its own for tagwire's politeness. Feed ``k`` lives on host
``k % hosts`` at ``/feeds/<k>.xml``: an RSS 2.0 document of 10 items, with an ``ETag``;
a request whose ``If-None-Match`` is the current ETag gets ``304``. ``/robots.txt`` is 404
(everything allowed, no Crawl-delay). Before each cycle but the first, the server changes
``--change`` (5%) of the feeds, chosen at random: a new version drops the oldest item,
adds a new one, and has a new ETag.

tagwire runs as in production, with its default politeness (``TAGWIRE_CONCURRENCY=16``
feeds at once, ``TAGWIRE_HOST_CONCURRENCY=2``, ``TAGWIRE_HOST_DELAY=1.0`` s between the
starts of two requests to one host, robots.txt obeyed): a SQLite file store,
``upsert_sources`` (one source per host, its feeds), then for each cycle ``store.feeds()``
and ``Pipeline.run_pass`` on one ``Pipeline`` (its robots.txt cache kept across cycles),
with ``TAGWIRE_ALLOWED_HOSTS=127.1.0.0/16``, ``TAGWIRE_NER=false`` and
``TAGWIRE_WORKERS=1``. No page is fetched or analysed: before the first cycle, the bench
writes into the store (SQL, one hidden dummy article) the URL of every item that any
version of any feed will carry, so each item of a feed answering 200 is found already
stored (KNOWN). What a genuinely new article costs is measured by ``bench/ingest.py``.

Cycle 1 is the warm-up: no ETag is stored yet, so every feed answers 200 (parsed, 10
known items each) and every host's robots.txt is read. The next cycles are the steady
state: ~95% 304, ~5% 200. For each cycle: wall time (``store.feeds()`` included), the CPU
time of this process (``getrusage(RUSAGE_SELF)``, user + sys: tagwire, nothing else runs
here during a cycle) and of the server process (counted apart), the CPU that other
processes took on the machine (/proc/stat), the requests the server answered by status,
the TCP connections it accepted, and the pipeline's ``PassReport``. The machine may be
shared: before each cycle the bench waits (up to ``--quiet-wait`` s) for other processes
to calm down, and reports what they took.

    python -m bench.polling                 # 10,000 feeds, 1,000 hosts, warm-up + 3 cycles
    python -m bench.polling --write         # the same, and update docs/benchmarks.md
    python -m bench.polling --feeds 2000 --hosts 200 --cycles 1   # a quick run
    python -m bench.polling --profile polling.prof   # cProfile of the steady cycles

Each cycle starts once the machine is quiet (``--quiet-wait``); a steady cycle during which
other processes took more than 0.1 cores is marked disturbed, and more steady cycles run
(up to ``--max-cycles``) until ``--cycles`` undisturbed ones were measured.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.polling_feeds import CIDR, ITEMS, free_port, host_address, item_url, serve
from bench.polling_report import (
    SECTION,
    Cycle,
    Run,
    cycle_table,
    goal_table,
    line,
    section,
)
from bench.report import machine, machine_busy, replace_section, revision, wait_for_quiet
from tagwire import config
from tagwire.dedup.exact import canonical_url
from tagwire.ingest.pipeline import Pipeline
from tagwire.ingest.writer import writing
from tagwire.store import Store
from tagwire.store import schema as t
from tagwire.types import Source

BENCH_DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
FEEDS = 10_000
HOSTS = 1_000
CYCLES = 3  # steady cycles, after the warm-up
CHANGE = 0.05  # fraction of the feeds changed before each steady cycle
MAX_HOSTS = 250 * 256
ENVIRON = {
    "TAGWIRE_ALLOWED_HOSTS": CIDR,
    "TAGWIRE_NER": "false",
    "TAGWIRE_WORKERS": "1",
}


def _delta(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(after) if after.get(k, 0)}


def prepare(store: Store, feeds: int, hosts: int, port: int, cycles: int) -> None:
    """Sources and feeds; and every item URL that any version of a feed will carry, stored
    as known (one hidden dummy article), so that no page is fetched."""
    sources = []
    for h in range(hosts):
        host = host_address(h)
        urls = tuple(f"http://{host}:{port}/feeds/{k}.xml" for k in range(h, feeds, hosts))
        sources.append(Source(f"Bench host {h}", f"http://{host}:{port}/", urls, language="en"))
    source_ids = store.upsert_sources(sources)
    now = datetime.now(UTC)
    with writing(store) as w:
        inserted = w.conn.execute(
            t.articles.insert().values(
                source_id=source_ids[0],
                url=f"http://{host_address(0)}:{port}/known",
                title="every item of the polling benchmark",
                summary="",
                text="",
                first_seen_at=now,
                sort_at=now,
                content_hash="0" * 32,
                extraction="feed-summary",
                listed=False,
            )
        ).inserted_primary_key
        assert inserted is not None
        article_id = inserted[0]
        rows = [
            {
                "url": canonical_url(item_url(host_address(k % hosts), port, k, n)),
                "article_id": article_id,
            }
            for k in range(feeds)
            for n in range(ITEMS + cycles)  # each feed changes at most once per cycle
        ]
        w.conn.execute(t.article_urls.insert(), rows)


async def poll(
    store: Store,
    control: Connection,
    run: Run,
    cycles: int,
    profiler: cProfile.Profile | None,
    quiet_wait: float,
    max_cycles: int,
) -> None:
    pipeline = Pipeline(store, config.load(ENVIRON))
    chooser = random.Random(20261128)
    try:
        number = 0
        while number <= cycles or (
            number <= max_cycles and sum(not c.disturbed for c in run.steady) < cycles
        ):
            changed: list[int] = []
            if number:
                changed = chooser.sample(range(run.feeds), round(run.change * run.feeds))
                control.send(("change", changed))
                control.recv()
            if quiet_wait > 0:
                waited = await asyncio.to_thread(wait_for_quiet, quiet_wait)
                if waited > 3:
                    print(f"  (waited {waited:.0f} s for other processes to calm down)")
            control.send(("stats", None))
            before = control.recv()
            cycle = Cycle("warm-up" if number == 0 else f"steady {number}", len(changed))
            if profiler is not None and number:
                profiler.enable()
            busy = machine_busy()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            feed_list = store.feeds()
            cycle.list_seconds = time.perf_counter() - started
            cycle.report = await pipeline.run_pass(feed_list)
            cycle.wall = time.perf_counter() - started
            used = resource.getrusage(resource.RUSAGE_SELF)
            busy = machine_busy() - busy
            if profiler is not None:
                profiler.disable()
            control.send(("stats", None))
            after = control.recv()
            cycle.cpu_user = used.ru_utime - usage.ru_utime
            cycle.cpu_sys = used.ru_stime - usage.ru_stime
            cycle.server_cpu = after["cpu"] - before["cpu"]
            cycle.others_cpu = max(0.0, busy - cycle.cpu - cycle.server_cpu)
            cycle.status = _delta(before["status"], after["status"])
            cycle.connections = after["connections"] - before["connections"]
            run.server_max_rss_kb = after["max_rss_kb"]
            run.cycles.append(cycle)
            print(line(cycle), flush=True)
            number += 1
    finally:
        pipeline.close()


def measure(
    feeds: int,
    hosts: int,
    cycles: int,
    change: float,
    profiler: cProfile.Profile | None,
    quiet_wait: float = 0.0,
    max_cycles: int = 0,
) -> Run:
    run = Run(feeds, hosts, change, quiet_wait=quiet_wait)
    port = free_port()
    context = get_context("spawn")
    control, child = context.Pipe()
    server = context.Process(target=serve, args=(child, hosts, feeds, port), daemon=True)
    server.start()
    try:
        if not control.poll(120):
            raise RuntimeError("the server process did not start")
        control.recv()
        with tempfile.TemporaryDirectory(prefix="tagwire-polling-") as tmp:
            store = Store(f"sqlite:///{tmp}/polling.db")
            started = time.perf_counter()
            max_cycles = max(cycles, max_cycles)
            prepare(store, feeds, hosts, port, max_cycles)
            run.setup_seconds = time.perf_counter() - started
            try:
                asyncio.run(poll(store, control, run, cycles, profiler, quiet_wait, max_cycles))
            finally:
                store.close()
        control.send(("stop", None))
        control.recv()
    finally:
        server.join(10)
        if server.is_alive():
            server.terminate()
            server.join()
    run.max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=FEEDS, help="feeds in all")
    parser.add_argument("--hosts", type=int, default=HOSTS, help="hosts (loopback addresses)")
    parser.add_argument("--cycles", type=int, default=CYCLES, help="steady cycles after warm-up")
    parser.add_argument("--change", type=float, default=CHANGE, help="feeds changed per cycle")
    parser.add_argument(
        "--max-cycles",
        type=int,
        default=2 * CYCLES,
        help="run more steady cycles, up to this many, while fewer than --cycles were "
        "undisturbed by other processes",
    )
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--profile", type=Path, help="cProfile the steady cycles into a file")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before each cycle, wait up to this many seconds for other processes on the "
        "machine to calm down (0: do not wait)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= min(MAX_HOSTS, args.feeds) or args.cycles < 1:
        parser.error(f"need 1 <= hosts <= min({MAX_HOSTS}, feeds) and cycles >= 1")
    if args.write and (args.profile or args.feeds != FEEDS):
        parser.error(f"--write measures {FEEDS:,} feeds, without --profile")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(f"{args.feeds} feeds on {args.hosts} hosts, {args.cycles} steady cycles; {machine()}")
    measured = revision()  # before the run: the code imported is the code measured
    profiler = cProfile.Profile() if args.profile else None
    run = measure(
        args.feeds,
        args.hosts,
        args.cycles,
        args.change,
        profiler,
        args.quiet_wait,
        args.max_cycles,
    )
    print(f"  (setup: sources and known item URLs stored in {run.setup_seconds:.1f} s)")
    print()
    print("\n".join(goal_table(run)))
    print()
    print("\n".join(cycle_table(run)))
    for cycle in run.cycles:
        for source, message in cycle.report.errors[:5]:
            print(f"error in {cycle.name}: {source}: {message}")
    if profiler is not None:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        print(f"profile of the steady cycles written to {args.profile}")
    if args.write:
        replace_section(BENCH_DOC, SECTION, section(run, measured))
        print(f"\nupdated the '{SECTION}' section of {BENCH_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
