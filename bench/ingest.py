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
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

import tagwire.sources
from bench import ingest_floor
from bench.ingest_common import (
    BENCH_DOC,
    COLD,
    DATA,
    DOC_HEADER,
    ENVIRON,
    FEEDS,
    FLOOR_COLD,
    FLOOR_WARM,
    NICE,
    PHASES,
    REPARSE,
    ROOT,
    RUN_NICE,
    SECOND,
    SECTION,
    WARM,
    WHOLE,
    WHOLE_AGAIN,
    WHOLE_FLOOR,
    WORKERS,
)
from bench.ingest_floor import page_title
from bench.ingest_report import (
    _floor_line,
    _line,
    _mb,
    cpu_budget,
    cpu_lines,
    memory_lines,
    section,
    table,
    whole_lines,
)
from bench.ingest_sampler import (
    Phase,
    Sampler,
    _cpu_seconds,
    _family,
    _rss_kb,
)
from bench.ingest_site import Site, build_feeds, serve, write_sources

# What other benchmarks (bench/workers.py, bench/entities_eval.py) take from here.
__all__ = [
    "BENCH_DOC",
    "DATA",
    "DOC_HEADER",
    "FEEDS",
    "Site",
    "_cpu_seconds",
    "_family",
    "_rss_kb",
    "build_feeds",
    "main",
    "serve",
    "write_sources",
]
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
