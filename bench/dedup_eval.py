"""Near-duplicate detection quality on real article texts (``tagwire.dedup.near``).

Two articles are found as near-duplicates in tagwire when (1) they share at least one LSH
band key (``band_keys``: candidate generation, a lookup in the store) AND (2)
``is_near_duplicate`` holds. This evaluates exactly that decision, through those
public functions only; a text too short to fingerprint (``fingerprint() is None``) is not
found (the pipeline falls back to its same-title rule, not evaluated here).

Data (beside the repository, ``../shared/data``, see each folder's PROVENANCE.md):

- ``article-extraction-aeb/ground-truth.dev.json``: 138 human-checked article bodies
  (``articleBody``), mostly English news. These are the source texts.
- ``trafilatura-eval/evaldata.dev.json``: skipped. Its gold is snippet-level (a few short
  "with"/"without" snippets per page, about 19 words of "with" text per page), not whole
  article texts, so it cannot serve as article bodies. The script checks and says so.

Pairs (all deterministic: every random choice comes from ``random.Random(f"{SEED}:...")``
seeded with the constant ``SEED``, the source id and the kind, so one pair never depends on
the order or number of the others; Python's string seeding is stable across runs and
``PYTHONHASHSEED``):

True duplicates, the original and a transformed copy, 6 single kinds and 2 combinations
per source text (the combinations cycle over all 15 pairs of kinds, the lead cut last):

- ``ads``: 1-3 ad-slot lines ("Advertisement", "ADVERTISEMENT", "Story continues below
  advertisement") inserted between paragraphs of the copy.
- ``boilerplate``: the original ends with one newsletter/promo line, the copy with a
  different one; a "Related: ..." line (another article's headline-like first words) is on
  one side only (added or removed).
- ``rewrap``: paragraphs of the copy merged, split at sentence ends, and hard-wrapped
  (invisible to the normalised text, except where a wrap cuts a run of CJK characters).
- ``edits``: 10% of the copy's sentences (at least one) edited: 1-3 words replaced,
  inserted or deleted, or the sentence's numbers changed.
- ``lead``: the copy is cut to its lead, the fewest first paragraphs that hold at least 50
  words (the hardest cut the rule allows; skipped when no shorter lead of >= 50 words exists).
- ``wire``: a wire copy re-headlined. The title is not part of the fingerprint (tagwire
  fingerprints the body), so only the body changes: a dateline "CITY (Reuters) - " is added
  to one side (added or removed) and the last 1-2 sentences of the copy are trimmed (one
  when two would be more than 20% of the words; skipped when one already is).
- ``A+B``: B applied on top of A's (original, copy) pair.

Not duplicates (for the three kinds that pair two gold texts as they are, each unordered
pair at most once, the first kind kept):

- ``tfidf_top2``: for each text, its 2 most similar other texts by TF-IDF cosine of words
  (same topic: e.g. two stories on Prince Andrew, two on the same football game).
- ``lead_topic``: for each text, the other text whose first sentence is most similar (TF-IDF).
- ``shared_lead``: a text vs its TF-IDF nearest neighbour with the text's own first sentence
  put in front: two different articles that share the same first sentence (skipped when
  that sentence is more than a third of either text: then it is a lead cut, a duplicate).
- ``same_boilerplate``: two different texts wrapped in the same ad lines, promo and
  "Related" line (the same site's template around two stories).
- ``random``: 2 random other texts per text.

Run:

    python bench/dedup_eval.py                # table, false positives and negatives
    python bench/dedup_eval.py --markdown     # also the "## Near-duplicates" section for
                                              # docs/quality.md (printed, not written)
    python bench/dedup_eval.py --list 50      # list more misses
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tagwire.dedup.exact import content_hash
from tagwire.dedup.near import (
    BAND_ROWS,
    CONTAINMENT_MIN,
    JACCARD_MIN,
    LEAD_WORDS,
    MIN_WORDS,
    NUM_PERM,
    SHINGLE_WORDS,
    Fingerprint,
    band_keys,
    fingerprint,
    is_near_duplicate,
    similarity,
)

if not __package__:
    # Run as a script (`python bench/dedup_eval.py`, as docs/quality.md says), Python puts
    # bench/ on the path, not the repository root that holds the package bench.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dedup_pairs import (
    EDIT_SHARE,
    LEAD_MIN_WORDS,
    SEED,
    SINGLE_KINDS,
    WIRE_TRIM,
    Pair,
    count_words,
    data_problem,
    duplicates,
    load_sources,
    non_duplicates,
    trafilatura_note,
)

SECTION = "## Near-duplicates"
GOAL_PRECISION = 0.99
GOAL_RECALL = 0.95


@dataclass(frozen=True, slots=True)
class Outcome:
    pair: Pair
    candidate: bool  # the two share a band key
    found: bool  # candidate and is_near_duplicate
    jaccard: float
    containment: float
    words: tuple[int, int]
    same_hash: bool  # equal content_hash: the pipeline's exact-text stage would catch it


@dataclass(slots=True)
class KindResult:
    kind: str
    is_duplicate: bool
    pairs: int = 0
    found: int = 0
    candidates: int = 0
    same_hash: int = 0

    @property
    def rate(self) -> float:
        """Recall for duplicates, false-positive rate for non-duplicates."""
        return self.found / self.pairs if self.pairs else 0.0


@dataclass(slots=True)
class Results:
    outcomes: list[Outcome]
    per_kind: dict[str, KindResult]
    tp: int
    fp: int
    fn: int
    tn: int
    texts: int  # distinct texts fingerprinted
    words: int
    seconds: float  # fingerprinting them
    unfingerprinted: int  # texts under MIN_WORDS words
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fingerprints_per_second(self) -> float:
        return self.texts / self.seconds if self.seconds else 0.0

    @property
    def false_positives(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.found and not o.pair.is_duplicate]

    @property
    def false_negatives(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.pair.is_duplicate and not o.found]


# --- evaluation -------------------------------------------------------------------------


def evaluate(
    pairs: Sequence[Pair], skipped: Counter[str] | None = None, timing_rounds: int = 1
) -> Results:
    """The pair decisions, per kind, and the fingerprinting speed: every distinct text
    fingerprinted once per round, the fastest of `timing_rounds` rounds reported."""
    texts = list(dict.fromkeys(t for p in pairs for t in (p.a, p.b)))
    seconds = math.inf
    for _ in range(max(1, timing_rounds)):
        began = time.perf_counter()
        fps = [fingerprint(t) for t in texts]
        seconds = min(seconds, time.perf_counter() - began)
    prints: dict[str, Fingerprint | None] = dict(zip(texts, fps, strict=True))
    keys = {t: set(band_keys(fp)) for t, fp in prints.items() if fp is not None}
    outcomes: list[Outcome] = []
    per_kind: dict[str, KindResult] = {}
    for pair in pairs:
        fa, fb = prints[pair.a], prints[pair.b]
        words = (count_words(pair.a), count_words(pair.b))
        same_hash = content_hash(pair.a) == content_hash(pair.b)
        if fa is None or fb is None:
            outcome = Outcome(pair, False, False, 0.0, 0.0, words, same_hash)
        else:
            candidate = bool(keys[pair.a] & keys[pair.b])
            sim = similarity(fa, fb)
            found = candidate and is_near_duplicate(fa, fb)
            outcome = Outcome(
                pair, candidate, found, sim.jaccard, sim.containment, words, same_hash
            )
        outcomes.append(outcome)
        result = per_kind.setdefault(pair.kind, KindResult(pair.kind, pair.is_duplicate))
        result.pairs += 1
        result.found += outcome.found
        result.candidates += outcome.candidate
        result.same_hash += outcome.same_hash
    tp = sum(o.found for o in outcomes if o.pair.is_duplicate)
    fp = sum(o.found for o in outcomes if not o.pair.is_duplicate)
    positives = sum(o.pair.is_duplicate for o in outcomes)
    return Results(
        outcomes=outcomes,
        per_kind=per_kind,
        tp=tp,
        fp=fp,
        fn=positives - tp,
        tn=len(outcomes) - positives - fp,
        texts=len(texts),
        words=sum(count_words(t) for t in texts),
        seconds=seconds,
        unfingerprinted=sum(fp is None for fp in fps),
        skipped=skipped if skipped is not None else Counter(),
    )


# --- report -----------------------------------------------------------------------------


def _kind_order(results: Results) -> list[KindResult]:
    rank = {k: n for n, k in enumerate(SINGLE_KINDS)}
    dup = [r for r in results.per_kind.values() if r.is_duplicate]
    dup.sort(key=lambda r: (r.kind.count("+"), [rank.get(k, 99) for k in r.kind.split("+")]))
    non = sorted(
        (r for r in results.per_kind.values() if not r.is_duplicate), key=lambda r: -r.pairs
    )
    return dup + non


def table(results: Results) -> str:
    """A markdown table: per kind, pairs, candidates, found, and the rate."""
    lines = [
        "| kind | duplicate | pairs | candidates | found | recall / FP rate | same hash |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in _kind_order(results):
        lines.append(
            f"| {r.kind} | {'yes' if r.is_duplicate else 'no'} | {r.pairs} | {r.candidates} "
            f"| {r.found} | {r.rate:.3f} | {r.same_hash} |"
        )
    combos = [r for r in results.per_kind.values() if r.is_duplicate and "+" in r.kind]
    if combos:
        pairs = sum(r.pairs for r in combos)
        found = sum(r.found for r in combos)
        lines.append(f"| all combinations | yes | {pairs} | | {found} | {found / pairs:.3f} | |")
    return "\n".join(lines)


def summary(results: Results) -> str:
    positives = results.tp + results.fn
    negatives = results.fp + results.tn
    goal = (
        "met"
        if results.precision >= GOAL_PRECISION and results.recall >= GOAL_RECALL
        else "NOT met"
    )
    return (
        f"{positives} duplicate pairs, {negatives} non-duplicate pairs; "
        f"precision {results.precision:.3f} ({results.fp} false positives), "
        f"recall {results.recall:.3f} ({results.fn} missed); "
        f"goal P >= {GOAL_PRECISION}, R >= {GOAL_RECALL}: {goal}\n"
        f"fingerprints: {results.texts} texts, {results.words} words in {results.seconds:.2f} s "
        f"(fastest round, one process) = "
        f"{results.fingerprints_per_second:.0f} fingerprints/s "
        f"({results.words / max(results.seconds, 1e-9):,.0f} words/s); "
        f"{results.unfingerprinted} texts under {MIN_WORDS} words\n"
        f"settings: NUM_PERM {NUM_PERM}, BAND_ROWS {BAND_ROWS}, SHINGLE_WORDS {SHINGLE_WORDS}, "
        f"LEAD_WORDS {LEAD_WORDS}, JACCARD_MIN {JACCARD_MIN}, CONTAINMENT_MIN {CONTAINMENT_MIN}"
    )


LEAD_BUCKETS = ((0.0, 0.1), (0.1, 0.25), (0.25, 1.01))


def lead_breakdown(results: Results) -> str:
    """Recall of the pairs with a lead cut, by the copy's share of the original's words."""
    parts = []
    for low, high in LEAD_BUCKETS:
        hits = [
            o.found
            for o in results.outcomes
            if o.pair.is_duplicate
            and "lead" in o.pair.kind.split("+")
            and low <= min(o.words) / max(o.words) < high
        ]
        label = f"{low:.0%}-{min(high, 1):.0%}"
        parts.append(f"{label}: {sum(hits)}/{len(hits)}")
    return "lead cuts found, by the copy's share of the original's words: " + ", ".join(parts)


def describe(o: Outcome) -> str:
    why = "no shared band key" if not o.candidate else "below both thresholds"
    return (
        f"{o.pair.kind}: {o.pair.note} | words {o.words[0]}/{o.words[1]} | "
        f"J {o.jaccard:.2f} C {o.containment:.2f} | {why if o.pair.is_duplicate else 'found'}"
    )


def section_markdown(results: Results, sources: int, note: str) -> str:
    fps = results.false_positives
    fp_lines = "\n".join(f"- {describe(o)}" for o in fps) or "- none"
    misses = results.false_negatives
    by_kind = Counter(o.pair.kind for o in misses)
    miss_line = ", ".join(f"{k} {n}" for k, n in by_kind.most_common()) or "none"
    no_candidate = sum(not o.candidate for o in misses)
    skipped = ", ".join(f"{k} {n}" for k, n in sorted(results.skipped.items())) or "none"
    lines = summary(results).splitlines()
    return f"""{SECTION}

`python bench/dedup_eval.py --markdown` (seed {SEED}). The decision evaluated is the
pipeline's: the two texts share an LSH band key (`dedup.near.band_keys`) and
`dedup.near.is_near_duplicate` holds.

Source texts: the {sources} gold article bodies of `article-extraction-aeb/ground-truth.dev.json`
with at least {MIN_WORDS} words. `trafilatura-eval` was not used: {note}.
Duplicates: each text and a transformed copy: 1-3 ad lines, swapped promo/"Related" lines,
re-wrapped paragraphs, {EDIT_SHARE:.0%} of sentences edited, the shortest lead of at least
{LEAD_MIN_WORDS} words, a wire copy with a dateline added or removed and 1-2 sentences trimmed
(at most {WIRE_TRIM:.0%} of the words), and two of these combined. Non-duplicates: different
articles, most on the same topic (TF-IDF neighbours, most similar or identical first sentence,
the same site template around both). Skipped where a transform does not apply: {skipped}.

- {lines[0]}
- {lines[1]}
- {lines[2]}

{table(results)}

"same hash": pairs the pipeline's exact-text stage (`dedup.exact.content_hash`) folds before
this one.

Misses by kind: {miss_line} ({no_candidate} of {len(misses)} without a shared band key, the
rest below both thresholds). The {lead_breakdown(results)}.

False positives:

{fp_lines}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print the docs section")
    parser.add_argument("--list", type=int, default=20, help="misses to list (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds, fastest kept")
    args = parser.parse_args(argv)
    problem = data_problem()
    if problem:
        print(f"no evaluation: {problem}")
        return 0
    note = trafilatura_note()
    sources = load_sources()
    skipped: Counter[str] = Counter()
    began = time.perf_counter()
    pairs = duplicates(sources, skipped) + non_duplicates(sources)
    built = time.perf_counter() - began
    results = evaluate(pairs, skipped, timing_rounds=args.rounds)
    print(f"{len(sources)} source texts (AEB dev gold), {len(pairs)} pairs built in {built:.1f} s")
    print(f"trafilatura-eval not used: {note}")
    print(summary(results))
    print()
    print(table(results))
    print(lead_breakdown(results))
    print(f"\nfalse positives ({len(results.false_positives)}):")
    for o in results.false_positives:
        print(f"  {describe(o)}")
    misses = results.false_negatives
    print(f"\nfalse negatives ({len(misses)}), by kind: {Counter(o.pair.kind for o in misses)}")
    for o in sorted(misses, key=lambda o: (o.pair.kind, o.jaccard))[: args.list]:
        print(f"  {describe(o)}")
    if args.markdown:
        print()
        print(section_markdown(results, len(sources), note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
