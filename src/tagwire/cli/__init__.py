"""The ``tagwire`` command: ingest | serve | worker | scheduler | tags | sources | curate |
db | import | export | config, one module per group of commands (each adds its parsers and
runs them); ``main`` parses, loads the settings and turns errors into one line and an exit
code (``arguments``: 0 done, 1 a runtime error, 2 a usage error, 130 interrupted).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from sqlalchemy import exc as sa_exc

from tagwire import __version__, config
from tagwire.cli.archive import add_export, add_import
from tagwire.cli.arguments import EXIT_ERROR, Parser, one_line
from tagwire.cli.database import db_reason
from tagwire.cli.db import add_db
from tagwire.cli.ingest import add_ingest
from tagwire.cli.serve import add_serve
from tagwire.cli.settings import add_config
from tagwire.cli.sources import add_sources
from tagwire.cli.tags import add_curate, add_tags
from tagwire.cli.workers import add_scheduler, add_worker
from tagwire.errors import TagwireError


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        except SystemExit:  # --help, --version, usage errors: their output is flushed too
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
        return code
    except BrokenPipeError:
        # standard output was closed early (`tagwire sources | head`): end quietly, as the
        # Python docs advise (signal module, "Note on SIGPIPE"): what is still buffered
        # goes to devnull, not to a second BrokenPipeError when Python flushes at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if not args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = config.load()
        if getattr(args, "db", None):
            settings = settings.replace(database_url=args.db)
        result: int = args.handler(args, settings)
        return result
    except TagwireError as error:
        _fail(str(error))
    except sa_exc.SQLAlchemyError as error:  # a database failing after it was opened
        _fail(f"database error: {db_reason(error)}")
    except BrokenPipeError:
        raise
    except OSError as error:  # a file that cannot be read or written
        what = error.strerror or str(error)
        _fail(f"{error.filename}: {what}" if error.filename else what)
    except KeyboardInterrupt:
        return 130
    return EXIT_ERROR


def _fail(message: str) -> None:
    """Print a runtime error on one line of standard error."""
    print(f"tagwire: {one_line(message)}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tagwire",
        description="News by hashtag: read publishers' feeds, keep one clean "
        "copy of each article, tag people, organisations and places, serve topic pages.",
    )
    parser.add_argument("--version", action="version", version=f"tagwire {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    # In this order in `tagwire --help`.
    add_ingest(sub)
    add_serve(sub)
    add_worker(sub)
    add_scheduler(sub)
    add_tags(sub)
    add_sources(sub)
    add_curate(sub)
    add_db(sub)
    add_import(sub)
    add_export(sub)
    add_config(sub)
    return parser
