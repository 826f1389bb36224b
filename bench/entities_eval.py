"""Hashtags on real news pages, scored against hand-made gold (shared/data/entities-aeb-dev).

The 138 pages of the article-extraction benchmark are served by a loopback publisher behind
RSS feeds whose items carry the pages' real headlines (the gold file's ``title``); the real
ingest runs over them (fetch, extraction, NER and resolution in the process pool, the
store), and the cards are read back through the JSON API: each card's tags, each tag's name
and kind, and the surface forms of its mentions (``/api/v1/articles/{id}/tags/{tag}``).

Scoring, exactly as the data's PROVENANCE.md defines it (English pages only): a shown tag
matches a gold entity of its page when its name or slug, or the surface of one of its
mentions, normalises to one of the entity's aliases or its name (NFKD, combining marks
dropped, casefolded, letters and digits only). Precision = tags matching an entity not yet
matched on that card / shown tags; a second tag for one entity is a duplicate; a tag matching
a ``not_topics`` surface is "not a topic"; anything else is noise. Salient recall counts at
most 10 salient entities a page. Consistency: among entities matched on two or more pages,
the share shown under one slug everywhere.

    python -m bench.entities_eval [--write] [--show noise,duplicate,missed,kind,split]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

import tagwire.sources
from bench.ingest import Site, build_feeds, serve, write_sources
from bench.metrics import AebPage, aeb_pages
from bench.report import machine, replace_section, revision
from tagwire import config
from tagwire.ingest.pipeline import ingest
from tagwire.store import Store, schema

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GOLD = SHARED / "entities-aeb-dev" / "gold.json"
PAGES = SHARED / "article-extraction-aeb"
QUALITY = Path(__file__).resolve().parents[1] / "docs" / "quality.md"
HEADING = "## Hashtags on real pages"
FEEDS = 8  # publishers; a page's feed is its index modulo this


def norm(text: str) -> str:
    """PROVENANCE.md's normalisation: NFKD, no combining marks, casefold, letters/digits."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in "".join(kept).casefold() if c.isalnum())


@dataclass(frozen=True)
class ShownTag:
    slug: str
    name: str
    kind: str
    surfaces: tuple[str, ...]
    mentions: int = 0
    in_title: bool = False

    def forms(self) -> set[str]:
        return {n for n in (norm(self.slug), norm(self.name), *map(norm, self.surfaces)) if n}


@dataclass
class Scores:
    pages: int = 0
    shown: int = 0
    correct: int = 0
    duplicates: int = 0
    not_topics: int = 0
    noise: int = 0
    cards_with_duplicate: int = 0
    salient: int = 0
    salient_found: int = 0
    wrong_kind: int = 0
    consistent: int = 0
    multi_page: int = 0
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def precision(self) -> float:
        return self.correct / self.shown if self.shown else 0.0

    @property
    def salient_recall(self) -> float:
        return self.salient_found / self.salient if self.salient else 0.0

    @property
    def consistency(self) -> float:
        return self.consistent / self.multi_page if self.multi_page else 1.0

    @property
    def wrong_kind_share(self) -> float:
        return self.wrong_kind / self.correct if self.correct else 0.0


def score(gold: dict[str, Any], shown: dict[str, list[ShownTag]]) -> Scores:
    """Scores of the shown tags of each page (page id -> its card's tags, in order)."""
    s = Scores()
    slugs_of: dict[str, set[str]] = defaultdict(set)
    pages_of: dict[str, set[str]] = defaultdict(set)
    for page_id, page in sorted(gold["pages"].items()):
        if page["lang"] != "en":
            continue
        s.pages += 1
        entities = page["entities"]
        forms = [{norm(a) for a in (e["name"], *e["aliases"])} - {""} for e in entities]
        banned = {norm(n["surface"]) for n in page["not_topics"]} - {""}
        matched: set[int] = set()
        duplicate = False
        for tag in shown.get(page_id, [])[:10]:
            s.shown += 1
            tag_forms = tag.forms()
            hits = [i for i, f in enumerate(forms) if f & tag_forms]
            fresh = [i for i in hits if i not in matched]
            label = (
                f"{page_id[:8]} #{tag.slug} ({tag.kind}) {list(tag.surfaces)[:4]}"
                f" n={tag.mentions}{' T' if tag.in_title else ''}"
            )
            if fresh:
                i = fresh[0]
                matched.add(i)
                s.correct += 1
                s.examples["correct"].append(label)
                slugs_of[entities[i]["id"]].add(tag.slug.casefold())
                pages_of[entities[i]["id"]].add(page_id)
                if tag.kind != entities[i]["kind"]:
                    s.wrong_kind += 1
                    s.examples["kind"].append(f"{label} gold {entities[i]['kind']}")
            elif hits:
                s.duplicates += 1
                duplicate = True
                s.examples["duplicate"].append(label)
            elif tag_forms & banned:
                s.not_topics += 1
                s.examples["not_topic"].append(label)
            else:
                s.noise += 1
                s.examples["noise"].append(label)
        s.cards_with_duplicate += duplicate
        salient = [i for i, e in enumerate(entities) if e["salient"]]
        s.salient += min(10, len(salient))
        found = sum(i in matched for i in salient)
        s.salient_found += min(10, found)
        for i in salient:
            if i not in matched:
                e = entities[i]
                s.examples["missed"].append(f"{page_id[:8]} {e['name']} ({e['kind']})")
    for entity_id, page_ids in pages_of.items():
        if len(page_ids) >= 2:
            s.multi_page += 1
            one = len(slugs_of[entity_id]) == 1
            s.consistent += one
            if not one:
                s.examples["split"].append(f"{entity_id}: {sorted(slugs_of[entity_id])}")
    return s


# -- ingest and read back ----------------------------------------------------------------


def ingest_pages(db: Path, pages: Sequence[AebPage], titles: dict[str, str]) -> Store:
    """The real ingest of every page into a new SQLite file; returns its store."""
    site = Site(pages={p.id: p.html for p in pages})
    server, base = serve(site)
    try:
        feed_paths = build_feeds(site, base, pages, FEEDS, lambda page: titles.get(page.id, ""))
        sources = db.parent / "sources.toml"
        write_sources(sources, base, feed_paths)
        store = Store(f"sqlite:///{db}")
        store.upsert_sources(tagwire.sources.load(sources))
        cfg = config.load(
            {
                "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
                "TAGWIRE_HOST_DELAY": "0",
                "TAGWIRE_HOST_CONCURRENCY": "8",
            }
        )
        report = asyncio.run(ingest(store, cfg))
        print(f"ingest: {report}", file=sys.stderr)
        return store
    finally:
        server.shutdown()
        server.server_close()


def read_cards(
    store: Store, pages: Sequence[AebPage], base_of: dict[str, str]
) -> dict[str, list[ShownTag]]:
    """Each page's card tags through the API, with names, kinds and mention surfaces."""
    from fastapi.testclient import TestClient

    from tagwire.web.app import create_app

    a = schema.articles.c
    with store.engine.connect() as conn:
        ids = {str(r.url): int(r.id) for r in conn.execute(select(a.id, a.url))}
    shown: dict[str, list[ShownTag]] = {}
    with TestClient(create_app(store)) as client:
        for page in pages:
            article_id = ids.get(base_of[page.id])
            if article_id is None:
                continue
            card = client.get(f"/api/v1/articles/{article_id}").json()
            tags = []
            for slug in card["tags"]:
                why = client.get(f"/api/v1/articles/{article_id}/tags/{quote(slug)}").json()
                surfaces = tuple(dict.fromkeys(m["surface"] for m in why["mentions"]))
                tag = why["tag"]
                tags.append(
                    ShownTag(
                        tag["slug"],
                        tag["name"],
                        tag["kind"],
                        surfaces,
                        len(why["mentions"]),
                        any(m["in_title"] for m in why["mentions"]),
                    )
                )
            shown[page.id] = tags
    return shown


def evaluate(db_dir: Path | None = None) -> tuple[Scores, dict[str, list[ShownTag]]]:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    pages = [p for p in aeb_pages(PAGES) if p.id in gold["pages"]]
    titles = {pid: str(page["title"]) for pid, page in gold["pages"].items()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = db_dir or Path(tmp)
        db = folder / "entities-eval.db"
        db.unlink(missing_ok=True)
        store = ingest_pages(db, pages, titles)
        with store.engine.connect() as conn:
            urls = [str(u) for u in conn.execute(select(schema.articles.c.url)).scalars()]
        base_of = {
            p.id: next((u for u in urls if u.endswith(f"/p/{p.id}.html")), "") for p in pages
        }
        shown = read_cards(store, pages, base_of)
        store.close()
    return score(gold, shown), shown


def table(s: Scores) -> list[str]:
    goal = {
        "precision": ">= 0.93",
        "dup": "0",
        "recall": ">= 0.90",
        "cons": ">= 0.98",
        "kind": "<= 3%",
    }
    return [
        "| measure (English pages, tags shown on cards) | value | goal |",
        "|---|---:|---|",
        f"| precision of shown tags | {s.precision:.3f} ({s.correct} of {s.shown}; "
        f"{s.noise} noise, {s.duplicates} duplicates, {s.not_topics} not topics) "
        f"| {goal['precision']} |",
        f"| cards showing one entity twice | {s.cards_with_duplicate} of {s.pages} "
        f"| {goal['dup']} |",
        f"| salient recall (at most 10 a page) | {s.salient_recall:.3f} "
        f"({s.salient_found} of {s.salient}) | {goal['recall']} |",
        f"| one slug per real entity across pages | {s.consistency:.3f} "
        f"({s.consistent} of {s.multi_page}) | {goal['cons']} |",
        f"| right entity, wrong kind | {s.wrong_kind} of {s.correct} "
        f"({s.wrong_kind_share:.1%}) | {goal['kind']} |",
    ]


def section(s: Scores) -> str:
    return "\n".join(
        [
            HEADING,
            "",
            "`python -m bench.entities_eval --write`: the 138 pages of the article-extraction "
            "benchmark behind loopback RSS feeds (each item with its real headline), the real "
            "`ingest`, the cards read back through the JSON API, scored against "
            "`shared/data/entities-aeb-dev` exactly as its PROVENANCE.md says. "
            f"{machine()}, {datetime.now(UTC):%Y-%m-%d}, revision {revision()}. "
            "The CI gate is tests/test_quality_entities.py.",
            "",
            *table(s),
            "",
        ]
    )


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="update docs/quality.md")
    parser.add_argument(
        "--show", default="", help="comma-separated: noise,duplicate,missed,kind,split,not_topic"
    )
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not GOLD.exists() or not PAGES.exists():
        print(f"no data at {GOLD.parent} / {PAGES}: nothing to evaluate", file=sys.stderr)
        return 1
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    s, _shown = evaluate(args.keep)
    for kind in filter(None, args.show.split(",")):
        print(f"\n{kind}: {len(s.examples[kind])}")
        for line in s.examples[kind]:
            print("  " + line)
    print("\n".join(table(s)))
    if args.write:
        replace_section(QUALITY, HEADING, section(s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
