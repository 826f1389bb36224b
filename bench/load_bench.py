"""The measurements of bench/load.py: the rate search, the overload run, the --compare
variants, each on a fresh or reused server, and a run's one-line description."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.load_client import (
    Checks,
    Http,
    Item,
    Run,
    build_plan,
    check_html,
    first_pages,
    open_loop,
    percentile,
    wait_ready,
)
from bench.load_config import (
    API_HEADERS,
    BISECTIONS,
    GOAL_RATE,
    HEALTH_EVERY,
    HTML_SHARE,
    MAX_CONNECTIONS,
    MIN_RATE,
    NODELAY_RATE,
    OVERLOAD_FACTOR,
    SEARCH_REQUESTS,
    STEP,
    TIMEOUT,
)
from bench.load_profile import py_spy, read_spy, spy_categories
from bench.load_server import (
    free_port,
    machine_busy,
    read_server_times,
    start_server,
    stop_server,
    tree_cpu,
)

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
