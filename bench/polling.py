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
import email.utils
import logging
import math
import os
import pstats
import random
import resource
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import machine, replace_section, revision
from tagwire import config
from tagwire.dedup.exact import canonical_url
from tagwire.ingest.pipeline import Pipeline
from tagwire.ingest.writer import writing
from tagwire.store import Store
from tagwire.store import schema as t
from tagwire.types import PassReport, Source

BENCH_DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SECTION = "## Polling 10,000 feeds"
COMMAND = ".venv/bin/python -m bench.polling --write"
FEEDS = 10_000
HOSTS = 1_000
CYCLES = 3  # steady cycles, after the warm-up
CHANGE = 0.05  # fraction of the feeds changed before each steady cycle
ITEMS = 10  # items per feed
CIDR = "127.1.0.0/16"
MAX_HOSTS = 250 * 256
ENVIRON = {
    "TAGWIRE_ALLOWED_HOSTS": CIDR,
    "TAGWIRE_NER": "false",
    "TAGWIRE_WORKERS": "1",
}
GOAL_SECONDS = 60.0
# "well under one core": at most half of one, for the CPU a cycle costs over the 60 s the
# goal allows it (a cycle that finishes sooner idles until the next; while it runs it is a
# burst on one event loop, shown too).
GOAL_CORES = 0.5
POLL_INTERVAL = 900.0  # TAGWIRE_POLL_INTERVAL's default: how often a cycle would run
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


# -- the measurement ----------------------------------------------------------------------


@dataclass
class Cycle:
    name: str
    changed: int
    wall: float = 0.0
    list_seconds: float = 0.0  # store.feeds()
    cpu_user: float = 0.0
    cpu_sys: float = 0.0
    server_cpu: float = 0.0
    others_cpu: float = 0.0
    status: dict[int, int] = field(default_factory=dict)
    connections: int = 0
    report: PassReport = field(default_factory=PassReport)

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys

    @property
    def cores(self) -> float:
        return self.cpu / self.wall if self.wall else 0.0

    @property
    def requests(self) -> int:
        return sum(self.status.values())

    @property
    def disturbed(self) -> bool:
        """Other processes took a noticeable share of the 2 cores during the cycle."""
        return self.others_cpu > max(0.5, DISTURBED_CORES * self.wall)


@dataclass
class Run:
    feeds: int
    hosts: int
    change: float
    cycles: list[Cycle] = field(default_factory=list)
    max_rss_kb: int = 0
    server_max_rss_kb: int = 0
    setup_seconds: float = 0.0
    quiet_wait: float = 0.0

    @property
    def steady(self) -> list[Cycle]:
        return self.cycles[1:]

    @property
    def judged(self) -> list[Cycle]:
        """The steady cycles that the goals are judged on: the undisturbed ones, if any."""
        return [c for c in self.steady if not c.disturbed] or self.steady


_TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """CPU seconds spent by all CPUs outside idle and iowait since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(f) for f in fields[:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICK


QUIET_CORES = 0.15  # the machine is quiet below this many busy cores
DISTURBED_CORES = 0.1  # a cycle is disturbed when others took this many cores on average


def wait_for_quiet(limit: float) -> float:
    """Wait (at most ``limit`` s) until the whole machine has used less than QUIET_CORES
    cores for two seconds in a row; the wait. The server is idle meanwhile."""
    started = time.monotonic()
    calm = 0
    while calm < 2 and time.monotonic() - started < limit:
        before = _machine_busy()
        time.sleep(1.0)
        calm = calm + 1 if _machine_busy() - before < QUIET_CORES else 0
    return time.monotonic() - started


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
            busy = _machine_busy()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            feed_list = store.feeds()
            cycle.list_seconds = time.perf_counter() - started
            cycle.report = await pipeline.run_pass(feed_list)
            cycle.wall = time.perf_counter() - started
            used = resource.getrusage(resource.RUSAGE_SELF)
            busy = _machine_busy() - busy
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


# -- the report -------------------------------------------------------------------------


def _statuses(cycle: Cycle) -> str:
    return " / ".join(f"{cycle.status.get(s, 0)}" for s in (200, 304, 404))


def line(cycle: Cycle) -> str:
    r = cycle.report
    return (
        f"  {cycle.name}: {cycle.wall:.1f} s, {cycle.requests / cycle.wall:.0f} requests/s; "
        f"CPU {cycle.cpu:.1f} s ({cycle.cores:.2f} cores), server {cycle.server_cpu:.1f} s, "
        f"others {cycle.others_cpu:.1f} s; 200/304/404 {_statuses(cycle)}, "
        f"{cycle.connections} connections; feeds ok {r.feeds_ok}, unchanged "
        f"{r.feeds_unchanged}, failed {r.feeds_failed}; known {r.articles_known}, new "
        f"{r.articles_new}; errors {len(r.errors)}"
    )


def _ok(good: bool) -> str:
    return "met" if good else "**missed**"


def cycle_table(run: Run) -> list[str]:
    lines = [
        "| cycle | feeds changed | wall s | requests/s | 200 / 304 / 404 (robots.txt) | TCP "
        "connections | tagwire CPU s (user + sys) | tagwire cores | server CPU s | other "
        "processes CPU s | failed feeds, errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in run.cycles:
        changed = "all (no ETag yet)" if c.name == "warm-up" else str(c.changed)
        name = f"{c.name} (disturbed)" if c.disturbed else c.name
        lines.append(
            f"| {name} | {changed} | {c.wall:.1f} | {c.requests / c.wall:.0f} | "
            f"{_statuses(c)} | {c.connections} | {c.cpu:.1f} ({c.cpu_user:.1f} + "
            f"{c.cpu_sys:.1f}) | {c.cores:.2f} | {c.server_cpu:.1f} | {c.others_cpu:.1f} | "
            f"{c.report.feeds_failed}, {len(c.report.errors)} |"
        )
    return lines


def _judged(run: Run) -> str:
    if all(c.disturbed for c in run.steady):
        return "all steady cycles, every one disturbed by other processes: rerun"
    if any(c.disturbed for c in run.steady):
        return f"the {len(run.judged)} undisturbed steady cycles"
    return "steady cycles"


def goal_table(run: Run) -> list[str]:
    steady = run.judged
    worst_wall = max(c.wall for c in steady)
    worst_cores = max(c.cores for c in steady)
    cpu = sum(c.cpu for c in steady) / len(steady)
    per_feed = 1000 * cpu / run.feeds
    return [
        f"| measure ({_judged(run)}) | value | goal |",
        "|---|---|---|",
        f"| slowest cycle, wall clock | **{worst_wall:.1f} s** | ≤ {GOAL_SECONDS:.0f} s: "
        f"{_ok(worst_wall <= GOAL_SECONDS)} |",
        f"| tagwire CPU per cycle over the {GOAL_SECONDS:.0f} s the goal gives a cycle | "
        f"**{cpu / GOAL_SECONDS:.2f} of one core** | well under one core (≤ {GOAL_CORES}): "
        f"{_ok(cpu / GOAL_SECONDS <= GOAL_CORES)} |",
        f"| tagwire CPU while a cycle runs (it is a burst on one event loop, then idle) | "
        f"{worst_cores:.2f} of one core | — |",
        f"| tagwire CPU per cycle, mean; per feed | {cpu:.1f} s; {per_feed:.2f} ms | — |",
        f"| the same spread over the default poll interval ({POLL_INTERVAL:.0f} s) | "
        f"{cpu / POLL_INTERVAL:.3f} of one core | — |",
        f"| peak RSS (getrusage max RSS): tagwire process; server process | "
        f"{run.max_rss_kb / 1024:.0f} MB; {run.server_max_rss_kb / 1024:.0f} MB | — |",
    ]


def bound(run: Run) -> str:
    """What holds a steady cycle up: tagwire's CPU or waiting (politeness, the server)."""
    cores = sum(c.cpu for c in run.judged) / sum(c.wall for c in run.judged)
    what = (
        "a steady cycle is CPU-bound on one core (the pipeline's single event loop: HTTP "
        "client, feed parsing and the synchronous SQLite writes), not held up by the "
        "politeness delays, so its wall time is about its CPU time"
        if cores > 0.8
        else "a steady cycle spends much of its time waiting (politeness delays, the "
        "server, or other processes on the machine)"
    )
    return f"tagwire's process was on the CPU {cores:.0%} of the time: {what}."


def section(run: Run, measured: str) -> str:
    steady = run.steady
    share = sum(c.status.get(304, 0) for c in steady) / max(1, sum(c.requests for c in steady))
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC).date().isoformat()} on {machine()}, tagwire at "
        f"{measured}. Rerun: `{COMMAND}` from the repository root (without `--write` it "
        "leaves this file alone; `--feeds`, `--hosts`, `--cycles`, `--change` for other "
        "sizes). The machine is shared: each cycle starts once it has used less than "
        f"{QUIET_CORES} cores for 2 s (waiting up to `--quiet-wait`, {run.quiet_wait:.0f} s); "
        f"a cycle during which other processes took more than {DISTURBED_CORES} cores on "
        "average is marked disturbed, more steady cycles run (up to `--max-cycles`) until "
        "`--cycles` undisturbed ones were measured, and the goals are judged on those.",
        "",
        f"{run.feeds:,} RSS feeds of {ITEMS} items on {run.hosts:,} hosts (loopback "
        f"addresses 127.1.x.y, one port, {math.ceil(run.feeds / run.hosts)} feeds per host, "
        "one source per host), served by a separate process (an asyncio HTTP/1.1 server, "
        "keep-alive; robots.txt is 404; `ETag`, `304` on `If-None-Match`). tagwire runs "
        "`store.feeds()` + `Pipeline.run_pass()` on a SQLite file, with the default "
        "politeness (16 feeds at once, 2 requests at once and 1 s between request starts "
        f"per host, robots.txt obeyed), `TAGWIRE_ALLOWED_HOSTS={CIDR}`, `TAGWIRE_NER=false`, "
        "`TAGWIRE_WORKERS=1`, one `Pipeline` for all cycles. The warm-up cycle has no "
        "stored ETag, so every feed answers 200 and every robots.txt is read; before each "
        f"steady cycle the server changes {run.change:.0%} of the feeds at random (one new "
        "item, a new ETag). Every item URL was stored beforehand (one hidden article in "
        "the bench's setup), so a changed feed is parsed and its items are found KNOWN "
        "without fetching pages: this measures polling, not analysis (new articles: "
        f"`bench/ingest.py`). In the steady cycles {share:.1%} of the requests got 304.",
        "",
        *goal_table(run),
        "",
        bound(run),
        "",
        "Per cycle (wall time includes `store.feeds()`; tagwire CPU is `getrusage` of the "
        "benchmark process, which does nothing else during a cycle; the server's CPU is "
        "its own process's; other processes: the rest of the machine's busy time in "
        "/proc/stat, which competes for the same 2 cores):",
        "",
        *cycle_table(run),
    ]
    return "\n".join(lines) + "\n"


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
