"""Why the interleaved order scores below time order: the ``--gap`` breakdown of
``bench/stories_eval.py``.

Interleaving does two things at once: it mixes the stories (all 59 run at once, so each
headline meets more competing stories), and it spreads the times evenly over the 36 hours
(so a headline's time says nothing of its story). This breakdown separates the two by a
third order, the interleaved one with each headline keeping its real time (``real_times``),
and says which pairs of gold stories the lost precision is between in each order
(``precision_loss``): whether the interleaved order mixes stories that time kept apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace

from bench.stories_metrics import PRF, score
from bench.stories_replay import DEFAULT_RULES, Row, cluster, interleave
from tagwire.stories.rules import StoryRules

GAP_SEEDS = (1, 2, 3)
Pair = tuple[str, str]  # two gold stories, sorted
Losses = dict[Pair, float]  # B-cubed precision lost between two gold stories


def real_times(mixed: Sequence[Row], rows: Sequence[Row]) -> list[Row]:
    """The interleaved order with each headline at its real time (the times then go back and
    forth: the stories are mixed, but time decay still tells the days apart)."""
    at = {row.id: row.at for row in rows}
    return [replace(row, at=at[row.id]) for row in mixed]


def precision_loss(gold: Mapping[int, str], predicted: Mapping[int, Hashable]) -> Losses:
    """The B-cubed precision lost, by the pair of gold stories it is lost between: each
    item's share of its predicted story that is of another gold story, averaged over the
    items (the values add up to 1 - B-cubed precision)."""
    clusters: dict[Hashable, Counter[str]] = {}
    for item, story in predicted.items():
        clusters.setdefault(story, Counter())[gold[item]] += 1
    loss: Losses = {}
    for members in clusters.values():
        size = sum(members.values())
        for a, n in members.items():
            for b, m in members.items():
                if a != b:
                    pair = (a, b) if a < b else (b, a)
                    loss[pair] = loss.get(pair, 0.0) + n * m / size / len(gold)
    return loss


@dataclass(frozen=True, slots=True)
class Gap:
    time_order: PRF
    interleaved: PRF  # the mean over GAP_SEEDS
    interleaved_real_times: PRF  # the same orders, each headline at its real time
    loss_time_order: Losses
    loss_interleaved: Losses  # the mean over GAP_SEEDS
    names: dict[str, str]  # gold story -> its first headline


def _mean(scores: Sequence[PRF]) -> PRF:
    n = len(scores)
    return PRF(sum(s.precision for s in scores) / n, sum(s.recall for s in scores) / n)


def order_gap(
    rows: Sequence[Row],
    rules: StoryRules = DEFAULT_RULES,
    use_entities: bool = True,
    seeds: Sequence[int] = GAP_SEEDS,
) -> Gap:
    gold = {row.id: row.story for row in rows}
    names: dict[str, str] = {}
    for row in rows:
        names.setdefault(row.story, row.title)
    in_time = cluster(rows, rules, use_entities)
    spread, real, losses = [], [], Losses()
    for seed in seeds:
        mixed = interleave(rows, seed)
        predicted = cluster(mixed, rules, use_entities)
        spread.append(score(rows, predicted).bcubed)
        real.append(score(rows, cluster(real_times(mixed, rows), rules, use_entities)).bcubed)
        for pair, lost in precision_loss(gold, predicted).items():
            losses[pair] = losses.get(pair, 0.0) + lost
    return Gap(
        score(rows, in_time).bcubed,
        _mean(spread),
        _mean(real),
        precision_loss(gold, in_time),
        {pair: lost / len(seeds) for pair, lost in losses.items()},
        names,
    )


def gap_text(gap: Gap, top: int = 12) -> str:
    def prf(s: PRF) -> str:
        return f"{s.precision:.3f} / {s.recall:.3f} / {s.f1:.3f}"

    seeds = f"seeds {GAP_SEEDS[0]} to {GAP_SEEDS[-1]}, mean"
    lines = [
        "| order | B³ P / R / F1 |",
        "|---|---|",
        f"| time order | {prf(gap.time_order)} |",
        f"| interleaved, times spread evenly ({seeds}) | {prf(gap.interleaved)} |",
        f"| interleaved, each headline at its real time ({seeds}) | "
        f"{prf(gap.interleaved_real_times)} |",
        "",
        f"B³ precision lost: {sum(gap.loss_time_order.values()):.3f} in time order, "
        f"{sum(gap.loss_interleaved.values()):.3f} interleaved. The pairs of gold stories "
        "that lose the most more interleaved (each named by its first headline):",
        "",
        "| gold story | mixed with | lost in time order | interleaved |",
        "|---|---|---|---|",
    ]
    in_time, mixed = gap.loss_time_order, gap.loss_interleaved
    pairs = in_time.keys() | mixed.keys()
    ranked = sorted(pairs, key=lambda p: in_time.get(p, 0.0) - mixed.get(p, 0.0))
    for a, b in ranked[:top]:
        lines.append(
            f"| {gap.names[a][:48]} | {gap.names[b][:48]} | "
            f"{in_time.get((a, b), 0.0):.4f} | {mixed.get((a, b), 0.0):.4f} |"
        )
    return "\n".join(lines)
