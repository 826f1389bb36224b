"""Extraction quality and speed on the 138 real news pages of the article-extraction benchmark.

Scores tagwire's extractor (``tagwire.extract.extract_page``: trafilatura on a pre-parsed,
pruned tree, then tagwire's clean-up; an :class:`~tagwire.errors.ExtractError` counts as an
empty text) and, side by side, plain ``trafilatura.extract(html, fast=True,
include_comments=False)``, with the benchmark's metric (``bench.metrics``: per-page
precision/recall over 4-token shingles, averaged over pages). Both run in this one process,
one page after the other; pages/s is the fastest of ``--repeat`` passes (3), the extractors
taking turns, after one untimed warm-up page.

The data lives beside the repository (``../shared/data/article-extraction-aeb``, see its
PROVENANCE.md); without it the script says so and exits 0.

    python bench/extraction.py            # print the table, update docs/quality.md
    python bench/extraction.py --no-write # print only
    python bench/extraction.py --worst 10 # also list the 10 worst pages for tagwire
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura

from bench.metrics import AebPage, Score, aeb_checksum, aeb_pages, extraction_score
from bench.report import cpu_model, replace_section, revision
from tagwire.errors import ExtractError
from tagwire.extract import extract_page

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "article-extraction-aeb"
QUALITY_DOC = Path(__file__).resolve().parents[1] / "docs" / "quality.md"
SECTION = "## Extraction"
RUN_DATE = "2026-11-27"
COMMAND = ".venv/bin/python bench/extraction.py"
DOC_HEADER = """\
# Quality

Measured quality of each stage of tagwire on real, labelled data that lives beside the
repository in `../shared/data` (each data set has a PROVENANCE.md). Every `## ` section
below belongs to one evaluation script under `bench/` and is rewritten whole by it (the
section runs to the next `## ` heading), so sections can be added or re-measured
independently: extraction, dedup, stories, entities, categories.
"""

BUSY = 0.1  # mean cores used by other processes above which a timed pass is disturbed
# Stored outputs of other extractors that ship with the benchmark, scored here the same way.
REFERENCES = ("AutoExtract", "trafilatura", "newspaper", "readability", "goose3", "html-text")

Extractor = Callable[[AebPage], str]


@dataclass(frozen=True)
class Run:
    name: str
    score: Score
    seconds: float
    empty: int  # pages with no text at all
    others_cores: float  # mean CPU cores used by other processes while it ran

    @property
    def pages_per_second(self) -> float:
        return self.score.pages / self.seconds if self.seconds else 0.0


def tagwire_text(page: AebPage) -> str:
    try:
        return extract_page(page.html, page.url).text
    except ExtractError:
        return ""


def trafilatura_text(page: AebPage) -> str:
    html = page.html.decode("utf-8", errors="replace")
    return trafilatura.extract(html, fast=True, include_comments=False) or ""


EXTRACTORS: dict[str, tuple[str, Extractor]] = {
    "tagwire": ("tagwire `extract_page` (trafilatura 2, fast, + clean-up)", tagwire_text),
    "trafilatura": (
        "plain `trafilatura.extract(html, fast=True, include_comments=False)`",
        trafilatura_text,
    ),
}


def measure(
    name: str, extract: Extractor, pages: Sequence[AebPage]
) -> tuple[float, float, list[str]]:
    """One timed pass over the pages: (seconds, mean cores other processes used, texts)."""
    busy, cpu = _machine_busy(), time.process_time()
    started = time.perf_counter()
    texts = [extract(page) for page in pages]
    seconds = time.perf_counter() - started
    others = max(0.0, _machine_busy() - busy - (time.process_time() - cpu)) / seconds
    return seconds, others, texts


def run_all(pages: Sequence[AebPage], repeats: int) -> tuple[list[Run], dict[str, list[str]]]:
    """Score every extractor; time it ``repeats`` times, the extractors taking turns (so a
    slow spell of the machine hits both), and keep the fastest pass of each, preferring
    passes during which other processes used less than BUSY cores."""
    for _, extract in EXTRACTORS.values():
        extract(pages[0])  # warm-up: trafilatura and lxml build some things on first use
    best: dict[str, tuple[float, float]] = {}
    texts: dict[str, list[str]] = {}
    for _ in range(max(1, repeats)):
        for name, (_, extract) in EXTRACTORS.items():
            seconds, others, texts[name] = measure(name, extract, pages)
            # an undisturbed pass beats a disturbed one; then the faster one wins
            if name not in best or (others >= BUSY, seconds) < (
                best[name][1] >= BUSY,
                best[name][0],
            ):
                best[name] = (seconds, others)
    runs = []
    for name, (seconds, others) in best.items():
        pairs = [(p.gold, text) for p, text in zip(pages, texts[name], strict=True)]
        empty = sum(1 for text in texts[name] if not text.strip())
        runs.append(Run(name, extraction_score(pairs), seconds, empty, others))
    return runs, texts


def _machine_busy() -> float:
    """CPU seconds spent by all CPUs outside idle and iowait since boot (0.0 off Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def reference_scores(folder: Path, pages: Sequence[AebPage]) -> list[tuple[str, str, Score]]:
    """(system, version, score) of the stored outputs that ship with the benchmark."""
    rows = []
    for system in REFERENCES:
        path = folder / "outputs" / f"{system}.dev.json"
        if not path.is_file():
            continue
        stored = json.loads(path.read_text(encoding="utf-8"))
        output = stored.get("output", {})
        pairs = [(p.gold, str(output.get(p.id, {}).get("articleBody") or "")) for p in pages]
        rows.append((system, str(stored.get("version") or ""), extraction_score(pairs)))
    return rows


def worst_pages(
    pages: Sequence[AebPage], texts: Sequence[str], count: int
) -> list[tuple[float, float, AebPage]]:
    rows = []
    for page, text in zip(pages, texts, strict=True):
        one = extraction_score([(page.gold, text)])
        rows.append((one.f1, one.precision, one.recall, page))
    rows.sort(key=lambda row: row[0])
    return [(p, r, page) for _, p, r, page in rows[:count]]


def table(runs: Sequence[Run]) -> list[str]:
    lines = [
        "| extractor | precision | recall | F1 | empty pages | pages/s (1 process) |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        label = EXTRACTORS[run.name][0]
        lines.append(
            f"| {label} | {run.score.precision:.3f} | {run.score.recall:.3f} | "
            f"{run.score.f1:.3f} | {run.empty} | {run.pages_per_second:.1f} |"
        )
    return lines


def reference_table(rows: Sequence[tuple[str, str, Score]]) -> list[str]:
    lines = ["| stored output | precision | recall | F1 |", "|---|---|---|---|"]
    for system, version, score in rows:
        label = f"{system} {version}".strip()
        lines.append(f"| {label} | {score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f} |")
    return lines


def section(
    runs: Sequence[Run],
    references: Sequence[tuple[str, str, Score]],
    checksum: str,
    pages: int,
    repeats: int,
    measured: str,
) -> str:
    machine = f"{cpu_model()}, Python {platform.python_version()}"
    tagwire_run, plain_run = runs[0], runs[1]
    others = max(run.others_cores for run in runs)
    load = (
        "a quiet machine"
        if others < BUSY
        else f"other processes took up to {others:.2f} cores meanwhile, so pages/s is low"
    )
    lines = [
        SECTION,
        "",
        f"Article-extraction benchmark (Zyte), dev part: {pages} real news and blog pages with "
        "human-checked article bodies (`../shared/data/article-extraction-aeb`, corpus "
        f"checksum `{checksum}` from `bench.metrics.aeb_checksum`). Metric: the benchmark's "
        "own, per page precision and recall over multisets of 4-token shingles, averaged over "
        "pages; F1 of the two means. A page with no text found scores 0 recall.",
        "",
        *table(runs),
        "",
        f"Measured {RUN_DATE} on tagwire at {measured} with `{COMMAND}` (one process, "
        f"{machine}, {load}; pages/s "
        f"is the fastest of {repeats} passes, the extractors taking turns, and includes parsing; "
        "tagwire's extractor takes "
        f"{plain_run.pages_per_second / tagwire_run.pages_per_second:.1f}× the time of the "
        "plain call). The plain trafilatura call keeps tables "
        "(`include_tables` defaults to true) and gets the page as decoded text; tagwire "
        "drops tables, reads the page's own metadata first and removes page furniture "
        "(ad slots, credits, newsletter boxes, related lists, bylines) before and after "
        "trafilatura. `tests/test_extract.py` fails when tagwire's F1 drops below its floor "
        "or the corpus checksum changes.",
        "",
        "For reference, the outputs of other systems stored with the benchmark "
        "(`outputs/<system>.dev.json`, see PROVENANCE.md), scored by the same code on the "
        "same pages:",
        "",
        *reference_table(references),
    ]
    return "\n".join(lines) + "\n"


def write_section(markdown: str, doc: Path = QUALITY_DOC) -> None:
    """Replace (or append) the ``## Extraction`` section of ``doc``, creating the doc."""
    replace_section(doc, SECTION, markdown, DOC_HEADER)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the benchmark folder")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/quality.md")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages (tagwire)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed passes per extractor; the fastest counts"
    )
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.dev.json").is_file():
        print(f"no evaluation data: {args.data} is absent (it lives beside the repository)")
        return 0

    measured = revision()  # before the run: the code imported is the code measured
    pages = list(aeb_pages(args.data))
    checksum = aeb_checksum(args.data)
    print(f"{len(pages)} pages, corpus checksum {checksum}")
    runs, texts = run_all(pages, args.repeat)
    for run in runs:
        print(
            f"{run.name:12} P={run.score.precision:.3f} R={run.score.recall:.3f} "
            f"F1={run.score.f1:.3f} empty={run.empty} "
            f"{run.pages_per_second:.1f} pages/s ({run.seconds:.2f} s; other processes "
            f"{run.others_cores:.2f} cores)"
        )
    print()
    print("\n".join(table(runs)))
    if args.worst:
        print(f"\n{args.worst} worst pages for tagwire (F1, P, R, url):")
        for precision, recall, page in worst_pages(pages, texts["tagwire"], args.worst):
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            print(f"  {f1:.3f} {precision:.3f} {recall:.3f} {page.url}")
    references = reference_scores(args.data, pages)
    if references:
        print()
        print("\n".join(reference_table(references)))
    if not args.no_write:
        write_section(section(runs, references, checksum, len(pages), args.repeat, measured))
        print(f"\nupdated the '{SECTION}' section of {QUALITY_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
