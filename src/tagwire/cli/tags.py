"""``tagwire tags`` (the most active hashtags) and ``tagwire curate`` (a curation file's
merges, splits, renames and blocks applied to every stored article).
"""

from __future__ import annotations

import argparse

from tagwire import config
from tagwire.cli.arguments import DB_HELP, Commands, positive
from tagwire.cli.database import open_store
from tagwire.service import admin, tag_queries


def add_tags(sub: Commands) -> None:
    tags = sub.add_parser(
        "tags",
        help="the most active hashtags",
        description="Print the hashtags with the most articles.",
    )
    tags.add_argument("--limit", type=positive, default=20, help="how many (20)")
    tags.add_argument("--db", metavar="URL", help=DB_HELP)
    tags.set_defaults(handler=_tags)


def add_curate(sub: Commands) -> None:
    cur = sub.add_parser(
        "curate",
        help="merge, split, rename or block tags from a curation file",
        description="Apply a curation file (TOML: [[merge]] tags = [...], [[rename]] tag, "
        "name, [[block]] tags = [...], [[split]] tag, forms = [...], name) to every stored "
        "article.",
    )
    cur.add_argument("file", metavar="FILE", help="the curation file")
    cur.add_argument("--db", metavar="URL", help=DB_HELP)
    cur.set_defaults(handler=_curate)


def _tags(args: argparse.Namespace, settings: config.Config) -> int:
    store = open_store(settings.database_url)
    for tag in tag_queries.top_tags_json(store, args.limit):
        print(f"#{tag['slug']:<32} {tag['kind']:<13} {tag['articles']:>6}")
    return 0


def _curate(args: argparse.Namespace, settings: config.Config) -> int:
    from tagwire import curation

    store = open_store(settings.database_url)
    for line in admin.apply_curation(store, curation.load(args.file)) or ["nothing to do"]:
        print(line)
    return 0
