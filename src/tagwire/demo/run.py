"""``make demo``: serve the fictional publisher site on 127.0.0.1, ingest it into a fresh
database, and serve tagwire on it, so tagwire can be tried without internet.

Every run starts from a new database (``tagwire-demo.db`` in the working directory unless
``--db`` names another SQLite file): the publisher site gets a free port each time, and its
articles are dated relative to the moment it starts, so a database kept from an earlier run
would list every source twice, with links and images at a port nobody listens on any more.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tagwire import cli, config, sources
from tagwire.demo.site import PublisherSite, sources_toml
from tagwire.errors import ConfigError
from tagwire.ingest.pipeline import ingest
from tagwire.store import FeedRecord, Store
from tagwire.types import PassReport

DEFAULT_DB = "tagwire-demo.db"
Say = Callable[[str], None]


def _say(line: str) -> None:
    print(f"demo: {line}", flush=True)


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///PATH`` URL; the demo replaces it, so nothing else will do."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix or url.endswith(":memory:"):
        raise ConfigError(
            f"the demo makes a fresh SQLite file on every run; --db {url!r} is not one"
        )
    return Path(url[len(prefix) :])


def fresh_database(path: Path) -> None:
    """Remove the demo database of an earlier run (and SQLite's side files)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def prepare(site: PublisherSite, db: Path, sources_file: Path, say: Say = _say) -> PassReport:
    """A fresh database at ``db`` holding one pass over ``site``'s publishers (whose sources
    file is written to ``sources_file``); each step said as it happens, terminal or not."""
    sources_file.write_text(sources_toml(site.base_url), encoding="utf-8")
    fresh_database(db)
    say(f"fresh database {db} (a new one on every run)")
    settings = config.load().replace(database_url=f"sqlite:///{db}")
    store = Store(settings.database_url)
    try:
        ids = store.upsert_sources(sources.load(sources_file))
        feeds = store.feeds(source_ids=ids)
        say(
            f"reading {len(feeds)} feeds and their articles; the first run also loads the "
            "language models (20-60 s)"
        )
        started = time.monotonic()
        done_count = 0

        def done(feed: FeedRecord, outcome: str) -> None:
            nonlocal done_count
            done_count += 1
            seconds = time.monotonic() - started
            say(f"  [{done_count}/{len(feeds)}] {feed.source_name}: {outcome} ({seconds:.0f} s)")

        report = asyncio.run(ingest(store, settings, feeds, done))
    finally:
        store.close()
    say(
        f"{report.articles_new} articles from {report.sources} publishers, "
        f"{report.articles_duplicate} copies folded"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="tagwire's address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="tagwire's port (8000)")
    parser.add_argument(
        "--site-port",
        type=int,
        default=0,
        help="the publisher site's port (default: any free port)",
    )
    parser.add_argument(
        "--db",
        default=f"sqlite:///{DEFAULT_DB}",
        help=f"the demo's SQLite database, replaced on every run (sqlite:///{DEFAULT_DB})",
    )
    args = parser.parse_args(argv)
    try:
        db = sqlite_path(args.db)
    except ConfigError as error:
        print(f"tagwire demo: {error}", file=sys.stderr)
        return 2
    # The site is on loopback, which the address rule refuses unless allowed; one host
    # serves every demo publisher, so no politeness delay is needed.
    os.environ.setdefault("TAGWIRE_ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("TAGWIRE_HOST_DELAY", "0")
    with PublisherSite(port=args.site_port) as site, tempfile.TemporaryDirectory() as tmp:
        sources_file = Path(tmp) / "demo-sources.toml"
        _say(f"publisher site at {site.base_url}/")
        prepare(site, db, sources_file)
        _say(f"tagwire at http://{args.host}:{args.port}/ (Ctrl-C stops both)")
        return cli.main(
            [
                "serve",
                "--host",
                args.host,
                "--port",
                str(args.port),
                "--db",
                f"sqlite:///{db}",
                "--sources",
                str(sources_file),
            ]
        )


if __name__ == "__main__":
    raise SystemExit(main())
