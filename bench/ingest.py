"""End-to-end ingest throughput on 138 real news pages, against its floor.

A loopback HTTP server (stdlib ``ThreadingHTTPServer``, in a thread of this process) plays
several publishers: it serves the pages of the article-extraction benchmark at
``/p/<id>.html`` and RSS 2.0 feeds that link to them (title from the page's ``<title>``,
a short description, ``pubDate`` spread over the last two days, no ``content:encoded``,
so every page is fetched); feeds carry an ``ETag`` and get ``304`` on ``If-None-Match``.
A TOML sources file names the publishers, and the real code runs:
``Store`` -> ``sources.load`` -> ``upsert_sources`` -> ``pipeline.ingest`` (fetch, feed
parsing, extraction and NER in a spawn process pool, dedup, entities, stories, SQLite).

Measured, in one run:

1. cold pass: a fresh database, ``asyncio.run(ingest(store, cfg))``, wall clock including
   the start of the process pool and the model load in each worker;
2. second pass on the same database, unchanged feeds (304): time and ratio to the first;
3. the same with the server ignoring ``If-None-Match`` (feeds re-parsed, every item known);
4. warm pass: another fresh database, a ``Pipeline`` whose workers have started and loaded
   the model, then ``run_pass()``: throughput without the pool start;
5. the floor: ``extract_page`` + ``find_mentions`` alone on the same pages in a spawn
   ``ProcessPoolExecutor`` with as many processes and a model-loading initializer, cold
   (pool start included) and warm.

Then, as a user runs it: ``tagwire ingest`` (the console script) as a subprocess on a fresh
database, the same command again (feeds unchanged), and the whole-process floor
(``bench/ingest_floor.py``: a fresh process that runs only ``extract_page`` +
``find_mentions`` over the same pages in a spawn pool of as many processes), side by side,
``--repeat`` times with the order alternating; CPU and the largest process's max RSS from
``os.wait4``. These run first.

Memory: /proc/<pid>/status VmRSS of this process and all its descendants, sampled every
0.2 s (peak of the sum at one instant), next to ``getrusage`` (RUSAGE_CHILDREN only gives
the largest single child).

    python bench/ingest.py                  # all pages; updates docs/benchmarks.md
    python bench/ingest.py --pages 30       # a quick run (docs untouched)
    python bench/ingest.py --quiet-wait 0   # do not wait for a quiet machine between phases
    python bench/ingest.py --rounds 1       # one round, even if other processes disturbed it
    python bench/ingest.py --whole-only     # only the whole-process runs (docs untouched)
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

import tagwire.sources
from bench import ingest_floor
from bench.ingest_floor import page_title
from bench.metrics import AebPage, aeb_checksum, aeb_pages
from bench.report import machine, replace_section, revision
from tagwire import config
from tagwire.entities.ner import find_mentions, load_model
from tagwire.errors import ExtractError
from tagwire.extract import extract_page
from tagwire.fetch.client import decode_body
from tagwire.ingest.pipeline import Pipeline, ingest
from tagwire.store import Store, schema
from tagwire.types import PassReport

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "article-extraction-aeb"
PROFILE_NOTES = ROOT / "bench" / "ingest_profile.md"  # written by hand from a profile
NICE = -10  # the run's session against other sessions' processes (see session_nice)
RUN_NICE = [0]  # the value this run set (a list: set once by main)
BENCH_DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SECTION = "## Ingest throughput"
COMMAND = ".venv/bin/python bench/ingest.py"
WORKERS = 2
ENVIRON = {
    "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
    "TAGWIRE_HOST_DELAY": "0",
    "TAGWIRE_HOST_CONCURRENCY": "16",
    "TAGWIRE_WORKERS": str(WORKERS),
}
FEEDS = 6
PUBLISHERS = (  # name, country, region
    ("Bench Courier", "GB", "europe"),
    ("Bench Times", "US", "americas"),
    ("Bench Herald", "IN", "asia"),
    ("Bench Post", "AU", "oceania"),
    ("Bench Tribune", "ZA", "africa"),
    ("Bench Gazette", "IE", "europe"),
)
GOALS = {"articles_per_s": 20.0, "floor_ratio": 0.8, "second_pass_ratio": 0.10, "memory_mb": 1024}
DOC_HEADER = """\
# Benchmarks

Speed and memory of tagwire on this repository's benchmark scripts. Every `## ` section
belongs to one script under `bench/` and is rewritten whole by it (up to the next `## `
heading). Quality (precision, recall) is in [quality.md](quality.md).
"""


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


# -- memory -----------------------------------------------------------------------------


@dataclass
class Phase:
    """What the sampler saw during one phase of the run."""

    wall: float = 0.0
    peak_total_kb: int = 0  # VmRSS summed over the family at one instant
    root: int = 0  # a subprocess whose own family is also summed (peak_root_kb)
    peak_root_kb: int = 0
    root_family: set[int] = field(default_factory=set)  # every pid seen in it
    peak_kb: dict[int, int] = field(default_factory=dict)  # per pid
    cpu_start: dict[int, float] = field(default_factory=dict)  # per pid, seconds
    cpu_last: dict[int, float] = field(default_factory=dict)
    busy_start: float = 0.0  # CPU seconds of the whole machine (/proc/stat)
    busy: float = 0.0

    def cpu(self, pid: int) -> float:
        return self.cpu_last.get(pid, 0.0) - self.cpu_start.get(pid, 0.0)

    def family_cpu(self) -> float:
        return sum(self.cpu(pid) for pid in self.cpu_last)

    def others_cpu(self) -> float:
        """CPU seconds used on this machine by processes outside the benchmark."""
        return max(0.0, self.busy - self.family_cpu())

    @property
    def others_cores(self) -> float:
        return self.others_cpu() / self.wall if self.wall else 0.0

    @property
    def disturbed(self) -> bool:
        """Other processes took a noticeable share of the CPU during the phase."""
        return self.others_cpu() > max(0.05, DISTURBED_CORES * self.wall)

    def better_than(self, other: Phase) -> bool:
        return (self.disturbed, self.wall) < (other.disturbed, other.wall)


class Sampler:
    """Every ``interval`` s: VmRSS and CPU time of this process and all its descendants
    (/proc), per phase; plus the machine's busy CPU time, to tell other load apart."""

    def __init__(self, interval: float = 0.2, quiet_wait: float = 0.0) -> None:
        self.interval = interval
        self.quiet_wait = quiet_wait  # seconds to wait for a quiet machine before a phase
        self.main = os.getpid()
        self.phases: dict[str, Phase] = {}
        self._current: Phase | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @contextmanager
    def during(self, name: str) -> Iterator[Phase]:
        if self.quiet_wait > 0:
            waited = wait_for_quiet(self.quiet_wait)
            if waited > 3:
                print(f"  (waited {waited:.0f} s for other processes to calm down)")
        phase = Phase()
        with self._lock:
            pids = _family(self.main)
            phase.cpu_start = {pid: _cpu_seconds(pid) for pid in pids}
            phase.busy_start = _machine_busy()
            self._current = phase
        started = time.perf_counter()
        try:
            yield phase
        finally:
            phase.wall = time.perf_counter() - started
            self.sample()
            with self._lock:
                phase.busy = _machine_busy() - phase.busy_start
                self._current = None
            # Over several rounds, the least disturbed (then fastest) measurement is kept.
            kept = self.phases.get(name)
            if kept is None or phase.better_than(kept):
                self.phases[name] = phase

    def kept(self, name: str, phase: Phase) -> bool:
        return self.phases.get(name) is phase

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            phase = self._current
            if phase is None:
                return
            total = 0
            inside = set(_family(phase.root)) if phase.root else set()
            phase.root_family |= inside
            root_total = 0
            for pid in _family(self.main):
                rss = _rss_kb(pid)
                total += rss
                root_total += rss if pid in inside else 0
                phase.peak_kb[pid] = max(phase.peak_kb.get(pid, 0), rss)
                cpu = _cpu_seconds(pid)
                if cpu:  # 0.0: the process is gone
                    phase.cpu_last[pid] = cpu
            phase.peak_total_kb = max(phase.peak_total_kb, total)
            phase.peak_root_kb = max(phase.peak_root_kb, root_total)


QUIET_CORES = 0.15  # the machine is quiet below this many busy cores
DISTURBED_CORES = 0.1  # a phase is disturbed when others took this many cores on average


def wait_for_quiet(limit: float) -> float:
    """Wait (at most ``limit`` s) until the whole machine has used less than QUIET_CORES
    cores for two seconds in a row (this benchmark is idle while it waits); the wait."""
    started = time.monotonic()
    calm = 0
    while calm < 2 and time.monotonic() - started < limit:
        before = _machine_busy()
        time.sleep(1.0)
        calm = calm + 1 if _machine_busy() - before < QUIET_CORES else 0
    return time.monotonic() - started


def _family(root: int) -> list[int]:
    """``root`` and all its descendants (the kernel's per-thread children lists)."""
    family, frontier = [root], [root]
    while frontier:
        children: list[int] = []
        for pid in frontier:
            try:
                for task in os.scandir(f"/proc/{pid}/task"):
                    children += [int(c) for c in Path(task.path, "children").read_text().split()]
            except OSError:
                continue
        family += children
        frontier = children
    return family


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (its threads included), else 0.0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _machine_busy() -> float:
    """CPU seconds spent by all CPUs outside idle and iowait since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICK


# -- the floor --------------------------------------------------------------------------


def _floor_init() -> None:
    load_model()


def _floor_one(url: str, body: bytes, title: str) -> tuple[int, float, float]:
    """What a worker does for one page in the pipeline, and nothing else:
    (mentions, CPU seconds of extraction, CPU seconds of NER)."""
    started = time.process_time()
    try:
        extracted = extract_page(decode_body(body, "utf-8"), url)
    except ExtractError:
        return 0, time.process_time() - started, 0.0
    extracted_at = time.process_time()
    mentions = find_mentions(
        title, extracted.text, author=extracted.author, language=extracted.language
    )
    return len(mentions), extracted_at - started, time.process_time() - extracted_at


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def warm_pool(executor: Executor, workers: int) -> None:
    """Return once ``workers`` distinct processes have run a task (initializer done)."""
    seen: set[int] = set()
    while len(seen) < workers:
        futures = [executor.submit(_pid_after, 0.05) for _ in range(workers)]
        seen.update(f.result() for f in futures)


@dataclass
class Floor:
    mentions: int = 0
    extract_cpu: float = 0.0  # seconds, summed over pages
    ner_cpu: float = 0.0


def floor(
    pages: Sequence[AebPage], base: str, workers: int, sampler: Sampler, name: str, warm: bool
) -> tuple[Floor, Phase]:
    """Extraction + NER of every page in a fresh spawn pool, timed as phase ``name``:
    from the pool's creation to its shutdown, or (``warm``) from the moment every worker
    has loaded the model to the last result."""
    args = (
        [f"{base}/p/{p.id}.html" for p in pages],
        [p.html for p in pages],
        [page_title(p) for p in pages],
    )
    result = Floor()
    with ExitStack() as stack:
        if not warm:
            phase = stack.enter_context(sampler.during(name))
        pool = stack.enter_context(
            ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_floor_init)
        )
        if warm:
            warm_pool(pool, workers)
            phase = stack.enter_context(sampler.during(name))
        for mentions, extract_cpu, ner_cpu in pool.map(_floor_one, *args):
            result.mentions += mentions
            result.extract_cpu += extract_cpu
            result.ner_cpu += ner_cpu
    return result, phase


# -- the run ----------------------------------------------------------------------------


def ingest_pass(
    store: Store, cfg: config.Config, sampler: Sampler, name: str
) -> tuple[PassReport, Phase]:
    """``asyncio.run(ingest(store, cfg))``, timed whole as phase ``name``."""
    with sampler.during(name) as phase:
        return asyncio.run(ingest(store, cfg)), phase


def warm_pass(
    store: Store, cfg: config.Config, workers: int, sampler: Sampler, name: str
) -> tuple[PassReport, Phase]:
    """``Pipeline.run_pass()`` timed as phase ``name`` once the pipeline's workers have
    started and loaded the model."""

    async def run() -> tuple[PassReport, Phase]:
        pipeline = Pipeline(store, cfg)
        try:
            # The pool starts its processes on demand; make them start and load the model
            # (the initializer) before the clock runs. _executor is the pipeline's own pool.
            await asyncio.to_thread(warm_pool, pipeline._executor, workers)
            with sampler.during(name) as phase:
                return await pipeline.run_pass(), phase
        finally:
            pipeline.close()

    return asyncio.run(run())


# -- the whole process, as a user runs it ----------------------------------------------


@dataclass
class Child:
    """What one subprocess cost, from ``os.wait4``: wall clock, CPU seconds (user + system,
    its reaped descendants included: ingest's and the floor's pool workers) and the largest
    max RSS among them (Linux's ru_maxrss: one process, not a sum)."""

    wall: float
    cpu: float
    maxrss_kb: int
    peak_sum_kb: int  # VmRSS of the subprocess and its descendants summed at one instant
    output: str
    main_cpu: float = 0.0  # CPU seconds of the subprocess itself (sampled: to 0.2 s)
    main_peak_kb: int = 0  # its own peak VmRSS
    other_peaks_kb: tuple[int, ...] = ()  # its descendants' peak VmRSS, largest first


def run_child(
    argv: Sequence[str], env: dict[str, str], sampler: Sampler, name: str
) -> tuple[Child, Phase]:
    """Run ``argv`` from the repository root, timed as phase ``name``; fails loudly."""
    with tempfile.TemporaryFile("w+") as out, sampler.during(name) as phase:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        phase.root = proc.pid
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.sample()
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{output[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    inside = phase.root_family
    others = tuple(sorted((phase.peak_kb[p] for p in inside if p != proc.pid), reverse=True))
    child = Child(wall, cpu, usage.ru_maxrss, phase.peak_root_kb, output)
    child.main_cpu = phase.cpu(proc.pid)
    child.main_peak_kb = phase.peak_kb.get(proc.pid, 0)
    child.other_peaks_kb = others
    return child, phase


def tagwire_command() -> list[str]:
    script = Path(sys.executable).with_name("tagwire")  # the console script, as users run it
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from tagwire.cli import main; sys.exit(main())"]


@dataclass
class WholeRun:
    """One side-by-side measurement: ``tagwire ingest`` on a fresh database, the same
    command again (feeds unchanged: 304), and the whole-process floor."""

    ingest: Child
    again: Child
    floor: Child

    @property
    def ratio(self) -> float:
        """Throughput as a share of the floor's (floor time / ingest time)."""
        return self.floor.wall / self.ingest.wall

    @property
    def cpu_ratio(self) -> float:
        return self.floor.cpu / self.ingest.cpu

    @property
    def again_share(self) -> float:
        return self.again.wall / self.ingest.wall


def whole_runs(
    res: Results, data: Path, sources_file: Path, folder: Path, repeat: int
) -> list[WholeRun]:
    """``repeat`` side-by-side measurements, the order of ingest and floor alternating."""
    env = {**os.environ, **ENVIRON}
    env.pop("TAGWIRE_CONFIG", None)
    env.pop("TAGWIRE_DATABASE_URL", None)
    floor_argv = ingest_floor.command(sys.executable, data, res.pages, WORKERS)
    runs = []
    for number in range(repeat):
        db = f"sqlite:///{folder}/whole-{number}.db"
        argv = [*tagwire_command(), "ingest", "--sources", str(sources_file), "--db", db]
        argv.append("--no-progress")
        sampler = res.sampler
        if number % 2:
            floor_child, _ = run_child(floor_argv, env, sampler, WHOLE_FLOOR)
            first, _ = run_child(argv, env, sampler, WHOLE)
        else:
            first, _ = run_child(argv, env, sampler, WHOLE)
            floor_child, _ = run_child(floor_argv, env, sampler, WHOLE_FLOOR)
        again, _ = run_child(argv, env, sampler, WHOLE_AGAIN)
        run = WholeRun(first, again, floor_child)
        print(
            f"  whole process {number + 1}: tagwire ingest {first.wall:.2f} s "
            f"({first.cpu:.1f} s CPU), floor {floor_child.wall:.2f} s "
            f"({floor_child.cpu:.1f} s CPU): {run.ratio:.2f}x the floor "
            f"(CPU {run.cpu_ratio:.2f}); again, unchanged: {again.wall:.2f} s "
            f"= {run.again_share:.1%}; main process {first.main_cpu:.1f} s CPU; peak "
            f"{_mb(first.peak_sum_kb):.0f} MB (main {_mb(first.main_peak_kb):.0f}, others "
            + ", ".join(f"{_mb(kb):.0f}" for kb in first.other_peaks_kb if kb)
            + ")"
        )
        runs.append(run)
    return runs


COLD, SECOND, REPARSE, WARM = "cold pass", "second pass", "re-parse pass", "warm pass"
WHOLE, WHOLE_AGAIN = "tagwire ingest, whole process", "tagwire ingest again, unchanged"
WHOLE_FLOOR = "floor, whole process"
FLOOR_COLD, FLOOR_WARM = "floor, cold", "floor, warm"
PHASES = (COLD, SECOND, REPARSE, WARM, FLOOR_COLD, FLOOR_WARM)


@dataclass
class Results:
    pages: int
    feeds: int
    rounds: int
    reports: dict[str, PassReport] = field(default_factory=dict)
    floor: Floor = field(default_factory=Floor)
    sampler: Sampler = field(default_factory=Sampler)
    rusage_self_kb: int = 0
    rusage_children_kb: int = 0
    stored_articles: int = 0
    stored_mentions: int = 0
    whole: list[WholeRun] = field(default_factory=list)
    quiet_wait: float = 0.0
    max_rounds: int = 0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)  # os.getloadavg() at the start

    def seconds(self, phase: str) -> float:
        return self.sampler.phases[phase].wall

    def articles(self, phase: str) -> int:
        report = self.reports.get(phase)
        if report is None:  # a floor phase or a whole process: every page
            return self.pages
        return report.articles_new + report.articles_duplicate

    def rate(self, phase: str) -> float:
        return self.articles(phase) / self.seconds(phase)

    def keep(self, name: str, report: PassReport, phase: Phase) -> None:
        if self.sampler.kept(name, phase):
            self.reports[name] = report
        print(_line(name, report, phase))


def run(
    pages: Sequence[AebPage],
    feed_count: int,
    quiet_wait: float,
    rounds: int,
    data: Path = DATA,
    repeat: int = 3,
) -> Results:
    """The whole-process measurements (``repeat`` times), then every in-process phase, in up
    to ``rounds`` rounds until each phase has one measurement that other processes did not
    disturb; the least disturbed (then fastest) one is kept."""
    cfg = config.load(ENVIRON)
    site = Site({p.id: p.html for p in pages})
    server, base = serve(site)
    feed_paths = build_feeds(site, base, pages, feed_count)
    try:
        with Sampler(quiet_wait=quiet_wait) as sampler, tempfile.TemporaryDirectory() as tmp:
            res = Results(len(pages), feed_count, 0, sampler=sampler)
            res.quiet_wait, res.max_rounds, res.load_before = quiet_wait, rounds, os.getloadavg()
            sources_file = Path(tmp, "sources.toml")
            write_sources(sources_file, base, feed_paths)
            if repeat:
                print("whole process")
                res.whole = whole_runs(res, data, sources_file, Path(tmp), repeat)
            for number in range(1, rounds + 1):
                print(f"round {number}")
                res.rounds = number
                one_round(res, cfg, pages, site, base, sources_file, Path(tmp, f"round-{number}"))
                if not any(sampler.phases[p].disturbed for p in PHASES):
                    break
    finally:
        server.shutdown()
        server.server_close()
    return res


def one_round(
    res: Results,
    cfg: config.Config,
    pages: Sequence[AebPage],
    site: Site,
    base: str,
    sources_file: Path,
    folder: Path,
) -> None:
    sampler = res.sampler
    folder.mkdir()
    store = Store(f"sqlite:///{folder}/bench.db")
    store.upsert_sources(tagwire.sources.load(sources_file))
    report, cold = ingest_pass(store, cfg, sampler, COLD)
    res.keep(COLD, report, cold)
    if sampler.kept(COLD, cold):
        res.stored_articles, res.stored_mentions = _count(store)
    res.keep(SECOND, *ingest_pass(store, cfg, sampler, SECOND))
    site.honour_etag = False  # the feeds come back whole: every item is already known
    res.keep(REPARSE, *ingest_pass(store, cfg, sampler, REPARSE))
    site.honour_etag = True
    store.close()

    warm_store = Store(f"sqlite:///{folder}/bench-warm.db")
    warm_store.upsert_sources(tagwire.sources.load(sources_file))
    res.keep(WARM, *warm_pass(warm_store, cfg, WORKERS, sampler, WARM))
    warm_store.close()
    res.rusage_self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res.rusage_children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    _, phase = floor(pages, base, WORKERS, sampler, FLOOR_COLD, warm=False)
    print(_floor_line(FLOOR_COLD, len(pages), phase))
    result, phase = floor(pages, base, WORKERS, sampler, FLOOR_WARM, warm=True)
    if sampler.kept(FLOOR_WARM, phase):
        res.floor = result
    print(_floor_line(FLOOR_WARM, len(pages), phase))


def _count(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        articles = conn.execute(select(func.count()).select_from(schema.articles)).scalar_one()
        mentions = conn.execute(select(func.count()).select_from(schema.mentions)).scalar_one()
    return int(articles), int(mentions)


def _disturbance(phase: Phase) -> str:
    return f" [disturbed: others took {phase.others_cores:.2f} cores]" if phase.disturbed else ""


def _line(name: str, r: PassReport, phase: Phase) -> str:
    stored = r.articles_new + r.articles_duplicate
    rate = f", {stored / phase.wall:.1f} articles/s" if stored else ""
    return (
        f"  {name}: {phase.wall:.2f} s{rate} (feeds ok {r.feeds_ok}, unchanged "
        f"{r.feeds_unchanged}, failed {r.feeds_failed}; new {r.articles_new}, duplicate "
        f"{r.articles_duplicate}, known {r.articles_known}; errors {len(r.errors)})"
        + _disturbance(phase)
    )


def _floor_line(name: str, pages: int, phase: Phase) -> str:
    return f"  {name}: {phase.wall:.2f} s, {pages / phase.wall:.1f} pages/s" + _disturbance(phase)


# -- the report -------------------------------------------------------------------------


def _mb(kb: int) -> float:
    return kb / 1024


def _ok(good: bool) -> str:
    return "met" if good else "**missed**"


def whole_lines(res: Results) -> list[str]:
    """The side-by-side whole-process measurements, one row each, and their medians."""
    g = GOALS
    lines = [
        "| run | `tagwire ingest` (fresh DB) | floor, whole process | ingest / floor "
        "(throughput) | CPU: ingest; floor; floor / ingest | CPU of ingest's main process; "
        "of its workers; of the floor's workers | `tagwire ingest` again, unchanged: time, "
        "share of the first | peak RSS summed at one instant (main; each worker); largest "
        "process (wait4) | the floor's peak RSS summed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, w in enumerate(res.whole, 1):
        lines.append(
            f"| {number} | {w.ingest.wall:.2f} s | {w.floor.wall:.2f} s | {w.ratio:.2f} | "
            f"{w.ingest.cpu:.1f} s; {w.floor.cpu:.1f} s; {w.cpu_ratio:.2f} | "
            f"{w.ingest.main_cpu:.1f} s; {w.ingest.cpu - w.ingest.main_cpu:.1f} s; "
            f"{w.floor.cpu - w.floor.main_cpu:.1f} s | "
            f"{w.again.wall:.2f} s, {w.again_share:.1%} | "
            f"{_mb(w.ingest.peak_sum_kb):.0f} MB ({_mb(w.ingest.main_peak_kb):.0f}; "
            + "; ".join(f"{_mb(kb):.0f}" for kb in w.ingest.other_peaks_kb if kb > 100_000)
            + f"); {_mb(w.ingest.maxrss_kb):.0f} MB | {_mb(w.floor.peak_sum_kb):.0f} MB |"
        )
    ratio = statistics.median(w.ratio for w in res.whole)
    cpu_ratio = statistics.median(w.cpu_ratio for w in res.whole)
    share = statistics.median(w.again_share for w in res.whole)
    peak = max(w.ingest.peak_sum_kb for w in res.whole)
    lines.append(
        f"| median (peak: max) | {statistics.median(w.ingest.wall for w in res.whole):.2f} s | "
        f"{statistics.median(w.floor.wall for w in res.whole):.2f} s | **{ratio:.2f}** "
        f"(≥ {g['floor_ratio']}: {_ok(ratio >= g['floor_ratio'])}) | "
        f"{statistics.median(w.ingest.cpu for w in res.whole):.1f} s; "
        f"{statistics.median(w.floor.cpu for w in res.whole):.1f} s; **{cpu_ratio:.2f}** | "
        f"{statistics.median(w.ingest.main_cpu for w in res.whole):.1f} s; "
        f"{statistics.median(w.ingest.cpu - w.ingest.main_cpu for w in res.whole):.1f} s; "
        f"{statistics.median(w.floor.cpu - w.floor.main_cpu for w in res.whole):.1f} s | "
        f"**{share:.1%}** (< {g['second_pass_ratio']:.0%}: "
        f"{_ok(share < g['second_pass_ratio'])}) | **{_mb(peak):.0f} MB** "
        f"(< {g['memory_mb']} MB: {_ok(_mb(peak) < g['memory_mb'])}); "
        f"{_mb(max(w.ingest.maxrss_kb for w in res.whole)):.0f} MB | "
        f"{_mb(max(w.floor.peak_sum_kb for w in res.whole)):.0f} MB |"
    )
    return lines


def table(res: Results) -> list[str]:
    g = GOALS
    cold_ratio = res.rate(COLD) / res.rate(FLOOR_COLD)
    warm_ratio = res.rate(WARM) / res.rate(FLOOR_WARM)
    second_ratio = res.seconds(SECOND) / res.seconds(COLD)
    peak = max(res.sampler.phases[p].peak_total_kb for p in (COLD, WARM))
    rate_goal = g["articles_per_s"]
    return [
        "| measure | value | goal |",
        "|---|---|---|",
        f"| cold pass (fresh DB; pool start and model load included) | "
        f"{res.seconds(COLD):.2f} s, **{res.rate(COLD):.1f} articles/s** | "
        f"≥ {rate_goal:.0f}/s: {_ok(res.rate(COLD) >= rate_goal)} |",
        f"| warm pass (fresh DB, workers already started) | {res.seconds(WARM):.2f} s, "
        f"**{res.rate(WARM):.1f} articles/s** | ≥ {rate_goal:.0f}/s: "
        f"{_ok(res.rate(WARM) >= rate_goal)} |",
        f"| second pass, unchanged feeds (304) | {res.seconds(SECOND):.3f} s = "
        f"**{second_ratio:.1%}** of the cold pass | < {g['second_pass_ratio']:.0%}: "
        f"{_ok(second_ratio < g['second_pass_ratio'])} |",
        f"| pass with the feeds re-sent (200, every item known) | "
        f"{res.seconds(REPARSE):.3f} s = {res.seconds(REPARSE) / res.seconds(COLD):.1%} "
        "of the cold pass | — |",
        f"| floor, cold (extract + NER, {WORKERS} spawn processes, pool start included) | "
        f"{res.seconds(FLOOR_COLD):.2f} s, {res.rate(FLOOR_COLD):.1f} pages/s | — |",
        f"| floor, warm (workers already started) | {res.seconds(FLOOR_WARM):.2f} s, "
        f"{res.rate(FLOOR_WARM):.1f} pages/s | — |",
        f"| end-to-end / floor, cold | **{cold_ratio:.2f}** | ≥ {g['floor_ratio']}: "
        f"{_ok(cold_ratio >= g['floor_ratio'])} |",
        f"| end-to-end / floor, warm | **{warm_ratio:.2f}** | ≥ {g['floor_ratio']}: "
        f"{_ok(warm_ratio >= g['floor_ratio'])} |",
        f"| peak RSS of main + workers, summed at one instant (sampled every 0.2 s) | "
        f"**{_mb(peak):.0f} MB** | < {g['memory_mb']} MB: {_ok(_mb(peak) < g['memory_mb'])} |",
        f"| getrusage max RSS: main; largest child; main + {WORKERS} × largest child | "
        f"{_mb(res.rusage_self_kb):.0f} MB; {_mb(res.rusage_children_kb):.0f} MB; "
        f"{_mb(res.rusage_self_kb + WORKERS * res.rusage_children_kb):.0f} MB | — |",
    ]


def cpu_lines(res: Results) -> list[str]:
    lines = [
        "| phase | wall s | main process CPU s | worker processes CPU s | main CPU per "
        "article | other processes on the machine, CPU s (mean cores) |",
        "|---|---|---|---|---|---|",
    ]
    main = res.sampler.main
    for name, phase in res.sampler.phases.items():
        main_cpu = phase.cpu(main)
        workers_cpu = phase.family_cpu() - main_cpu
        articles = res.articles(name)
        per_article = (
            f"{1000 * main_cpu / articles:.0f} ms" if articles and name in res.reports else "—"
        )
        others = phase.others_cpu()
        lines.append(
            f"| {name} | {phase.wall:.2f} | {main_cpu:.2f} | {workers_cpu:.2f} | "
            f"{per_article} | {others:.1f} ({others / phase.wall:.2f}) |"
        )
    return lines


def cpu_budget(res: Results) -> str:
    """What the CPU times of the warm phases allow on this machine's cores: an estimate that
    other load on the machine disturbs much less than the wall-clock rates."""
    cores = len(os.sched_getaffinity(0))
    warm, floor_warm = res.sampler.phases[WARM], res.sampler.phases[FLOOR_WARM]
    main = warm.cpu(res.sampler.main) / res.articles(WARM)
    workers = (warm.family_cpu() - warm.cpu(res.sampler.main)) / res.articles(WARM)
    floor_cpu = (floor_warm.family_cpu() - floor_warm.cpu(res.sampler.main)) / res.pages
    best, best_floor = cores / (main + workers), cores / floor_cpu
    others = max(p.others_cpu() / p.wall for p in res.sampler.phases.values() if p.wall > 1)
    return (
        f"CPU budget of the warm phases: the pipeline spends {1000 * main:.0f} ms of CPU per "
        f"article in the main process and {1000 * workers:.0f} ms in the workers; the floor "
        f"{1000 * floor_cpu:.0f} ms per page. With all {cores} cores busy and nothing else "
        f"running, these CPU times allow about {best:.1f} articles/s end-to-end and "
        f"{best_floor:.1f} pages/s for the floor (ratio {best / best_floor:.2f}); "
        f"{GOALS['articles_per_s']:.0f} articles/s would take "
        f"{GOALS['articles_per_s'] * (main + workers):.1f} cores busy. "
        f"Other processes took up to {others:.2f} cores on average during a kept phase"
        + (
            " (a quiet machine)."
            if others < 0.1
            else ", which slowed the wall-clock rates of that phase: rerun on a quiet machine."
        )
    )


def memory_lines(res: Results) -> list[str]:
    lines = [
        "| phase | peak sum (MB) | main process (MB) | child processes (MB) |",
        "|---|---|---|---|",
    ]
    main = res.sampler.main
    for name, phase in res.sampler.phases.items():
        children = sorted((kb for pid, kb in phase.peak_kb.items() if pid != main), reverse=True)
        shown = ", ".join(f"{_mb(kb):.0f}" for kb in children if kb)
        lines.append(
            f"| {name} | {_mb(phase.peak_total_kb):.0f} | "
            f"{_mb(phase.peak_kb.get(main, 0)):.0f} | {shown} |"
        )
    return lines


def section(res: Results, checksum: str, measured: str) -> str:
    cold = res.reports[COLD]
    f = res.floor
    english = "English pages get NER; others only extraction, as in the pipeline"
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, tagwire at {measured}. "
        f"Rerun: `{COMMAND}` from the repository root "
        "(`--pages N` for a quick run that leaves this file alone). The environment is left "
        "as it is (no thread variables set or unset). The machine is shared: the run's "
        f"session (autogroup) has the nice value {RUN_NICE[0]} (`--nice`), both sides alike, "
        "so that other sessions take less of the cores from either; and each phase "
        f"starts once it has used less than {QUIET_CORES} cores for 2 s (waiting up to "
        f"`--quiet-wait`, 120 s; this run: {res.quiet_wait:g} s), and a phase during which "
        f"other processes took more than {DISTURBED_CORES} cores on average is measured "
        f"again in another round (up to `--rounds`, 3; this run: up to {res.max_rounds}); "
        "the least disturbed, then fastest, measurement of each phase is kept (this run: "
        f"{res.rounds} round{'s' if res.rounds > 1 else ''}). The CPU table below shows what "
        "other processes took during each kept phase. Load average when this run started: "
        + ", ".join(f"{v:.1f}" for v in res.load_before)
        + f" on {len(os.sched_getaffinity(0))} cores. On a machine that busy, wall-clock "
        "figures move by a factor of two between runs; ratios measured side by side in one "
        "run move less, and CPU times (what each side consumed, whatever waited) least: read "
        "those first.",
        "",
        f"Corpus: the {res.pages} real pages of the article-extraction benchmark (dev part, "
        f"checksum `{checksum}`), served by a loopback `ThreadingHTTPServer` (a thread of the "
        f"benchmark process) as {res.feeds} publishers with one RSS 2.0 feed each (no "
        "`content:encoded`, so every page is fetched; `ETag`, `304` on `If-None-Match`). "
        "The real code runs: `Store` (SQLite file), `sources.load` + `upsert_sources`, "
        "`asyncio.run(pipeline.ingest(store, cfg))` with `TAGWIRE_WORKERS=2`, "
        "`TAGWIRE_HOST_DELAY=0`, `TAGWIRE_HOST_CONCURRENCY=16`, "
        "`TAGWIRE_ALLOWED_HOSTS=127.0.0.1` and the other settings at their defaults (NER "
        f"on). The cold pass stored {cold.articles_new} new and {cold.articles_duplicate} "
        f"duplicate articles ({res.stored_articles} rows, {res.stored_mentions} mentions); "
        f"{cold.feeds_failed} feeds failed, {len(cold.errors)} errors. articles/s counts "
        "new + duplicate articles stored.",
        "",
        "### As a user runs it: `tagwire ingest`, whole process, against the whole-process floor",
        "",
        f"Side by side in one run, {len(res.whole)} times (the order of the two alternating, "
        "a fresh database each time): `tagwire ingest --sources FILE --db sqlite:///... "
        "--no-progress` as a subprocess (the console script, which its spawn workers run "
        "again as a user's do: it imports only `tagwire.entry`), then the same command "
        "again on the same database (the "
        "feeds unchanged: 304); and the whole-process floor, `bench/ingest_floor.py`: a "
        "fresh `python -c` process that imports only `extract_page` and `find_mentions`, "
        f"reads the same {res.pages} pages from disk and runs them in a spawn pool of "
        f"{WORKERS} whose initializer loads spaCy. Wall clock from start to exit; CPU from "
        "`os.wait4` (user + system of the process and its reaped workers: what other load on "
        "the machine disturbs least); memory: VmRSS of the subprocess and its descendants "
        "summed at one instant (sampled every 0.2 s) and the largest single process's max "
        "RSS (wait4's ru_maxrss). The ratio is throughput: floor time / ingest time.",
        "",
        *whole_lines(res),
        "",
        "### Inside one process: passes against the floor",
        "",
        *table(res),
        "",
        "The floor is what the pipeline cannot beat on this machine: `extract_page` (after "
        f"`decode_body`) + `find_mentions` for every page in a spawn "
        f"`ProcessPoolExecutor({WORKERS})` whose initializer loads the model, and nothing "
        f"else (no HTTP, feeds, dedup or store). {english}. It found {f.mentions} mentions; "
        f"its workers spent {1000 * f.extract_cpu / res.pages:.0f} ms of CPU per page on "
        f"extraction and {1000 * f.ner_cpu / res.pages:.0f} ms on NER. Cold figures include "
        "starting the processes and loading spaCy in each (the pool and the pass are timed "
        "from creation to shutdown); warm ones start the clock once every worker has run a "
        "task (the warm pass does this with the pipeline's own pool).",
        "",
        "CPU time per phase (from /proc: the main process, including the HTTP server and "
        "sampler threads; its worker processes, or for a whole-process phase the subprocess "
        "and its workers; and everything else running on the "
        "machine, which competes for the same cores):",
        "",
        *cpu_lines(res),
        "",
        cpu_budget(res),
        "",
        "Memory per phase (VmRSS of this process and all its descendants, sampled every "
        "0.2 s; the main process is the benchmark's, which also holds the pages the server "
        "sends, about 23 MB; for a whole-process phase the subprocess and its workers are "
        "the child processes; "
        "the 12 MB child is multiprocessing's resource tracker):",
        "",
        *memory_lines(res),
    ]
    if PROFILE_NOTES.is_file():
        lines += ["", PROFILE_NOTES.read_text(encoding="utf-8").strip()]
    return "\n".join(lines) + "\n"


def session_nice(nice: int) -> None:
    """The kernel shares the cores between sessions (autogroups) before processes: the
    nice value of this run's session (the benchmark, `tagwire ingest` and the floor alike,
    which inherit it) against other sessions'. Nothing where autogroups are off or the file
    cannot be written (not root)."""
    RUN_NICE[0] = nice
    with suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(nice))


def write_section(markdown: str, doc: Path = BENCH_DOC) -> None:
    """Replace (or append) this script's section of ``doc``, creating the doc if needed."""
    replace_section(doc, SECTION, markdown, DOC_HEADER)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the benchmark folder")
    parser.add_argument("--pages", type=int, default=0, help="use the first N pages only")
    parser.add_argument("--no-write", action="store_true", help="do not touch the docs")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measure again, up to this many rounds, while a phase was disturbed by other "
        "processes; the least disturbed measurement of each phase is kept",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before each phase, wait up to this many seconds for other processes on the "
        "machine to calm down (0: do not wait)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="side-by-side measurements of `tagwire ingest` and the whole-process floor, "
        "each a subprocess (0: none)",
    )
    parser.add_argument(
        "--whole-only",
        action="store_true",
        help="only the whole-process measurements (docs untouched)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=NICE,
        help="the nice value of this run's session (autogroup): below 0, other sessions' "
        "processes on a shared machine take less of the cores from both sides (0: a fair "
        "share)",
    )
    args = parser.parse_args(argv)
    session_nice(args.nice)
    if not (args.data / "ground-truth.dev.json").is_file():
        print(f"no evaluation data: {args.data} is absent (it lives beside the repository)")
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    pages = list(aeb_pages(args.data))
    if args.pages:
        pages = pages[: args.pages]
    feed_count = max(1, min(FEEDS, len(pages)))
    print(f"{len(pages)} pages in {feed_count} feeds, {WORKERS} workers; {machine()}")
    measured = revision()  # before the run: the code imported is the code measured
    rounds = 0 if args.whole_only else args.rounds
    repeat = max(args.repeat, 1) if args.whole_only else args.repeat
    res = run(pages, feed_count, args.quiet_wait, rounds, args.data, repeat)
    print()
    if res.whole:
        print("\n".join(whole_lines(res)))
        print()
    if args.whole_only:
        return 0
    print("\n".join(table(res)))
    print()
    print("\n".join(cpu_lines(res)))
    print()
    print(cpu_budget(res))
    print()
    print("\n".join(memory_lines(res)))
    for source, message in res.reports[COLD].errors[:10]:
        print(f"error: {source}: {message}")
    if not args.no_write and not args.pages and res.whole:
        write_section(section(res, aeb_checksum(args.data), measured))
        print(f"\nupdated the '{SECTION}' section of {BENCH_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
