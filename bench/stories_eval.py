"""Story clustering quality on the UCI News Aggregator headlines (dev part).

Replays the dev headlines through tagwire's own story stage (``tagwire.stories``: terms,
meaning vectors, ``choose_story``, ``grow`` / ``start``, ``choose_merge``) the way the
pipeline and the store feed it, and compares the predicted stories with the aggregator's
gold ``STORY`` ids: B-cubed and pairwise precision / recall / F1, adjusted Rand index and
NMI. Two orders: time order, and the stories interleaved (see ``interleave``). For
reference it also runs a naive baseline, online TF-IDF centroid clustering.

The replay is ``bench/stories_replay.py``, the metrics and the baseline
``bench/stories_metrics.py``, the ``--splits`` and ``--joins`` breakdowns
``bench/stories_breakdown.py``, the ``--gap`` breakdown ``bench/stories_gap.py``.

The data lives beside the repository (``../shared/data/news-aggregator-uci``, see its
PROVENANCE.md): 4,402 headlines, 59 gold stories, 2014-03-10 16:52 to 2014-03-12 04:49 UTC.
There is no article text, so articles are headlines only (``terms(title, "")``) and the
pipeline's exact-text duplicate folding never applies.

    python bench/stories_eval.py                 # tagwire, variants, baseline; both orders
    python bench/stories_eval.py --no-entities   # skip NER (fast)
    python bench/stories_eval.py --sweep         # F1 by headline bar and merge bar
    python bench/stories_eval.py --splits        # where the gold stories split, and why
    python bench/stories_eval.py --joins         # the joins, right and wrong, and why
    python bench/stories_eval.py --gap           # why interleaving scores lower
    python bench/stories_eval.py --write         # also update docs/quality.md (if it exists)
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script too

from bench.report import replace_section
from bench.stories_breakdown import breakdown_text, join_breakdown, join_text, split_breakdown
from bench.stories_gap import gap_text, order_gap
from bench.stories_metrics import Scores, score, tfidf_baseline
from bench.stories_replay import (
    DATA,
    DEFAULT_RULES,
    Row,
    cluster,
    interleave,
    load_uci,
    title_entities,
    title_meaning,
)
from tagwire.store.write_stories import MAX_STORY_CANDIDATES  # the store's cap on candidate stories
from tagwire.stories.rules import Merge, StoryRules, headline_meaning

QUALITY_DOC = Path(__file__).resolve().parents[1] / "docs" / "quality.md"
SECTION = "## Story clustering"
GOLD_STORIES = 59
BASELINE_SWEEP = tuple(round(0.02 + 0.02 * i, 2) for i in range(30))  # 0.02 .. 0.60


# --- report ------------------------------------------------------------------------------


HEADER = (
    "| method | B³ P | B³ R | B³ F1 | pair P | pair R | pair F1 | ARI | NMI | clusters |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(name: str, s: Scores) -> str:
    values = (
        s.bcubed.precision,
        s.bcubed.recall,
        s.bcubed.f1,
        s.pairwise.precision,
        s.pairwise.recall,
        s.pairwise.f1,
        s.ari,
        s.nmi,
    )
    cells = " | ".join(f"{v:.3f}" for v in values)
    return f"| {name} | {cells} | {s.clusters} (gold {s.gold_clusters}) |"


def best_baseline(rows: Sequence[Row]) -> tuple[float, Scores, list[tuple[float, float]]]:
    """The baseline at its best threshold on these rows (it is tuned on the dev set)."""
    curve = [(t, score(rows, tfidf_baseline(rows, t))) for t in BASELINE_SWEEP]
    threshold, best = max(curve, key=lambda ts: ts[1].bcubed.f1)
    return threshold, best, [(t, s.bcubed.f1) for t, s in curve]


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    rules: StoryRules
    use_entities: bool = True
    use_meaning: bool = True


NO_MERGES = math.inf
METHODS = (
    Method("tagwire: meaning + terms + entities, merges", DEFAULT_RULES),
    Method(
        "tagwire without merges",
        replace(DEFAULT_RULES, merge_threshold=NO_MERGES, lone_merge=False),
    ),
    Method(
        "tagwire without lone merges (the rules before issue 28's fourth step)",
        replace(DEFAULT_RULES, lone_merge=False),
    ),
    Method("tagwire without entities", DEFAULT_RULES, use_entities=False),
    # The rules before meaning vectors (commit baf3709): terms + entities, bar 0.2, no merges.
    Method(
        "terms + entities only (the rules before)",
        replace(
            DEFAULT_RULES,
            text_weight_short=1.0,
            threshold_short=0.2,
            merge_threshold=NO_MERGES,
            lone_merge=False,
        ),
        use_meaning=False,
    ),
)
INTERLEAVE_SEEDS = (1, 2, 3, 4, 5)
SWEEP_THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35)
SWEEP_MERGES = (0.4, 0.45, 0.5, 0.55, NO_MERGES)


def orders(rows: Sequence[Row]) -> list[tuple[str, Sequence[Row]]]:
    return [("time order", rows), ("interleaved", interleave(rows, INTERLEAVE_SEEDS[0]))]


def run_method(rows: Sequence[Row], order: Sequence[Row], method: Method) -> Scores:
    return score(rows, cluster(order, method.rules, method.use_entities, method.use_meaning))


def seeds_line(rows: Sequence[Row]) -> str:
    f1s = [
        score(rows, cluster(interleave(rows, seed), DEFAULT_RULES)).bcubed.f1
        for seed in INTERLEAVE_SEEDS
    ]
    return (
        f"Default rules, interleaved with seeds {INTERLEAVE_SEEDS[0]}..{INTERLEAVE_SEEDS[-1]}: "
        f"B³ F1 {min(f1s):.3f} to {max(f1s):.3f}, mean {sum(f1s) / len(f1s):.3f}."
    )


Grid = dict[tuple[str, float, float], float]  # (order, threshold_short, merge) -> B³ F1


def sweep(rows: Sequence[Row]) -> Grid:
    grid: Grid = {}
    for name, order in orders(rows):
        for threshold, merge in itertools.product(SWEEP_THRESHOLDS, SWEEP_MERGES):
            rules = replace(
                DEFAULT_RULES,
                threshold_short=threshold,
                merge_threshold=merge,
                lone_merge=merge != NO_MERGES,
            )
            grid[name, threshold, merge] = score(rows, cluster(order, rules)).bcubed.f1
    return grid


def sweep_table(grid: Grid) -> str:
    def merge_name(m: float) -> str:
        return "no merges" if m == NO_MERGES else f"merge {m:.2f}"

    names = list(dict.fromkeys(name for name, _, _ in grid))
    lines = [
        "| order, headline bar | " + " | ".join(merge_name(m) for m in SWEEP_MERGES) + " |",
        "|---" * (len(SWEEP_MERGES) + 1) + "|",
    ]
    for name in names:
        for t in SWEEP_THRESHOLDS:
            cells = " | ".join(f"{grid[name, t, m]:.3f}" for m in SWEEP_MERGES)
            lines.append(f"| {name}, {t:.2f} | {cells} |")
    return "\n".join(lines)


# The bars chosen on one half of the gold stories and checked on the other (issue 28).
HALVES_THRESHOLDS = (0.25, 0.3, 0.35)
HALVES_MERGES = (0.45, 0.5, 0.55)
HALVES_MERGE_TEXT = (0.0, 0.25, 0.5)
HALVES_LONE = (False, True)  # StoryRules.lone_merge
Settings = tuple[float, float, float, bool]  # threshold_short, merge bar, merge text, lone


def half_of(story: str) -> int:
    """0 or 1: which half of the dev set a gold story is in (by its id's hash, fixed)."""
    return int(hashlib.sha1(story.encode()).hexdigest()[:8], 16) % 2


@dataclass(frozen=True, slots=True)
class HalfResult:
    chosen_on: int  # the half the settings were chosen on
    settings: Settings
    tuned: tuple[Scores, Scores]  # on the half chosen on: time order, interleaved
    held: tuple[Scores, Scores]  # on the other half


def halves(rows: Sequence[Row], use_entities: bool = True) -> list[HalfResult]:
    """For each half of the gold stories: the headline bar, merge bar, merge text weight and
    whether a lone article merges by the joining rule, with the best mean B³ F1 of both orders
    on it, and what they score on the other half."""
    parts = [[r for r in rows if half_of(r.story) == h] for h in (0, 1)]

    def run(part: Sequence[Row], settings: Settings) -> tuple[Scores, Scores]:
        threshold, merge, text, lone = settings
        rules = replace(
            DEFAULT_RULES,
            threshold_short=threshold,
            merge_threshold=merge,
            merge_text_weight=text,
            lone_merge=lone,
        )
        time_order, mixed = (
            score(part, cluster(order, rules, use_entities)) for _, order in orders(part)
        )
        return time_order, mixed

    grid = list(itertools.product(HALVES_THRESHOLDS, HALVES_MERGES, HALVES_MERGE_TEXT, HALVES_LONE))
    results = []
    for h in (0, 1):
        scored = {settings: run(parts[h], settings) for settings in grid}
        best = max(grid, key=lambda g: sum(s.bcubed.f1 for s in scored[g]))
        results.append(HalfResult(h, best, scored[best], run(parts[1 - h], best)))
    return results


def halves_text(results: Sequence[HalfResult]) -> str:
    def cells(pair: tuple[Scores, Scores]) -> str:
        return " | ".join(
            f"{s.bcubed.precision:.3f} / {s.bcubed.recall:.3f} / {s.bcubed.f1:.3f}" for s in pair
        )

    lines = [
        "| chosen on | headline bar, merge bar, merge text weight, lone merge | on that half: "
        "time order "
        "P / R / F1 | interleaved | on the other half: time order | interleaved |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        t, m, w, lone = r.settings
        lines.append(
            f"| half {r.chosen_on} | {t:.2f}, {m:.2f}, {w:.2f}, {'yes' if lone else 'no'} | "
            f"{cells(r.tuned)} | "
            f"{cells(r.held)} |"
        )
    return "\n".join(lines)


def data_shape(rows: Sequence[Row]) -> str:
    """How the gold stories lie in time: here each arrives as one burst, one after another."""
    switches = sum(1 for a, b in itertools.pairwise(rows) if a.story != b.story)
    spans: dict[str, list[datetime]] = {}
    for r in rows:
        spans.setdefault(r.story, []).append(r.at)
    longest = max((max(v) - min(v)).total_seconds() for v in spans.values())
    return (
        f"in time order the gold story changes {switches} times between consecutive "
        f"headlines; the longest story spans {longest / 60:.1f} minutes"
    )


# --- cost --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cost:
    load_seconds: float
    model_mb: float  # resident memory the model adds to a process
    embed_ms: float  # per headline
    decide_ms: float  # the story decision and merge check per headline, with vectors
    decide_ms_before: float  # the same with the rules before
    merges: int  # in one time-order replay of the dev set


_MEASURE_MODEL = """
import time
import numpy, tokenizers, safetensors.numpy  # what tagwire imports anyway, counted apart
from tagwire.embeddings import embedder
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
before = rss()
began = time.perf_counter()
embedder().embed("warm up")
print(time.perf_counter() - began, rss() - before)
"""


def measure_cost(rows: Sequence[Row]) -> Cost:
    """The model's load time and memory (in a fresh process), the time to embed a headline,
    and the time of the story stage per headline with and without vectors (NER excluded,
    it is cached before; the store's queries are not in these figures)."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE_MODEL], capture_output=True, text=True, check=True
    ).stdout.split()
    titles = [r.title for r in rows]
    began = time.perf_counter()
    for title in titles:
        headline_meaning(title)
    embed_ms = (time.perf_counter() - began) * 1000 / len(titles)
    for title in titles:
        title_meaning(title)  # cached, so that the replays below time the decisions alone
    timings = []
    for method in (METHODS[0], METHODS[-1]):
        began = time.perf_counter()
        cluster(rows, method.rules, method.use_entities, method.use_meaning)
        timings.append((time.perf_counter() - began) * 1000 / len(rows))
    return Cost(
        load_seconds=float(out[0]),
        model_mb=float(out[1]),
        embed_ms=embed_ms,
        decide_ms=timings[0],
        decide_ms_before=timings[1],
        merges=count_merges(rows),
    )


def count_merges(rows: Sequence[Row]) -> int:
    merges: list[Merge] = []
    cluster(rows, DEFAULT_RULES, merges=merges)
    return len(merges)


def cost_text(cost: Cost, n: int) -> str:
    return (
        f"Cost (this machine, one core): the model loads once per process in "
        f"{cost.load_seconds:.2f} s and adds {cost.model_mb:.0f} MB of resident memory (the "
        f"tokenizer and the 32,000 x 256 float16 matrix); a headline's vector takes "
        f"{cost.embed_ms:.3f} ms; the story decision with the merge check takes "
        f"{cost.decide_ms:.2f} ms per headline against {cost.decide_ms_before:.2f} ms with "
        f"the rules before (up to {MAX_STORY_CANDIDATES} candidates, found through the "
        f"index). The store keeps one 512-byte vector per story (none per article) and "
        f"reads it with each candidate. {cost.merges} merges in the {n:,} headlines in time "
        "order (roughly one in "
        f"{n // max(1, cost.merges)}); a merge moves the merged story's articles with one "
        "UPDATE over the story index of `articles`."
    )


def write_section(markdown: str, doc: Path = QUALITY_DOC) -> bool:
    """Replace (or append) the ``## Story clustering`` section of ``doc``; False if the doc
    does not exist."""
    return replace_section(doc, SECTION, markdown)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the UCI dev CSV")
    parser.add_argument("--no-entities", action="store_true", help="skip NER (fast)")
    parser.add_argument(
        "--sweep", action="store_true", help="F1 by headline bar and merge bar, both orders"
    )
    parser.add_argument(
        "--splits", action="store_true", help="only where the gold stories split, and why"
    )
    parser.add_argument(
        "--joins",
        action="store_true",
        help="only: the joins, right and wrong, with their evidence; merges; costly stories",
    )
    parser.add_argument(
        "--halves",
        action="store_true",
        help="only: the bars chosen on one half of the gold stories, checked on the other",
    )
    parser.add_argument(
        "--gap",
        action="store_true",
        help="only: interleaved against time order, and with real times; the precision "
        "lost by pair of gold stories",
    )
    parser.add_argument("--write", action="store_true", help="update docs/quality.md")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"no evaluation data: {args.data} is absent (it lives beside the repository)")
        return 0

    rows = load_uci(args.data)
    print(f"{len(rows)} headlines, {len({r.story for r in rows})} gold stories, {args.data.name}")
    print(f"({data_shape(rows)})")
    if args.halves:
        print()
        print(halves_text(halves(rows, not args.no_entities)))
        return 0
    if args.gap:
        print()
        print(gap_text(order_gap(rows, use_entities=not args.no_entities)))
        return 0
    if args.joins:
        for order_name, order in orders(rows):
            print()
            print(join_text(order_name, join_breakdown(order)))
        return 0
    if args.splits:
        for order_name, order in orders(rows):
            print()
            print(breakdown_text(order_name, split_breakdown(order)))
        return 0
    methods = [m for m in METHODS if not (args.no_entities and m.use_entities)]
    if not args.no_entities:
        began = time.perf_counter()
        for row in rows:
            title_entities(row.title)
        print(f"NER on {len(rows)} headlines: {time.perf_counter() - began:.1f} s")

    results: list[tuple[str, Scores]] = []
    for method in methods:
        for order_name, order in orders(rows):
            began = time.perf_counter()
            s = run_method(rows, order, method)
            label = f"{method.name}, {order_name}"
            results.append((label, s))
            print(f"{label}: B³ F1 {s.bcubed.f1:.3f} ({time.perf_counter() - began:.1f} s)")
    for order_name, order in orders(rows):
        base_t, base, base_curve = best_baseline(order)
        results.append((f"naive TF-IDF centroid, best t={base_t} on dev, {order_name}", base))
        print(f"baseline ({order_name}) B³ F1 by threshold: ")
        print("  " + ", ".join(f"{t}: {f:.3f}" for t, f in base_curve))
    seeds = seeds_line(rows)
    print(seeds)

    table = "\n".join([HEADER, *(table_row(name, s) for name, s in results)])
    print()
    print(table)
    cost = measure_cost(rows)
    print()
    print(cost_text(cost, len(rows)))

    grid: Grid = {}
    if args.sweep:
        grid = sweep(rows)
        print()
        print(sweep_table(grid))

    if args.write:
        outcome = result_text(results[0][1], results[1][1])
        markdown = section_markdown(rows, table, seeds, outcome, cost, grid)
        if write_section(markdown):
            print(f"\nupdated the '{SECTION}' section of {QUALITY_DOC}")
        else:
            print(f"\n{QUALITY_DOC} does not exist yet; the section it would get:\n")
            print(markdown)
    return 0


def result_text(time_order: Scores, interleaved: Scores) -> str:
    goal = 0.85
    met = "met" if time_order.bcubed.f1 >= goal else "not met"
    return (
        f"Result with the default rules: B³ F1 {time_order.bcubed.f1:.3f} in time order (goal "
        f"{goal}: {met}), {interleaved.bcubed.f1:.3f} with the stories interleaved. Entities "
        "found by NER in headlines alone do not help on this data (compare the rows without "
        "entities); they stay in the score for full articles, where NER reads the whole "
        "text, which this data cannot measure."
    )


def section_markdown(
    rows: Sequence[Row], table: str, seeds: str, outcome: str, cost: Cost, grid: Grid
) -> str:
    first, last = rows[0].at, rows[-1].at
    parts = [
        SECTION,
        "",
        f"UCI News Aggregator, dev part ({len(rows):,} headlines from "
        f"{len({r.publisher for r in rows}):,} publishers, "
        f"{len({r.story for r in rows})} gold stories, {first:%Y-%m-%d %H:%M} to "
        f"{last:%Y-%m-%d %H:%M} UTC; see ../shared/data/news-aggregator-uci/PROVENANCE.md). "
        "Headlines are replayed through `tagwire.stories` as the pipeline and the store do "
        "(headline only: the dataset has no text; candidates from the index of story keys). "
        "B³ = B-cubed, averaged over headlines. The naive baseline is online TF-IDF centroid "
        "clustering with its threshold tuned on the same stream. Goal (issue 4): B³ F1 >= "
        "0.85 on this dev set. `python bench/stories_eval.py --sweep --write`; the quality "
        "gate is `tests/test_quality_stories.py`.",
        "",
        f"Two orders. Time order is the data as it came, but {data_shape(rows)}: each "
        "story arrives as one burst, so few stories compete at any moment (a rule that "
        "only looked at the gap since the last headline would score near 1). Interleaved "
        "shuffles the stories together (seeded; each story keeps its own order; times "
        "spread evenly over the span, so time says nothing), all 59 running at once: "
        "harder than a real stream, where stories overlap only partly.",
        "",
        "Similarity of a headline to a story: the cosine of its meaning vector (WordLlama "
        "l2_supercat token embeddings, 256 dimensions, averaged; `tagwire.embeddings`) "
        "with the story's mean vector, + 0.25 x the cosine of term vectors + 0.4 x the "
        "share of entities in common (each shared entity weighed by its inverse document "
        "frequency among the window's candidate stories, 0..1), decaying with time; joins "
        "at 0.3. After each article, the story it joined merges with a candidate story when "
        "their mean vectors' cosine + 0.25 x their term centroids' cosine, decayed, reaches "
        "0.5; a story of one article merges when that article would join the other story "
        "now, by its joining rule (a headline: cosine + 0.25 x terms, decayed, >= 0.3). The "
        "bars, the merge's text weight and the lone merge were chosen on one half of the "
        "gold stories and checked on the other (`--halves`, see the issue 28 sections "
        "below); the sweep below varies the two bars on the whole dev set.",
        "",
        table,
        "",
        outcome,
        "",
        seeds,
        "",
        cost_text(cost, len(rows)),
    ]
    if grid:
        parts += [
            "",
            "B³ F1 by headline bar (`threshold_short`) and merge bar (`merge_threshold`), "
            "other rules at their defaults:",
            "",
            sweep_table(grid),
        ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    sys.exit(main())
