"""The benchmark database of bench/load.py: 100,000 articles over a Zipf-shaped set of tags,
built once and reused while fresh, and the tags the load asks for."""

from __future__ import annotations

import bisect
import itertools
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, text, update

from bench.load_config import (
    ARTICLES,
    BBC_LABELS,
    CHUNK,
    CONLL_KINDS,
    DATA,
    DAYS,
    ENTITY_NAMES,
    MAX_AGE,
    REQUEST_TAGS,
    SEED,
    SOURCES,
    TAG_OFFSET,
)
from tagwire.dedup.exact import content_hash, title_key
from tagwire.entities.hashtags import slugify
from tagwire.entities.places import region_of
from tagwire.ingest.analyse import lead
from tagwire.ingest.writer import writing
from tagwire.sources import REGIONS
from tagwire.store import Store
from tagwire.store import schema as t

# -- the database ----------------------------------------------------------------------


def conll_names() -> list[tuple[str, str]]:
    """(kind, name) of the CoNLL-2003 entities (dev + test), most frequent first; names in
    capitals (headlines) left out; ties in a fixed random order."""
    counts: Counter[tuple[str, str]] = Counter()
    for name in ("conllpp_dev.txt", "conllpp_test.txt"):
        words: list[str] = []
        kind = ""
        lines = (DATA / "conll2003-ner" / name).read_text(encoding="utf-8").splitlines()
        for line in [*lines, ""]:
            parts = line.split()
            tag = parts[-1] if len(parts) >= 4 else "O"
            if tag.startswith("I-") and tag[2:] == kind:
                words.append(parts[0])
                continue
            if words:
                counts[(CONLL_KINDS[kind], " ".join(words))] += 1
            words, kind = ([parts[0]], tag[2:]) if tag != "O" else ([], "")
    rng = random.Random(SEED)
    names = [
        (kind, name)
        for kind, name in sorted(counts)
        if not name.isupper() and len(name) > 1 and slugify(name)
    ]
    order = {pair: (-counts[pair], rng.random()) for pair in names}
    return sorted(names, key=order.__getitem__)


@dataclass(frozen=True)
class Doc:
    title: str
    text: str
    category: str


def bbc_docs() -> list[Doc]:
    docs = []
    for path in sorted((DATA / "bbc-news" / "bbc").glob("*/*.txt")):
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError:
            content = raw.decode("latin-1")
        title, _, body = content.strip().partition("\n")
        paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
        docs.append(Doc(title.strip(), "\n".join(paragraphs), BBC_LABELS[path.parent.name]))
    return docs


def db_is_fresh(db: Path) -> bool:
    if not db.is_file():
        return False
    store = Store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            count, newest = conn.execute(select(func.count(), func.max(t.articles.c.sort_at))).one()
    finally:
        store.close()
    if count != ARTICLES or newest is None:
        return False
    newest_at = datetime.fromisoformat(str(newest)).replace(tzinfo=UTC)
    return datetime.now(UTC) - newest_at < MAX_AGE


@dataclass
class _Story:
    tags: list[int]
    salience: list[float]
    items: list[_Item] = field(default_factory=list)
    id: int = 0


@dataclass
class _Item:
    at: datetime
    story: _Story
    source: int
    doc: int
    tags: list[int]
    salience: list[float]


def _plan(rng: random.Random, ranked: list[int], first: datetime, now: datetime) -> list[_Item]:
    """Stories of 1-8 articles sharing 3-8 Zipf-Mandelbrot-drawn tags; the articles in
    time order."""
    weights = list(itertools.accumulate(1.0 / (r + 1 + TAG_OFFSET) for r in range(len(ranked))))
    items: list[_Item] = []
    while len(items) < ARTICLES:
        u = rng.random()
        size = 1 if u < 0.6 else 2 if u < 0.8 else 3 if u < 0.9 else rng.randint(4, 8)
        size = min(size, ARTICLES - len(items))
        wanted = rng.randint(3, 8)
        tags: list[int] = []
        while len(tags) < wanted:
            pick = ranked[bisect.bisect(weights, rng.random() * weights[-1])]
            if pick not in tags:
                tags.append(pick)
        salience = sorted((round(rng.uniform(0.05, 1.0), 4) for _ in tags), reverse=True)
        story = _Story(tags, salience)
        at = first + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        for source in rng.sample(range(1, SOURCES + 1), size):
            keep = list(range(len(tags)))
            if len(tags) > 3 and story.items and rng.random() < 0.3:
                keep.pop(rng.randrange(1, len(keep)))  # a later article may drop a tag
            item = _Item(
                min(at, now),
                story,
                source,
                rng.randrange(1 << 30),
                [tags[k] for k in keep],
                [salience[k] for k in keep],
            )
            story.items.append(item)
            items.append(item)
            at += timedelta(seconds=rng.uniform(60, 3 * 3600))
    items.sort(key=lambda i: i.at)
    return items


def build_db(db: Path) -> None:
    """Write the benchmark database (see the module docstring) into ``db``."""
    started = time.perf_counter()
    partial = db.with_name(db.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    store = Store(f"sqlite:///{partial}")
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    first = now - timedelta(days=DAYS)
    docs = bbc_docs()
    try:
        with writing(store) as w:
            conn = w.conn
            found = w.entity_ids(conll_names()[:ENTITY_NAMES])
            ranked = list(dict.fromkeys(found.values()))  # most popular first
            e = t.entities.c
            entity_rows = conn.execute(select(e.id, e.name, e.country)).all()
            names = {int(r.id): str(r.name) for r in entity_rows}
            regions = {int(r.id): region_of(r.country) for r in entity_rows}
            sources = [
                {
                    "id": i,
                    "url": f"https://wire{i:02d}.bench.example/",
                    "name": f"Bench Wire {i:02d}",
                    "region": REGIONS[i % len(REGIONS)],
                    "language": "en",
                    "enabled": True,
                    "created_at": first,
                }
                for i in range(1, SOURCES + 1)
            ]
            conn.execute(t.sources.insert(), sources)
            conn.execute(
                t.feeds.insert(),
                [
                    {"id": s["id"], "source_id": s["id"], "url": f"{s['url']}feed.xml"}
                    | {"error_count": 0}
                    for s in sources
                ],
            )
            items = _plan(rng, ranked, first, now)
            print(f"  planned {len(items)} articles", flush=True)
            _write_stories(conn, items, docs)
            for start in range(0, len(items), CHUNK):
                _write_articles(
                    conn, items[start : start + CHUNK], start + 1, docs, sources, names, regions
                )
                print(f"  {start + CHUNK} articles written", flush=True)
            tags = t.article_tags.c
            counts = select(func.count()).where(tags.entity_id == t.entities.c.id).scalar_subquery()
            conn.execute(update(t.entities).values(article_count=counts))
            m, n = t.mentions.c, t.entity_names.c
            conn.execute(
                t.entity_names.insert().from_select(
                    [n.entity_id, n.name, n.uses],
                    select(m.entity_id, m.name, func.count(func.distinct(m.article_id))).group_by(
                        m.entity_id, m.name
                    ),
                )
            )
            conn.execute(text("INSERT INTO article_search(article_search) VALUES ('rebuild')"))
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    os.replace(partial, db)
    for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    print(f"built {db} in {time.perf_counter() - started:.0f} s", flush=True)


def _write_stories(conn: Connection, items: list[_Item], docs: list[Doc]) -> None:
    rows: list[dict[str, Any]] = []
    for item in items:
        story = item.story
        if story.id:
            continue
        story.id = len(rows) + 1
        title = docs[story.items[0].doc % len(docs)].title
        rows.append(
            {
                "id": story.id,
                "title": title,
                "first_seen": min(i.at for i in story.items),
                "last_seen": max(i.at for i in story.items),
                "article_count": len(story.items),
                "publishers": len({i.source for i in story.items}),
                "terms": {w.casefold(): 1.0 for w in title.split()[:8]},
                "entity_ids": sorted(story.tags),
            }
        )
    for start in range(0, len(rows), CHUNK):
        conn.execute(t.stories.insert(), rows[start : start + CHUNK])


def _write_articles(
    conn: Connection,
    items: list[_Item],
    first_id: int,
    docs: list[Doc],
    sources: list[dict[str, Any]],
    names: dict[int, str],
    regions: dict[int, str | None],
) -> None:
    articles, urls, tags, mentions, editions = [], [], [], [], []
    for article_id, item in enumerate(items, start=first_id):
        doc = docs[item.doc % len(docs)]
        source = sources[item.source - 1]
        named = [names[e] for e in item.tags]
        closing = "Named in this report: "
        starts = []
        for name in named:
            starts.append(len(doc.text) + 1 + len(closing))
            closing += name + ", "
        body = doc.text + "\n" + closing.removesuffix(", ") + "."
        url = f"{source['url']}{item.at:%Y/%m/%d}/{slugify(doc.title).lower()[:60]}-{article_id}"
        starter = item.story.items[0] is item
        articles.append(
            {
                "id": article_id,
                "source_id": item.source,
                "feed_id": item.source,
                "url": url,
                "title": doc.title,
                "summary": lead(body)[:1000],
                "text": body,
                "author": f"Reporter {item.doc % 97:02d}" if item.doc % 5 < 2 else None,
                "image": f"{source['url']}img/{article_id}.jpg" if item.doc % 3 == 0 else None,
                "category": doc.category,
                "language": "en",
                "published_at": item.at,
                "first_seen_at": item.at + timedelta(seconds=60 + item.doc % 1800),
                "sort_at": item.at,
                "content_hash": content_hash(body),
                "extraction": "page",
                "story_id": item.story.id,
                "story_score": None if starter else 0.5 + (item.doc % 40) / 100,
                "story_shared": None if starter else item.tags[:3],
                "duplicate_of": None,
                "listed": True,
                "words": len(body.split()),
                "story_text": None if starter else 0.3,
                "title_key": title_key(doc.title),
                "fingerprint": None,
            }
        )
        urls.append({"url": url, "article_id": article_id})
        for rank, (entity_id, salience) in enumerate(zip(item.tags, item.salience, strict=True)):
            tags.append(
                {
                    "entity_id": entity_id,
                    "article_id": article_id,
                    "sort_at": item.at,
                    "salience": salience,
                    "rank": rank,
                }
            )
        for entity_id, name, begin in zip(item.tags, named, starts, strict=True):
            mentions.append(
                {
                    "article_id": article_id,
                    "entity_id": entity_id,
                    "surface": name,
                    "name": name,
                    "start": begin,
                    "end": begin + len(name),
                    "in_title": False,
                }
            )
        places = {regions[e] for e in item.tags}
        for region in sorted(r for r in places | {source["region"]} if r):
            editions.append({"region": region, "article_id": article_id, "sort_at": item.at})
    conn.execute(t.articles.insert(), articles)
    conn.execute(t.article_urls.insert(), urls)
    conn.execute(t.article_tags.insert(), tags)
    conn.execute(t.mentions.insert(), mentions)
    conn.execute(t.article_regions.insert(), editions)


def db_summary(db: Path) -> dict[str, Any]:
    """What the report says about the database."""
    store = Store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            tags = t.article_tags.c
            e = t.entities.c
            counts = store.counts()
            tag_rows = conn.execute(select(func.count()).select_from(t.article_tags)).scalar_one()
            tagged = conn.execute(
                select(func.count()).select_from(t.entities).where(e.article_count > 0)
            ).scalar_one()
            top = conn.execute(
                select(e.slug, e.article_count).order_by(e.article_count.desc()).limit(3)
            ).all()
            requested = (
                conn.execute(
                    select(e.article_count)
                    .where(e.article_count > 0)
                    .order_by(e.article_count.desc(), e.id)
                    .limit(REQUEST_TAGS)
                )
                .scalars()
                .all()
            )
            per_article = (
                select(func.count().label("n"))
                .select_from(t.article_tags)
                .group_by(tags.article_id)
                .subquery()
            )
            fewest, most = conn.execute(
                select(func.min(per_article.c.n), func.max(per_article.c.n))
            ).one()
    finally:
        store.close()
    return {
        "articles": counts["articles"],
        "stories": counts["stories"],
        "entities": counts["entities"],
        "tagged": tagged,
        "tag_rows": tag_rows,
        "top": [(str(s), int(n)) for s, n in top],
        "smallest_requested": int(requested[-1]) if requested else 0,
        "tags_per_article": (int(fewest), int(most)),
        "size_mb": db.stat().st_size / 1e6,
    }


def request_tags(url: str, n: int = REQUEST_TAGS) -> list[str]:
    """The slugs of the ``n`` tags with most articles, most first."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            e = t.entities.c
            rows = conn.execute(
                select(e.slug)
                .where(e.article_count > 0, e.blocked.is_(False))
                .order_by(e.article_count.desc(), e.id)
                .limit(n)
            )
            return [str(slug) for slug in rows.scalars()]
    finally:
        store.close()
