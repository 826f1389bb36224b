"""``tagwire sources``: the sources with their health, and the actions on them: add (a
site's feeds discovered), import, export (OPML), pause, resume, remove.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tagwire import config, sources
from tagwire.cli.arguments import DB_HELP, Commands, positive
from tagwire.cli.database import open_store
from tagwire.service import admin


def add_sources(sub: Commands) -> None:
    src = sub.add_parser(
        "sources",
        help="list, add, import, export, pause, resume or remove sources",
        description="Without an action: list the sources with their health (last success, "
        "last error, articles a day, next check).",
    )
    src.add_argument("--db", metavar="URL", help=DB_HELP)
    src.set_defaults(handler=_sources)
    actions = src.add_subparsers(metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="find a site's feeds and add it",
        description="Find the feeds of the site at URL (<link rel=alternate>, the usual feed "
        "addresses, news sitemaps named in robots.txt) and add it as a source.",
    )
    add.add_argument("url", metavar="URL", help="the publisher's site (or a feed)")
    add.add_argument("--name", help="the source's name (default: the site's own)")
    add.add_argument("--country", help="ISO 3166-1 alpha-2 code")
    add.add_argument("--region", help="africa, americas, asia, europe, middle-east or oceania")
    add.add_argument("--language", help="language code (default: the page's)")
    add.add_argument("--category", help="one of the 17 category labels, for a one-topic site")
    add.add_argument("--db", metavar="URL", help=DB_HELP)
    add.set_defaults(handler=_sources_add)
    imp = actions.add_parser(
        "import",
        help="add the sources of a file",
        description="Add or update the sources of "
        "an OPML or TOML file (no fetching; the poller or `ingest` does that).",
    )
    imp.add_argument("file", metavar="FILE", help="OPML or TOML sources file")
    imp.add_argument("--db", metavar="URL", help=DB_HELP)
    imp.set_defaults(handler=_sources_import)
    exp = actions.add_parser(
        "export",
        help="print the sources as OPML",
        description="Print every enabled source "
        "as OPML 2.0 (country, region, language and category as outline attributes).",
    )
    exp.add_argument("--db", metavar="URL", help=DB_HELP)
    exp.set_defaults(handler=_sources_export)
    for action, what in (
        ("pause", "stop polling a source until it is resumed"),
        ("resume", "poll a paused source again, at once"),
        ("remove", "stop polling a source for good (its articles stay)"),
    ):
        one = actions.add_parser(action, help=what, description=what[0].upper() + what[1:] + ".")
        one.add_argument(
            "id", type=positive, metavar="ID", help="the source's id (`tagwire sources`)"
        )
        one.add_argument("--db", metavar="URL", help=DB_HELP)
        one.set_defaults(handler=_sources_state, action=action)


def _sources(args: argparse.Namespace, settings: config.Config) -> int:
    store = open_store(settings.database_url)
    listed = admin.sources_json(store)
    if not listed:
        print("no sources yet: `tagwire sources add URL` or `tagwire sources import FILE`")
        return 0
    print(f"{'id':>4} {'name':<32} {'region':<11} {'articles':>8} {'a day':>6}  state")
    for s in listed:
        if s["paused"]:
            status = f"paused: {s['paused_reason']}"
        else:
            status = s["last_error"] or ("ok" if s["last_success_at"] else "not checked yet")
        print(
            f"{s['id']:>4} {s['name'][:32]:<32} {s['region'] or '':<11} "
            f"{s['articles']:>8} {s['items_per_day']:>6}  {status}"
        )
    return 0


def _sources_add(args: argparse.Namespace, settings: config.Config) -> int:
    store = open_store(settings.database_url)
    added, found = asyncio.run(
        admin.add_source(
            store,
            settings,
            args.url,
            name=args.name,
            country=args.country,
            region=args.region,
            language=args.language,
            category=args.category,
        )
    )
    print(f"source {added['id']}: {added['name']} ({added['url']}), found by {found.how}:")
    for feed in found.feeds:
        print(f"  {feed}")
    return 0


def _sources_import(args: argparse.Namespace, settings: config.Config) -> int:
    store = open_store(settings.database_url)
    ids = store.upsert_sources(sources.load(args.file))
    print(f"{len(ids)} sources added or updated from {args.file}")
    return 0


def _sources_export(args: argparse.Namespace, settings: config.Config) -> int:
    opml = admin.export_sources(open_store(settings.database_url))
    # A line at a time: with unbuffered output (PYTHONUNBUFFERED, common in containers) one
    # write of the whole text that a closed pipe cuts short returns a count, not an error,
    # and the rest would be lost without a word; the next line's write reports the pipe.
    for line in opml.splitlines(keepends=True):
        sys.stdout.write(line)
    return 0


def _sources_state(args: argparse.Namespace, settings: config.Config) -> int:
    store = open_store(settings.database_url)
    {"pause": store.pause_source, "resume": store.resume_source, "remove": store.remove_source}[
        args.action
    ](args.id)
    print(f"source {args.id}: {args.action}d")
    return 0
