"""The docs/benchmarks.md sections bench/load.py writes from its measurements."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bench.load_bench import DISTURBED_CORES, Compared, Outcome, Settings, describe, ms, others
from bench.load_client import Run, percentile
from bench.load_config import (
    BACKLOG_SECONDS,
    COMMAND,
    DAYS,
    GOAL_P99,
    GOAL_RATE,
    HEALTH_EVERY,
    MIN_RATE,
    NODELAY_RATE,
    OVERLOAD_FACTOR,
    REQUEST_TAGS,
    SEARCH_REQUESTS,
    SECTION,
    SHED_SECTION,
    STEP,
    TIMEOUT,
    ZIPF_S,
)
from bench.load_profile import SPY_STAGES, STAGE_NAMES
from bench.load_server import PROTOCOLS
from bench.report import machine

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
