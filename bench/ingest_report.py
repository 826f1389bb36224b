"""The printed lines and the docs/benchmarks.md section of bench/ingest.py, from its
``Results``."""

from __future__ import annotations

import os
import statistics
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bench.ingest_common import (
    COLD,
    COMMAND,
    FLOOR_COLD,
    FLOOR_WARM,
    GOALS,
    PROFILE_NOTES,
    REPARSE,
    RUN_NICE,
    SECOND,
    SECTION,
    WARM,
    WORKERS,
)
from bench.ingest_sampler import DISTURBED_CORES, Phase
from bench.report import QUIET_CORES, machine
from tagwire.types import PassReport

if TYPE_CHECKING:
    from bench.ingest import Results


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
