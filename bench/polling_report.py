"""The records of a polling run (its cycles, their costs) and the lines, tables and
docs/benchmarks.md section bench/polling.py writes from them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.polling_feeds import CIDR, ITEMS
from bench.report import QUIET_CORES, machine
from tagwire.types import PassReport

SECTION = "## Polling 10,000 feeds"
COMMAND = ".venv/bin/python -m bench.polling --write"
GOAL_SECONDS = 60.0
# "well under one core": at most half of one, for the CPU a cycle costs over the 60 s the
# goal allows it (a cycle that finishes sooner idles until the next; while it runs it is a
# burst on one event loop, shown too).
GOAL_CORES = 0.5
POLL_INTERVAL = 900.0  # TAGWIRE_POLL_INTERVAL's default: how often a cycle would run
DISTURBED_CORES = 0.1  # a cycle is disturbed when others took this many cores on average


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
