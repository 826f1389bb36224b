"""Tag pages under load on a million articles, on SQLite and on PostgreSQL.

The database: the 1,000,000 articles of bench/scale.py (real texts mixed and perturbed,
stories of one to eight publishers, 2-5 tags an article among 15,000 names with a Zipf-like
popularity), brought in by ``tagwire import`` into a SQLite file (``python -m bench.scale``
leaves it at /tmp/tagwire-scale.db), and the same copied to PostgreSQL by ``tagwire db
copy`` (every table, verified by counts and checksums) into a database on the shared server
(127.0.0.1:5432), kept between runs while its article count matches.

The load: bench/load.py's open-loop generator and server (``tagwire serve``'s app and HTTP
protocol under uvicorn, 2 processes; requests at a constant rate whatever the answers; one
in five with the cursor of the tag's second page; no conditional headers; the response
cache's hits counted), over the 10,000 tags with most articles, Zipf-like (s = 1.1)
popularity. Per backend: the JSON tag list alone (the issue's goal: p99 <= 50 ms at 500
requests/s), then the HTML tag page and its API half each; each at 500/s for 60 s, then the
highest rate with p99 <= 50 ms and no errors (bench/load.py's search, 20 s runs).

    python -m bench.load_million            # measure, print
    python -m bench.load_million --write    # also update docs/benchmarks.md
    python -m bench.load_million --backends sqlite --mixes api
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy import func, select

from bench.load_bench import Bench, Outcome, Settings, describe, ms
from bench.load_db import request_tags
from bench.report import machine, replace_section, revision
from tagwire.store import Store
from tagwire.store import schema as t

ROOT = Path(__file__).resolve().parents[1]
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Tag pages under load on a million articles (SQLite and PostgreSQL)"
SQLITE = Path(os.environ.get("TAGWIRE_BENCH_SCALE_DB", "/tmp/tagwire-scale.db"))
POSTGRES = os.environ.get("TAGWIRE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = "tagwire_bench_million"
ARTICLES = 1_000_000
TAGS = 10_000
RATE = 500.0
WORKERS = 2
MIXES = {"api": 0.0, "html+api": 0.5}  # name -> share of HTML pages
TAGWIRE = str(Path(sys.executable).with_name("tagwire"))


def article_count(url: str) -> int:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.articles)).scalar_one())
    finally:
        store.close()


def postgres_copy(sqlite_url: str) -> str:
    """The PostgreSQL database holding the same rows (copied when missing or different)."""
    url = f"{POSTGRES}/{PG_DATABASE}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,))
        fresh = exists.fetchone() is None
    wanted = article_count(sqlite_url)
    if not fresh and article_count(url) == wanted:
        return url
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    print(f"copying {wanted:,} articles to {url} (tagwire db copy)...", flush=True)
    subprocess.run([TAGWIRE, "db", "copy", "--from", sqlite_url, "--to", url], check=True)
    return url


@dataclass
class Result:
    backend: str
    mix: str
    outcome: Outcome


def measure(backend: str, url: str, mixes: Sequence[str], quiet_wait: float) -> list[Result]:
    tags = request_tags(url, TAGS)
    print(f"{backend}: {len(tags):,} tags requested", flush=True)
    results = []
    for mix in mixes:
        settings = Settings(rate=RATE, html_share=MIXES[mix], extras=False, quiet_wait=quiet_wait)
        print(f" {mix}:", flush=True)
        results.append(Result(backend, mix, asyncio.run(Bench(url, WORKERS, tags, settings).run())))
    return results


def render(results: list[Result], rev: str, tags: int) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}, {rev}; "
        "`python -m bench.load_million --write` (method in its docstring).",
        "",
        f"{ARTICLES:,} articles (bench/scale.py's, imported by `tagwire import`), {tags:,} "
        f"tags requested with Zipf-like popularity, one request in five with a cursor, no "
        f"conditional headers; `tagwire serve`'s app in {WORKERS} processes; open loop at "
        f"{RATE:.0f} requests/s for 60 s (goal for the JSON tag list: p99 <= 50 ms, no errors).",
        "",
        "| backend | requests | p50 (ms) | p99 (ms) | errors | cache hits "
        "| highest rate with p99 <= 50 ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        goal = r.outcome.goal
        best = f"{r.outcome.best:.0f}/s" if r.outcome.best else "none (down to 2/s)"
        what = "JSON tag list" if r.mix == "api" else "HTML page and API, half each"
        lines.append(
            f"| {r.backend} | {what} | {ms(goal.p(50))} | {ms(goal.p(99))} | "
            f"{goal.error_count()} | {goal.hit_rate:.0%} | {best} |"
        )
    lines += ["", "The runs (server, client and other processes' CPU in cores):", ""]
    for r in results:
        lines.append(f"- {r.backend}, {r.mix}: {describe(r.outcome.goal)}")
        lines += [f"  - search: {describe(run)}" for run in r.outcome.search]
    verdicts = [
        f"{r.backend}: {'met' if r.outcome.goal.passed else 'not met'}"
        for r in results
        if r.mix == "api"
    ]
    lines += ["", f"Goal (JSON tag list, {RATE:.0f}/s, p99 <= 50 ms): {'; '.join(verdicts)}."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--mixes", default="api,html+api")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--quiet-wait", type=float, default=120.0, help="max s per wait")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    sqlite_url = f"sqlite:///{SQLITE}"
    if not SQLITE.is_file() or article_count(sqlite_url) < ARTICLES * 0.99:
        print(f"skipped: {SQLITE} is not bench/scale.py's million (run python -m bench.scale)")
        return 0
    rev = revision()
    mixes = args.mixes.split(",")
    results: list[Result] = []
    for backend in args.backends.split(","):
        url = sqlite_url if backend == "sqlite" else postgres_copy(sqlite_url)
        results += measure(backend, url, mixes, args.quiet_wait)
    markdown = render(results, rev, TAGS)
    print("\n" + markdown)
    if args.write:
        replace_section(BENCH_DOC, SECTION, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
