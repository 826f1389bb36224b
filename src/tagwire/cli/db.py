"""``tagwire db``: database maintenance: ``migrate`` to the current schema, ``copy`` a whole
installation to another database, verified table by table.
"""

from __future__ import annotations

import argparse

from tagwire import config
from tagwire.cli.arguments import DB_HELP, Commands
from tagwire.cli.database import open_store


def add_db(sub: Commands) -> None:
    db = sub.add_parser(
        "db",
        help="database maintenance: migrate, copy",
        description="Bring a database to the current schema, or copy a whole installation "
        "to another database (SQLite to PostgreSQL, say).",
    )
    db_actions = db.add_subparsers(metavar="ACTION", required=True)
    migrate = db_actions.add_parser(
        "migrate",
        help="apply the schema migrations not yet applied",
        description="Apply "
        "the schema migrations a database lacks (every command also does this on start).",
    )
    migrate.add_argument("--db", metavar="URL", help=DB_HELP)
    migrate.set_defaults(handler=_db_migrate)
    copy = db_actions.add_parser(
        "copy",
        help="copy everything to another database, verified",
        description="Copy every table from one database to another whose store holds no "
        "articles, in one transaction, then compare both sides table by table (row counts "
        "and checksums).",
    )
    copy.add_argument("--from", dest="source", required=True, metavar="URL")
    copy.add_argument("--to", dest="target", required=True, metavar="URL")
    copy.set_defaults(handler=_db_copy)


def _db_migrate(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.store.migrations import current_version

    store = open_store(settings.database_url)  # opening migrates
    with store.engine.connect() as conn:
        version = current_version(conn)
    print(f"{settings.database_url}: schema version {version} (up to date)")
    store.close()
    return 0


def _db_copy(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire.store.copy import copy_store

    for url in (args.source, args.target):  # each one's own error, with its URL
        open_store(url).close()
    report = copy_store(args.source, args.target)
    for table in report:
        print(f"{table.name:<20} {table.rows:>9} rows  sha256 {table.checksum[:16]}  same on both")
    print(f"copied {sum(t.rows for t in report)} rows; every table checked")
    return 0
