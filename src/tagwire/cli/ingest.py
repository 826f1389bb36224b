"""``tagwire ingest``: a sources file's sources added or updated, then one pass over them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from tagwire import config, sources
from tagwire.cli.arguments import DB_HELP, Commands
from tagwire.cli.database import open_store
from tagwire.store import FeedRecord
from tagwire.types import PassReport


def add_ingest(sub: Commands) -> None:
    ingest = sub.add_parser(
        "ingest",
        help="add/update a sources file, then one pass over it",
        description="Add or update the sources of FILE in the database, "
        "then fetch, process and store one pass over them. Exits 0 when "
        "the pass completes; a publisher's failure is stored on its "
        "source and reported, never fatal.",
    )
    ingest.add_argument(
        "--sources", required=True, metavar="FILE", help="sources file: TOML ([[sources]]) or OPML"
    )
    ingest.add_argument("--db", metavar="URL", help=DB_HELP)
    ingest.add_argument(
        "--no-progress", action="store_true", help="no progress bar even on a terminal"
    )
    ingest.set_defaults(handler=_ingest)


def _ingest(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.ingest.pipeline import ingest

    store = open_store(settings.database_url)
    source_ids = store.upsert_sources(sources.load(args.sources))
    feed_list = store.feeds(source_ids=source_ids)
    progress = _progress(len(feed_list), enabled=not args.no_progress)

    def done(feed: FeedRecord, outcome: str) -> None:
        if progress is not None:
            progress.set_postfix_str(f"{feed.source_name}: {outcome}", refresh=False)
            progress.update(1)

    try:
        report = asyncio.run(ingest(store, settings, feed_list, done))
    finally:
        if progress is not None:
            progress.close()
        store.close()
    _print_report(report)
    return 0


def _progress(total: int, enabled: bool) -> Any:
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="feed", desc="ingest", file=sys.stderr)


def _print_report(report: PassReport) -> None:
    print(
        f"{report.sources} sources: {report.feeds_ok} feeds read, "
        f"{report.feeds_unchanged} unchanged, {report.feeds_failed} failed; "
        f"{report.articles_new} new articles, {report.articles_duplicate} duplicates folded, "
        f"{report.articles_known} already known"
    )
    for name, message in report.errors:
        print(f"  failed: {name}: {message}")
