"""Where the gold stories split and why rows join another gold story's story: the
``--splits`` and ``--joins`` breakdowns of ``bench/stories_eval.py``."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bench.stories_replay import DEFAULT_RULES, Row, Step, cluster, final_id
from tagwire.stories.rules import StoryRules

# --- where splits come from ---------------------------------------------------------------


SPLIT_CAUSES = (
    "candidate not found (past the window)",
    "candidate not found (no shared key in the index)",
    "time decay (would have joined within the story's span)",
    "below the bar",
    "joined another story instead",
)


def split_cause(step: Step, window: timedelta) -> str | None:
    """Why a row did not join the story of its gold story's latest row (None: it did)."""
    home = step.home
    if home is None:
        return None
    if not home.found:
        return SPLIT_CAUSES[0] if home.gap > window else SPLIT_CAUSES[1]
    if step.decision.story_id is not None:
        return SPLIT_CAUSES[4]
    if home.score_without_gap >= home.threshold:
        return SPLIT_CAUSES[2]
    return SPLIT_CAUSES[3]


@dataclass(frozen=True, slots=True)
class SplitBreakdown:
    pieces: dict[str, int]  # gold story -> predicted stories holding its rows, at the end
    gold_sizes: dict[str, int]
    causes: Counter[str]  # rows that left their gold story's predicted story, by cause
    repaired: Counter[str]  # of those, the ones a later merge brought back together
    merges: int
    wrong_merges: int  # merges of two stories whose majorities are different gold stories
    wrong_joins: int  # rows that joined a story whose majority is another gold story
    mixed: int  # predicted stories (at the end) with rows of more than one gold story


def split_breakdown(rows: Sequence[Row], rules: StoryRules = DEFAULT_RULES) -> SplitBreakdown:
    trace: list[Step] = []
    final = cluster(rows, rules, trace=trace)
    pieces: dict[str, set[int]] = {}
    for row in rows:
        pieces.setdefault(row.story, set()).add(final[row.id])
    causes: Counter[str] = Counter()
    repaired: Counter[str] = Counter()
    members: dict[int, Counter[str]] = {}  # live story -> gold stories of its rows
    merged_into: dict[int, int] = {}
    merges = wrong_merges = wrong_joins = 0
    for step in trace:
        cause = split_cause(step, rules.window)
        if cause is not None and step.home is not None:
            causes[cause] += 1
            if final[step.row.id] == final_id(step.home.story_id, merged_into | _later(trace)):
                repaired[cause] += 1
        group = members.setdefault(step.story_id, Counter())
        if group and group.most_common(1)[0][0] != step.row.story:
            wrong_joins += 1
        group[step.row.story] += 1
        if step.merge is not None:
            merges += 1
            keep, gone = members[step.merge.keep], members.pop(step.merge.gone)
            if keep.most_common(1)[0][0] != gone.most_common(1)[0][0]:
                wrong_merges += 1
            keep.update(gone)
            merged_into[step.merge.gone] = step.merge.keep
    by_story: dict[int, set[str]] = {}
    for row in rows:
        by_story.setdefault(final[row.id], set()).add(row.story)
    return SplitBreakdown(
        pieces={g: len(p) for g, p in pieces.items()},
        gold_sizes=dict(Counter(r.story for r in rows)),
        causes=causes,
        repaired=repaired,
        merges=merges,
        wrong_merges=wrong_merges,
        wrong_joins=wrong_joins,
        mixed=sum(1 for golds in by_story.values() if len(golds) > 1),
    )


def _later(trace: Sequence[Step]) -> dict[int, int]:
    """Every merge of a replay (gone -> keep)."""
    return {s.merge.gone: s.merge.keep for s in trace if s.merge is not None}


def breakdown_text(name: str, b: SplitBreakdown) -> str:
    split = {g: n for g, n in b.pieces.items() if n > 1}
    extra = sum(n - 1 for n in split.values())
    worst = sorted(split.items(), key=lambda gn: -gn[1])[:5]
    lines = [
        f"{name}: {len(split)} of {len(b.pieces)} gold stories end in more than one "
        f"predicted story ({extra} predicted stories too many; the most split: "
        + ", ".join(f"{n} pieces of {b.gold_sizes[g]} rows" for g, n in worst)
        + f"). {b.merges} merges ({b.wrong_merges} of two different gold stories); "
        f"{b.wrong_joins} rows joined a story of another gold story; {b.mixed} predicted "
        "stories hold more than one gold story.",
        "",
        "| why a row left its gold story's predicted story | rows | brought back by a "
        "later merge | left split |",
        "|---|---|---|---|",
    ]
    for cause in SPLIT_CAUSES:
        n, r = b.causes[cause], b.repaired[cause]
        lines.append(f"| {cause} | {n} | {r} | {n - r} |")
    total, fixed = sum(b.causes.values()), sum(b.repaired.values())
    lines.append(f"| all | {total} | {fixed} | {total - fixed} |")
    return "\n".join(lines)


# --- why rows join another gold story's story --------------------------------------------


JOIN_KINDS = ("home", "minority", "foreign")


@dataclass(frozen=True, slots=True)
class JoinEvidence:
    """What one join had to go on (a row that joined an existing story)."""

    kind: str  # home: the story's majority is the row's gold story; minority: its gold
    # story is in the story, not the majority; foreign: none of its gold story's rows are
    score: float
    meaning: float  # cosine of the headline's vector and the story's mean
    text: float  # cosine of the term vectors
    shared_terms: int
    margin: float  # score minus the runner-up's
    size: int  # the story's articles before the row


@dataclass(frozen=True, slots=True)
class JoinBreakdown:
    joins: list[JoinEvidence]
    merges: list[tuple[bool, float]]  # (right: both majorities the same gold story, similarity)
    # Predicted stories (at the end) by the B³ precision they cost: (cost, gold story ->
    # (rows, its first headline in the story)), costliest first.
    costs: list[tuple[float, dict[str, tuple[int, str]]]]
    rows: int


def join_breakdown(rows: Sequence[Row], rules: StoryRules = DEFAULT_RULES) -> JoinBreakdown:
    """Every join of one replay, sorted by whether the story it joined held its gold story,
    with the evidence it had; the merges, right and wrong; and which predicted stories cost
    the precision."""
    trace: list[Step] = []
    final = cluster(rows, rules, trace=trace)
    members: dict[int, Counter[str]] = {}  # live story -> gold stories of its rows
    joins: list[JoinEvidence] = []
    merges: list[tuple[bool, float]] = []
    for step in trace:
        group = members.setdefault(step.story_id, Counter())
        d = step.decision
        if d.story_id is not None:
            mine, top = group[step.row.story], group.most_common(1)[0][0]
            kind = "home" if top == step.row.story else "minority" if mine else "foreign"
            joins.append(
                JoinEvidence(
                    kind,
                    d.score,
                    d.meaning_similarity,
                    d.text_similarity,
                    step.shared_terms,
                    d.score - step.runner_up,
                    step.joined_size,
                )
            )
        group[step.row.story] += 1
        if step.merge is not None:
            keep, gone = members[step.merge.keep], members.pop(step.merge.gone)
            right = keep.most_common(1)[0][0] == gone.most_common(1)[0][0]
            merges.append((right, step.merge.similarity))
            keep.update(gone)
    by_story: dict[int, Counter[str]] = {}
    first_title: dict[tuple[int, str], str] = {}
    for row in rows:
        story = final[row.id]
        by_story.setdefault(story, Counter())[row.story] += 1
        first_title.setdefault((story, row.story), row.title)
    costs = []
    for story, golds in by_story.items():
        size = sum(golds.values())
        cost = sum(n * (1 - n / size) for n in golds.values()) / len(rows)
        parts = {g: (n, first_title[story, g]) for g, n in golds.most_common()}
        costs.append((cost, parts))
    costs.sort(key=lambda c: -c[0])
    return JoinBreakdown(joins, merges, costs, len(rows))


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


JOIN_BANDS = ((0.0, 0.35), (0.35, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, math.inf))


def join_text(name: str, b: JoinBreakdown, worst: int = 6) -> str:
    kinds = {k: [j for j in b.joins if j.kind == k] for k in JOIN_KINDS}
    right = [s for ok, s in b.merges if ok]
    wrong = [s for ok, s in b.merges if not ok]

    def span(values: Sequence[float]) -> str:
        return f"{min(values):.3f} to {max(values):.3f}" if values else "none"

    lines = [
        f"{name}: {len(b.joins)} joins: {len(kinds['home'])} home (the story's majority is "
        f"the row's gold story), {len(kinds['minority'])} minority (its gold story is in "
        f"the story, not the majority), {len(kinds['foreign'])} foreign (none of its gold "
        f"story's rows in the story); {len(b.merges)} merges, {len(wrong)} of two "
        f"different gold stories (similarity {span(wrong)}; the right ones {span(right)}).",
        "",
        "| evidence of a join (median) | home | minority | foreign |",
        "|---|---|---|---|",
    ]
    fields: tuple[tuple[str, str], ...] = (
        ("score", "score"),
        ("meaning", "headline vector cosine with the story's mean"),
        ("text", "term cosine"),
        ("shared_terms", "shared terms"),
        ("margin", "margin over the runner-up"),
        ("size", "the story's articles"),
    )
    for field, label in fields:
        cells = " | ".join(
            f"{_median([float(getattr(j, field)) for j in kinds[k]]):.3f}" for k in JOIN_KINDS
        )
        lines.append(f"| {label} | {cells} |")
    lines += [
        "",
        "| score | home: 1 shared term / 2+ | foreign: 1 shared term / 2+ |",
        "|---|---|---|",
    ]
    for low, high in JOIN_BANDS:
        band = [j for j in b.joins if low <= j.score < high]

        def count(kind: str, few: bool, band: list[JoinEvidence] = band) -> int:
            return sum(1 for j in band if j.kind == kind and (j.shared_terms <= 1) == few)

        label = f"{low:.2f} to {high:.2f}" if high != math.inf else f"{low:.2f} and more"
        lines.append(
            f"| {label} | {count('home', True)} / {count('home', False)} | "
            f"{count('foreign', True)} / {count('foreign', False)} |"
        )
    lines += ["", f"B³ precision lost: {sum(c for c, _ in b.costs):.3f}; the costliest stories:"]
    for cost, parts in b.costs[:worst]:
        shown = "; ".join(f"{n} x '{title[:48]}'" for n, title in list(parts.values())[:4])
        lines.append(f"- {cost:.3f}, {sum(n for n, _ in parts.values())} rows: {shown}")
    return "\n".join(lines)
