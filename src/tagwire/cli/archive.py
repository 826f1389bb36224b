"""``tagwire import`` (an archive of articles, JSON lines, brought into the store as ingest
would) and ``tagwire export`` (every stored article as such an archive).
"""

from __future__ import annotations

import argparse
import sys

from tagwire import config
from tagwire.cli.arguments import DB_HELP, Commands, not_negative
from tagwire.cli.database import open_store


def add_import(sub: Commands) -> None:
    arc = sub.add_parser(
        "import",
        help="import an archive of articles (JSON lines), deduplicated and grouped",
        description="Bring an archive of articles (JSON lines: url, title, text, source, "
        "published_at, and optionally summary, author, image, category, language, mentions) "
        "into the store in batches: each article folded into its near-duplicates and grouped "
        "into its story as ingest does. Run it while no ingest writes to the same store. "
        "Bad lines are reported and skipped.",
    )
    arc.add_argument("file", metavar="FILE", help="the archive, one JSON object a line")
    arc.add_argument("--db", metavar="URL", help=DB_HELP)
    arc.add_argument(
        "--workers", type=not_negative, default=1, help="processes for the text work (0: none)"
    )
    arc.set_defaults(handler=_import)


def add_export(sub: Commands) -> None:
    out = sub.add_parser(
        "export",
        help="write every stored article as an archive (JSON lines) that import reads",
        description="Write every stored article, in the order it was stored, to standard "
        "output as JSON lines in the format `tagwire import` reads (mentions included).",
    )
    out.add_argument("--db", metavar="URL", help=DB_HELP)
    out.set_defaults(handler=_export)


def _import(args: argparse.Namespace, settings: config.Config) -> int:
    from datetime import timedelta
    from pathlib import Path

    from tagwire.backfill import run_file

    store = open_store(settings.database_url)
    try:
        report = run_file(
            store,
            Path(args.file),
            workers=args.workers,
            dedup_window=timedelta(days=float(settings["TAGWIRE_DEDUP_WINDOW_DAYS"])),
            progress=lambda r: print(r.line(), file=sys.stderr, flush=True),
        )
    finally:
        store.close()
    for problem in report.problems[:20]:
        print(f"skipped {problem}", file=sys.stderr)
    print(report.line())
    return 0


def _export(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.backfill import export_archive

    store = open_store(settings.database_url)
    try:
        count = export_archive(store, sys.stdout)
    finally:
        store.close()
    print(f"{count} articles exported", file=sys.stderr)
    return 0
