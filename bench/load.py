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

The code, in bench/: load_config.py (the parameters), load_db.py (the database),
load_server.py (the server), load_client.py (the load generator, the checks of the
answers), load_profile.py (--profile), load_bench.py (the measurements), load_report.py
(the docs sections); this module keeps the app factory and the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvloop

from bench.load_bench import Bench, Settings, Variant
from bench.load_client import Item
from bench.load_config import (
    BENCH_DOC,
    CLIENT_NICE,
    DATA,
    DB_ENV,
    DEFAULT_DB,
    HOLD_ENV,
    OVERLOAD_ENV,
    SECTION,
    SERVER_NICE_DEFAULT,
    SHED_SECTION,
    SWITCH_ENV,
    TIMES_ENV,
)
from bench.load_db import build_db, db_is_fresh, db_summary, request_tags
from bench.load_profile import run_stage_times
from bench.load_report import render, render_compared, render_overload
from bench.load_server import PROTOCOLS, SERVER_NICE, ServerTimes, autogroup_nice
from bench.report import replace_section, revision
from tagwire.store import Store


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
