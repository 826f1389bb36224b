"""Dedup and story clustering of 1,000,000 articles: time, memory and the growth curve.

The archive (generated once into a JSON-lines file under /tmp, reused while the generator's
version and size match), from the real texts in ../shared/data, mixed and perturbed:

* stories, one to eight articles each (60% alone, mean ~1.9) from different publishers
  (200 of them) within six hours, their start times uniform over the 365 days before now;
* a story's headline: one of the ~14,000 real headlines of BBC News, AG News (test) and the
  UCI news aggregator (dev), each reused about every ten days, so never within a story
  window of another use; its second and later articles change a word of it or put a
  kicker before it ("Analysis:", "Live:", ...);
* a text: five to nine paragraphs (of 15-100 words) from the 2,225 BBC News articles, the
  first of 15-40 words (the story's own paragraph among them for the second and later
  articles, never first),
  then a sentence naming the story's 2-5 entities (of 15,000: the CoNLL-2003 names, then
  people whose first and last names are CoNLL people's; a Zipf-like popularity), whose
  offsets are the article's ``mentions``;
* planted copies, as a later article of a story: 6% of all articles an exact copy of the
  story's first article under another publisher's URL, 8% a near-duplicate (one of
  bench/dedup_eval.py's changes: ad lines, boilerplate, re-wrapping, 10% of sentences
  edited, a wire copy trimmed and datelined), with the same or a changed headline.

The run: ``tagwire.backfill`` (what ``tagwire import`` runs) into a new SQLite file, with
two worker processes for the text work (hashes, MinHash, term and meaning vectors) beside
the decisions' process and the import's store process, on the machine's two cores; the
archive's lines are read by the decisions' process (and parsed by the workers), inside the
timing. At every batch the time, the resident memory and the CPU time of each process are
taken; the table gives them at 100k, 300k and 1M articles. Checks at the end: how many
planted copies were folded into their original (recall at scale) and how many articles
that are no planted copy were folded (false folds; the BBC set itself holds 98 duplicate
pairs, so a few are true).

    python -m bench.scale               # generate (or reuse) 1M, import, print
    python -m bench.scale --write       # also update docs/benchmarks.md
    python -m bench.scale --articles 100000 --archive /tmp/a.jsonl   # a smaller try
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import json
import multiprocessing
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bench.dedup_pairs import TRANSFORMS, Context
from bench.load_db import bbc_docs, conll_names
from bench.report import machine, replace_section, revision
from tagwire.backfill import Backfill, Report, process_pool, read_lines
from tagwire.store import Store
from tagwire.store import schema as t

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Dedup and stories at 1,000,000 articles"
GENERATOR = 4  # bump when the archive changes
SEED = 20261128
ARTICLES = 1_000_000
CHECKPOINTS = (100_000, 300_000, 1_000_000)
SOURCES = 200
ENTITY_NAMES = 15_000
DAYS = 365
WORKERS = 2
GOAL_SECONDS = 600
EXACT_SHARE = 0.06
NEAR_SHARE = 0.08
KICKERS = ("Analysis:", "Live:", "Update:", "Explainer:", "Breaking:", "Opinion:")
NEAR_KINDS = ("ads", "boilerplate", "rewrap", "edits", "wire")


def archive_path(n: int) -> Path:
    return Path(f"/tmp/tagwire-scale-v{GENERATOR}-{n}.jsonl")


# -- the archive -----------------------------------------------------------------------------


def entity_names(n: int) -> list[tuple[str, str]]:
    """``n`` (kind, name) pairs, most popular first: the CoNLL-2003 entities (dev + test, by
    frequency), then people whose first and last names are CoNLL people's, paired in a fixed
    random order (the 4,385 real names are too few for a million articles' tags)."""
    real = conll_names()
    people = [name.split() for kind, name in real if kind == "person" and len(name.split()) == 2]
    firsts = sorted({p[0] for p in people})
    lasts = sorted({p[1] for p in people})
    rng = random.Random(SEED)
    taken = {name for _, name in real}
    out = list(real)
    while len(out) < n:
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        if name not in taken:
            taken.add(name)
            out.append(("person", name))
    return out[:n]


def headlines() -> list[str]:
    """Real headlines: BBC News, AG News (test) and the UCI aggregator (dev), deduplicated."""
    titles = [d.title for d in bbc_docs()]
    with (DATA / "ag-news" / "test.csv").open(encoding="utf-8", newline="") as f:
        titles += [re.sub(r"\s*\([^)]*\)$", "", row[1]) for row in csv.reader(f)]
    uci = DATA / "news-aggregator-uci" / "uci_news_aggregator_head_dev.csv"
    with uci.open(encoding="utf-8", newline="") as f:
        titles += [row["TITLE"] for row in csv.DictReader(f)]
    return list(dict.fromkeys(t.strip() for t in titles if len(t.split()) >= 4))


@dataclass(frozen=True, slots=True)
class Planned:
    at: datetime
    story: int
    member: int  # 0 for the story's first article
    kind: str  # first | coverage | exact | near
    source: int


def plan(n: int, rng: random.Random, now: datetime) -> list[Planned]:
    """``n`` articles in stories, in time order (see the module docstring)."""
    first = now - timedelta(days=DAYS)
    items: list[Planned] = []
    story = 0
    while len(items) < n:
        u = rng.random()
        size = 1 if u < 0.6 else 2 if u < 0.8 else 3 if u < 0.9 else rng.randint(4, 8)
        at = first + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 6 * 3600))
        for member, source in enumerate(rng.sample(range(SOURCES), min(size, n - len(items)))):
            kind = "first"
            if member:
                v = rng.random() * 0.47  # later articles are ~47% of all
                kind = "exact" if v < EXACT_SHARE else "near" if v < 0.14 else "coverage"
            items.append(Planned(at, story, member, kind, source))
            at += timedelta(seconds=rng.uniform(60, 3600))
        story += 1
    items.sort(key=lambda p: p.at)
    return items


class Generator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.docs = bbc_docs()
        # Distinct paragraphs of 15 to 100 words: one long paragraph shared by two mixed
        # texts would make them near-duplicates by containment (as they would be).
        self.paragraphs = list(
            dict.fromkeys(
                p for d in self.docs for p in d.text.split("\n") if 15 <= len(p.split()) <= 100
            )
        )
        # Leads of 15-40 words only: an article's first 60 words (its lead fingerprint) then
        # span two drawn paragraphs, so unrelated articles do not share a lead (a long BBC
        # paragraph opening two texts of ~200 words made them lead cuts of each other).
        self.leads = [p for p in self.paragraphs if len(p.split()) <= 40]
        self.titles = headlines()
        names = entity_names(ENTITY_NAMES)
        self.names = names
        self.name_weights = list(itertools.accumulate(1.0 / (r + 6) for r in range(len(names))))
        self.vocabulary = tuple({w for d in self.docs[:200] for w in d.text.split() if w.isalpha()})
        self.first: dict[int, dict[str, object]] = {}  # story -> its first article, while open

    def story_parts(self, story: int) -> tuple[str, str, list[tuple[str, str]], str]:
        """A story's headline, its own paragraph, its entities and its category."""
        rng = random.Random(self.seed * 1_000_003 + story)
        title = self.titles[(story * 7919) % len(self.titles)]
        doc = self.docs[rng.randrange(len(self.docs))]
        own = doc.text.split("\n")[0]
        count = rng.randint(2, 5)
        entities: list[tuple[str, str]] = []
        while len(entities) < count:
            pick = self.names[
                bisect.bisect(self.name_weights, rng.random() * self.name_weights[-1])
            ]
            if pick not in entities:
                entities.append(pick)
        return title, own, entities, doc.category

    def article(self, i: int, p: Planned) -> dict[str, object]:
        rng = random.Random(self.seed * 7_000_003 + i)
        title, own, entities, category = self.story_parts(p.story)
        source = f"https://wire{p.source:03d}.scale.example/"
        url = f"{source}{p.at:%Y/%m/%d}/{p.story}-{p.member}"
        if p.kind in ("exact", "near") and p.story in self.first:
            original = self.first[p.story]
            text = str(original["text"])
            head = str(original["title"])
            if p.kind == "near":
                ctx = Context(self.vocabulary, self.paragraphs[rng.randrange(len(self.paragraphs))])
                _, text, _ = TRANSFORMS[rng.choice(NEAR_KINDS)](text, text, rng, ctx) or (
                    "",
                    text,
                    "",
                )
                head = self._vary(head, rng) if rng.random() < 0.5 else head
            record = dict(original, url=url, source=source, title=head, text=text)
            record["published_at"] = p.at.isoformat()
            entities = [(str(m["kind"]), str(m["name"])) for m in original["mentions"]]  # type: ignore[attr-defined]
            record["mentions"] = _mentions(head, text, entities)
            record["kind"] = p.kind
            record["original"] = original["url"]
            return record
        paragraphs = rng.sample(self.paragraphs, rng.randint(4, 8))
        paragraphs.insert(0, self.leads[rng.randrange(len(self.leads))])
        if p.member:
            paragraphs.insert(rng.randint(1, len(paragraphs)), own)
            title = self._vary(title, rng)
        names = ", ".join(name for _, name in entities)
        text = "\n".join(paragraphs) + f"\nNamed in this report: {names}."
        record = {
            "url": url,
            "title": title,
            "text": text,
            "source": source,
            "published_at": p.at.isoformat(),
            "summary": paragraphs[0][:300],
            "category": category,
            "language": "en",
            "mentions": _mentions(title, text, entities),
            "kind": "first" if p.member == 0 else "coverage",
        }
        if p.member == 0:
            self.first[p.story] = record
        return record

    def _vary(self, title: str, rng: random.Random) -> str:
        words = title.split()
        if rng.random() < 0.5:
            return f"{rng.choice(KICKERS)} {title}"
        words[rng.randrange(len(words))] = rng.choice(self.vocabulary)
        return " ".join(words)

    def forget(self, before_story: int) -> None:
        for story in [s for s in self.first if s < before_story]:
            del self.first[story]


_NAMED = re.compile(r"Named in this report: (.*)\.$")


def _mentions(
    title: str, text: str, entities: Sequence[tuple[str, str]]
) -> list[dict[str, object]]:
    """One mention per entity in the closing sentence (offsets into title + "\\n\\n" + text)."""
    match = _NAMED.search(text)
    if match is None:
        return []
    out = []
    for kind, name in entities:
        at = text.find(name, match.start(1))
        if at < 0:
            continue
        start = len(title) + 2 + at
        out.append(
            {"surface": name, "name": name, "kind": kind, "start": start, "end": start + len(name)}
        )
    return out


def generate(n: int, path: Path) -> float:
    """Write the archive of ``n`` articles to ``path``; the seconds it took."""
    began = time.perf_counter()
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    items = plan(n, rng, now)
    gen = Generator(SEED)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        for i, p in enumerate(items):
            out.write(json.dumps(gen.article(i, p)) + "\n")
            if i % 50_000 == 0:
                gen.forget(p.story - 200_000)  # stories span hours; far behind means done
                print(f"  {i} written", flush=True)
    os.replace(partial, path)
    return time.perf_counter() - began


# -- the run -------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Point:
    articles: int
    seconds: float
    writer_mb: float
    workers_mb: float
    writer_cpu: float = 0.0  # seconds on a core, so far
    workers_cpu: float = 0.0
    store_mb: float = 0.0  # the import's store process
    store_cpu: float = 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run(archive: Path, db: Path, workers: int) -> tuple[Report, list[Point], float]:
    for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    store = Store(f"sqlite:///{db}")
    points: list[Point] = []
    pool: ProcessPoolExecutor = process_pool(workers)
    for _ in range(2 * workers):
        pool.submit(int).result()  # the workers are up before the clock starts
    cpu_before = cpu_seconds(os.getpid())
    workers_before = sum(cpu_seconds(pid) for pid in getattr(pool, "_processes", {}) or {})
    ended_before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def progress(report: Report) -> None:
        pids = list(getattr(pool, "_processes", {}) or {})
        others = [c.pid for c in multiprocessing.active_children() if c.pid not in pids]
        points.append(
            Point(
                report.read,
                report.seconds,
                rss_mb(os.getpid()),
                sum(rss_mb(pid) for pid in pids),
                cpu_seconds(os.getpid()) - cpu_before,
                sum(cpu_seconds(pid) for pid in pids) - workers_before,
                sum(rss_mb(pid) for pid in others if pid is not None),
                sum(cpu_seconds(pid) for pid in others if pid is not None),
            )
        )

    try:
        report = Backfill(store).run(read_lines(archive), pool, progress, ahead=2 * workers)
        # The store process has ended (the workers have not): all of its time, the last
        # batch's writes included.
        ended = resource.getrusage(resource.RUSAGE_CHILDREN)
        if points:
            points[-1].store_cpu = (ended.ru_utime + ended.ru_stime) - (
                ended_before.ru_utime + ended_before.ru_stime
            )
            points[-1].writer_cpu = cpu_seconds(os.getpid()) - cpu_before
    finally:
        pool.shutdown()
        store.close()
    return report, points, db.stat().st_size / 1e9


@dataclass
class Checks:
    planted_exact: int
    planted_near: int
    folded_exact: int
    folded_near: int
    false_folds: int
    listed: int
    stories: int


def check(archive: Path, db: Path) -> Checks:
    """Planted copies folded into their original; other articles folded."""
    planted: dict[str, tuple[str, str]] = {}
    with archive.open(encoding="utf-8") as lines:
        for line in lines:
            if '"kind": "exact"' in line or '"kind": "near"' in line:
                row = json.loads(line)
                planted[row["url"]] = (row["kind"], row["original"])
    store = Store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            a = t.articles.c
            ids = dict(conn.execute(select(a.url, a.id)).all())
            folded = dict(
                conn.execute(select(a.id, a.duplicate_of).where(a.duplicate_of.is_not(None))).all()
            )
            listed = conn.execute(select(func.count()).where(a.listed.is_(True))).scalar_one()
            stories = conn.execute(
                select(func.count(func.distinct(a.story_id))).where(a.listed.is_(True))
            ).scalar_one()
    finally:
        store.close()
    by_id = {v: k for k, v in ids.items()}

    def survivor(article_id: int | None) -> int | None:
        while article_id in folded:
            article_id = folded[article_id]
        return article_id

    counts: Counter[str] = Counter()
    for url, (kind, original) in planted.items():
        counts[f"planted_{kind}"] += 1
        if survivor(ids.get(url)) == survivor(ids.get(original)):
            counts[f"folded_{kind}"] += 1
    false = sum(
        1 for i in folded if by_id.get(i) not in planted and by_id.get(folded[i]) not in planted
    )
    return Checks(
        counts["planted_exact"],
        counts["planted_near"],
        counts["folded_exact"],
        counts["folded_near"],
        false,
        int(listed),
        int(stories),
    )


def at_checkpoints(points: list[Point], marks: Sequence[int]) -> list[Point]:
    out = []
    for mark in marks:
        reached = [p for p in points if p.articles >= mark]
        if reached:
            out.append(reached[0])
    return out


def render(
    n: int,
    rev: str,
    report: Report,
    points: list[Point],
    checks: Checks,
    gen_seconds: float | None,
    db_gb: float,
) -> str:
    marks = at_checkpoints(points, [m for m in CHECKPOINTS if m <= n] or [n])
    peak_writer = max(p.writer_mb for p in points)
    peak_workers = max(p.workers_mb for p in points)
    peak_store = max(p.store_mb for p in points)
    last = points[-1]
    per_article = [1000 * cpu / report.read for cpu in (last.writer_cpu, last.store_cpu)]
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}, {rev}; "
        "`python -m bench.scale --write` (method in its docstring).",
        "",
        f"{n:,} generated articles imported by `tagwire.backfill` (what `tagwire import` runs) "
        f"into a new SQLite file, {WORKERS} worker processes for the text work beside the "
        f"decisions' process and the store's: **{report.seconds:.0f} s** in all "
        f"(goal: {GOAL_SECONDS} s on 2 cores), "
        f"{report.read / report.seconds:,.0f} articles/s. Everything an article gets is "
        "written: the article and its URL, mentions, tags, editions, the full-text index, "
        "stories (with merges), duplicates folded; the key tables only for the last 30 days.",
        "",
        "| articles | seconds | articles/s in the segment | CPU ms an article in the segment "
        "(decisions + store + workers) | decisions RSS (MB) | store RSS (MB) "
        "| workers RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    before = Point(0, 0.0, 0.0, 0.0)
    for p in marks:
        n_segment = max(1, p.articles - before.articles)
        rate = n_segment / max(1e-9, p.seconds - before.seconds)
        cpu = [
            1000 * (now - then) / n_segment
            for now, then in (
                (p.writer_cpu, before.writer_cpu),
                (p.store_cpu, before.store_cpu),
                (p.workers_cpu, before.workers_cpu),
            )
        ]
        lines.append(
            f"| {p.articles:,} | {p.seconds:.0f} | {rate:,.0f} | "
            f"{cpu[0]:.2f} + {cpu[1]:.2f} + {cpu[2]:.2f} | {p.writer_mb:.0f} | "
            f"{p.store_mb:.0f} | {p.workers_mb:.0f} |"
        )
        before = p
    lines += [
        "",
        f"Peak resident memory: the decisions' process {peak_writer:.0f} MB, the store's "
        f"{peak_store:.0f} MB, both workers together {peak_workers:.0f} MB. The database "
        f"file: {db_gb:.1f} GB.",
        "",
        f"Where the time went (seconds of a core): the decisions' process {last.writer_cpu:.0f} "
        f"(reading the archive, the decisions), the store's process {last.store_cpu:.0f} "
        f"(lookups, the rows, the full-text index, commits), the workers "
        f"{last.workers_cpu:.0f} together (parsing, hashes, MinHash and LSH keys, term and "
        f"meaning vectors): {per_article[0]:.2f} + {per_article[1]:.2f} + "
        f"{1000 * last.workers_cpu / report.read:.2f} ms of CPU an article.",
        "",
        f"Outcome: {report.new:,} articles listed, {report.duplicates:,} folded as duplicates, "
        f"{report.stories:,} stories started, {report.merges:,} merged; "
        f"{checks.stories:,} stories hold the listed articles.",
        f"Planted copies folded into their original: exact {checks.folded_exact:,} of "
        f"{checks.planted_exact:,}, near {checks.folded_near:,} of {checks.planted_near:,} "
        f"({(checks.folded_near / max(1, checks.planted_near)):.3f}); other articles folded "
        f"(false folds, or the BBC set's own duplicates): {checks.false_folds:,}.",
    ]
    if gen_seconds is not None:
        lines += ["", f"Generating the archive took {gen_seconds:.0f} s (not counted)."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument("--archive", type=Path, help="the archive (default under /tmp)")
    parser.add_argument("--db", type=Path, default=Path("/tmp/tagwire-scale.db"))
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not (DATA / "bbc-news").is_dir():
        print(f"skipped: {DATA} is missing (the archive is made from its texts)")
        return 0
    archive = args.archive or archive_path(args.articles)
    gen_seconds = None
    if not archive.is_file():
        print(f"generating {args.articles:,} articles into {archive}", flush=True)
        gen_seconds = generate(args.articles, archive)
        print(f"  generated in {gen_seconds:.0f} s", flush=True)
    rev = revision()  # now: the code measured, whatever is edited during the run
    report, points, db_gb = run(archive, args.db, args.workers)
    print(report.line(), flush=True)
    checks = check(archive, args.db)
    markdown = render(args.articles, rev, report, points, checks, gen_seconds, db_gb)
    print(markdown)
    if args.write:
        replace_section(BENCH_DOC, SECTION, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
