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
import itertools
import json
import math
import re
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

import numpy as np

from tagwire.dedup.exact import content_hash, normalise_text
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

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AEB = DATA / "article-extraction-aeb" / "ground-truth.dev.json"
TRAFILATURA = DATA / "trafilatura-eval" / "evaldata.dev.json"
SECTION = "## Near-duplicates"
SEED = 20251127
GOAL_PRECISION = 0.99
GOAL_RECALL = 0.95

LEAD_MIN_WORDS = 50
EDIT_SHARE = 0.10
WIRE_TRIM = 0.20  # a wire copy's trimmed end: at most this share of its words
SHARED_LEAD_MAX = 1 / 3  # a shared first sentence: at most this share of either text
AD_LINES = ("Advertisement", "ADVERTISEMENT", "Story continues below advertisement")
PROMO_LINES = (
    "Sign up for our Morning Briefing newsletter to get the day's top stories in your inbox.",
    "Get unlimited digital access for just $1 a week. Cancel anytime.",
    "Follow us on Twitter and Facebook for the latest news and updates.",
    "Download our free app to get breaking news alerts on your phone.",
    "Support independent journalism: become a member today.",
    "Have a news tip? Email our newsroom or send us a message on WhatsApp.",
    "This story has been shared 1,204 times. Read more stories like this in our weekly digest.",
    "Copyright 2019 The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
)
DATELINES = ("WASHINGTON", "LONDON", "NEW YORK", "BRUSSELS", "TOKYO", "BERLIN", "PARIS")
SINGLE_KINDS = ("ads", "boilerplate", "rewrap", "edits", "wire", "lead")
COMBOS = tuple(itertools.combinations(SINGLE_KINDS, 2))  # "lead" is always applied last
COMBOS_PER_SOURCE = 2
RANDOM_PER_SOURCE = 2
NEIGHBOURS = 2

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'”’)\]])\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    is_duplicate: bool
    kind: str
    note: str = ""  # the source ids and the strength of the transformation


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


# --- data -------------------------------------------------------------------------------


def data_problem() -> str | None:
    """Why the evaluation cannot run, or None."""
    if not AEB.is_file():
        return f"evaluation data {AEB} is absent (it lives beside the repository)"
    return None


def load_sources(path: Path = AEB) -> list[Source]:
    """The AEB gold bodies long enough to fingerprint, in id order."""
    truth = json.loads(path.read_text(encoding="utf-8"))
    sources = [Source(key[:12], truth[key]["articleBody"]) for key in sorted(truth)]
    return [s for s in sources if _words(s.text) >= MIN_WORDS]


def trafilatura_note(path: Path = TRAFILATURA) -> str:
    """Whether the trafilatura evaluation set has whole gold texts (it has not: snippets)."""
    if not path.is_file():
        return f"{path} is absent"
    gold = json.loads(path.read_text(encoding="utf-8"))
    snippets = [s for entry in gold.values() for s in entry.get("with", [])]
    words = sum(len(s.split()) for s in snippets)
    return (
        f"its gold is snippet-level ({len(gold)} pages, "
        f"{len(snippets)} 'with' snippets, {words / max(1, len(gold)):.0f} words of them per "
        "page), not whole article texts"
    )


# --- text helpers -----------------------------------------------------------------------


def _words(text: str) -> int:
    return len(normalise_text(text).split())


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _join(paragraphs: Sequence[str]) -> str:
    return "\n\n".join(paragraphs)


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _first_sentence(text: str) -> str:
    paragraphs = _paragraphs(text)
    return _sentences(paragraphs[0])[0] if paragraphs else ""


def _headline(text: str, rng: Random) -> str:
    words = _first_sentence(text).split()[: rng.randint(7, 12)]
    return " ".join(words).rstrip(",;:")


# --- transformations: (original, copy) -> (original, copy, note), or None ---------------


@dataclass(frozen=True, slots=True)
class Context:
    vocabulary: tuple[str, ...]  # words to insert or substitute
    other_text: str  # another article (for a "Related:" line)


Transform = Callable[[str, str, Random, Context], tuple[str, str, str] | None]


def add_ads(original: str, copy: str, rng: Random, ctx: Context) -> tuple[str, str, str]:
    paragraphs = _paragraphs(copy)
    count = rng.randint(1, 3)
    gaps = list(range(1, len(paragraphs))) or [len(paragraphs)]
    for at in sorted((rng.choice(gaps) for _ in range(count)), reverse=True):
        paragraphs.insert(at, rng.choice(AD_LINES))
    return original, _join(paragraphs), f"{count} ad lines"


def change_boilerplate(original: str, copy: str, rng: Random, ctx: Context) -> tuple[str, str, str]:
    promo_a, promo_b = rng.sample(PROMO_LINES, 2)
    related = f"Related: {_headline(ctx.other_text, rng)}"
    if rng.random() < 0.5:
        return (
            f"{original}\n\n{promo_a}",
            f"{copy}\n\n{promo_b}\n\n{related}",
            "promo swapped, Related added",
        )
    return (
        f"{original}\n\n{promo_a}\n\n{related}",
        f"{copy}\n\n{promo_b}",
        "promo swapped, Related removed",
    )


def rewrap(original: str, copy: str, rng: Random, ctx: Context) -> tuple[str, str, str]:
    paragraphs = _paragraphs(copy)
    merges = splits = 0
    out: list[str] = []
    for paragraph in paragraphs:
        sentences = _sentences(paragraph)
        if out and rng.random() < 0.3:
            out[-1] = f"{out[-1]} {paragraph}"
            merges += 1
        elif len(sentences) > 1 and rng.random() < 0.4:
            cut = rng.randint(1, len(sentences) - 1)
            out += [" ".join(sentences[:cut]), " ".join(sentences[cut:])]
            splits += 1
        else:
            out.append(paragraph)
    width = rng.randint(60, 80)
    text = "\n\n".join(textwrap.fill(p, width) for p in out)
    return original, text, f"{merges} merged, {splits} split, wrapped at {width}"


def edit_sentences(original: str, copy: str, rng: Random, ctx: Context) -> tuple[str, str, str]:
    paragraphs = [_sentences(p) for p in _paragraphs(copy)]
    slots = [(i, j) for i, ss in enumerate(paragraphs) for j, s in enumerate(ss)]
    editable = [(i, j) for i, j in slots if len(paragraphs[i][j].split()) >= 6] or slots
    count = max(1, math.floor(EDIT_SHARE * len(slots)))
    ops: Counter[str] = Counter()
    for i, j in rng.sample(editable, min(count, len(editable))):
        sentence, op = _edit(paragraphs[i][j], rng, ctx.vocabulary)
        paragraphs[i][j] = sentence
        ops[op] += 1
    detail = ", ".join(f"{n} {op}" for op, n in sorted(ops.items()))
    text = _join([" ".join(ss) for ss in paragraphs])
    return original, text, f"{sum(ops.values())}/{len(slots)} sentences ({detail})"


def _edit(sentence: str, rng: Random, vocabulary: Sequence[str]) -> tuple[str, str]:
    op = rng.choice(("replace", "insert", "delete", "numbers"))
    if op == "numbers" and _NUMBER.search(sentence):
        return _NUMBER.sub(lambda m: str(rng.randint(2, 999)), sentence), op
    if op == "numbers":
        op = "replace"
    words = sentence.split()
    n = rng.randint(1, 3)
    for _ in range(n):
        at = rng.randrange(len(words))
        if op == "replace":
            words[at] = rng.choice(vocabulary)
        elif op == "insert":
            words.insert(at, rng.choice(vocabulary))
        elif len(words) > 3:
            del words[at]
    return " ".join(words), op


def cut_to_lead(original: str, copy: str, rng: Random, ctx: Context) -> tuple[str, str, str] | None:
    """The fewest first paragraphs with >= LEAD_MIN_WORDS article words (ad lines not
    counted); None when that lead would be the whole text."""
    paragraphs = _paragraphs(copy)
    total = _words(copy)
    for n in range(1, len(paragraphs)):
        words = _words(_join([p for p in paragraphs[:n] if p not in AD_LINES]))
        if words >= LEAD_MIN_WORDS:
            lead = _join(paragraphs[:n])
            return original, lead, f"lead {n}/{len(paragraphs)} paragraphs, {words}/{total} words"
    return None


def rewire(original: str, copy: str, rng: Random, ctx: Context) -> tuple[str, str, str] | None:
    """Dateline on one side; 1-2 last sentences of the copy trimmed, at most WIRE_TRIM of
    its words (one sentence when two would be more; None when even one is)."""
    paragraphs = [_sentences(p) for p in _paragraphs(copy)]
    total = _words(copy)
    for trim in range(rng.randint(1, 2), 0, -1):
        kept = [list(ss) for ss in paragraphs]
        for _ in range(trim):
            kept[-1].pop()
            if not kept[-1]:
                kept.pop()
            if not kept:
                break
        trimmed = _join([" ".join(ss) for ss in kept])
        if kept and total - _words(trimmed) <= WIRE_TRIM * total:
            break
    else:
        return None
    dateline = f"{rng.choice(DATELINES)} (Reuters) - "
    if rng.random() < 0.5:
        return original, dateline + trimmed, f"dateline added, {trim} sentences trimmed"
    return dateline + original, trimmed, f"dateline removed, {trim} sentences trimmed"


TRANSFORMS: dict[str, Transform] = {
    "ads": add_ads,
    "boilerplate": change_boilerplate,
    "rewrap": rewrap,
    "edits": edit_sentences,
    "wire": rewire,
    "lead": cut_to_lead,
}


# --- non-duplicates ---------------------------------------------------------------------


def tfidf_matrix(texts: Sequence[str]) -> np.ndarray:
    """Cosine similarities of the texts' unit TF-IDF word vectors, (1 + ln tf) * ln(N / df)
    with stopwords kept; the diagonal is set to -1 so a text is never its own neighbour."""
    counts = [Counter(normalise_text(t).split()) for t in texts]
    vocabulary = {w: n for n, w in enumerate(sorted({w for c in counts for w in c}))}
    tf = np.zeros((len(texts), len(vocabulary)))
    for row, c in enumerate(counts):
        for word, n in c.items():
            tf[row, vocabulary[word]] = 1 + math.log(n)
    df = (tf > 0).sum(axis=0)
    vectors = tf * np.log(len(texts) / df)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    scores: np.ndarray = vectors @ vectors.T
    np.fill_diagonal(scores, -1.0)
    return scores


def nearest(scores: np.ndarray, i: int, k: int) -> list[tuple[int, float]]:
    """The k most similar other texts to text i (ties: the lower index)."""
    order = sorted(range(len(scores)), key=lambda j: (-scores[i, j], j))
    return [(j, float(scores[i, j])) for j in order[:k] if j != i]


def _in_template(text: str, ads: Sequence[str], tail: Sequence[str]) -> str:
    """The text with an ad line after its first paragraph and in its middle, and a tail."""
    paragraphs = _paragraphs(text)
    middle = max(1, len(paragraphs) // 2)
    return _join(
        [*paragraphs[:1], ads[0], *paragraphs[1:middle], ads[1], *paragraphs[middle:], *tail]
    )


def non_duplicates(sources: Sequence[Source]) -> list[Pair]:
    texts = [s.text for s in sources]
    whole = tfidf_matrix(texts)
    leads = tfidf_matrix([_first_sentence(t) for t in texts])
    pairs: list[Pair] = []
    seen: set[tuple[int, int]] = set()

    def add(i: int, j: int, kind: str, a: str, b: str, note: str) -> None:
        key = (min(i, j), max(i, j))
        if i != j and key not in seen:
            seen.add(key)
            pairs.append(Pair(a, b, False, kind, f"{sources[i].id}/{sources[j].id} {note}"))

    for i in range(len(sources)):
        for j, score in nearest(whole, i, NEIGHBOURS):
            add(i, j, "tfidf_top2", texts[i], texts[j], f"cosine {score:.2f}")
    for i in range(len(sources)):
        for j, score in nearest(leads, i, 1):
            add(i, j, "lead_topic", texts[i], texts[j], f"first-sentence cosine {score:.2f}")
    for i in range(len(sources)):
        (j, score), *_ = nearest(whole, i, 1)
        first = _first_sentence(texts[i])
        rest = texts[j][len(_first_sentence(texts[j])) :].lstrip()
        other = f"{first} {rest}"
        share = _words(first) / min(_words(texts[i]), _words(other))
        if share > SHARED_LEAD_MAX:
            continue  # the first sentence is most of a text: that is a lead cut, not a negative
        note = f"cosine {score:.2f}, shared first sentence {share:.0%} of the shorter"
        # not deduplicated against the pairs above: the second text is a new one
        pairs.append(
            Pair(texts[i], other, False, "shared_lead", f"{sources[i].id}/{sources[j].id} {note}")
        )
    for i in range(len(sources)):
        rng = Random(f"{SEED}:{sources[i].id}:same_boilerplate")
        j = rng.choice([j for j in range(len(sources)) if j != i])
        ads = rng.sample(AD_LINES, 2)
        related = _headline(texts[rng.randrange(len(texts))], rng)
        tail = [rng.choice(PROMO_LINES), f"Related: {related}"]
        a, b = (_in_template(texts[k], ads, tail) for k in (i, j))
        pairs.append(Pair(a, b, False, "same_boilerplate", f"{sources[i].id}/{sources[j].id}"))
    for i in range(len(sources)):
        rng = Random(f"{SEED}:{sources[i].id}:random")
        others = [j for j in range(len(sources)) if j != i]
        for j in rng.sample(others, RANDOM_PER_SOURCE):
            add(i, j, "random", texts[i], texts[j], "")
    return pairs


# --- pairs ------------------------------------------------------------------------------


def duplicates(sources: Sequence[Source], skipped: Counter[str] | None = None) -> list[Pair]:
    skipped = skipped if skipped is not None else Counter()
    words = sorted({w for s in sources for w in normalise_text(s.text).split() if len(w) > 3})
    pairs: list[Pair] = []
    for i, source in enumerate(sources):
        other = sources[(i + 1 + len(source.text)) % len(sources)]
        if other.id == source.id:
            other = sources[(i + 1) % len(sources)]
        ctx = Context(tuple(words), other.text)
        combos: list[tuple[str, ...]] = [
            COMBOS[(COMBOS_PER_SOURCE * i + c) % len(COMBOS)] for c in range(COMBOS_PER_SOURCE)
        ]
        plans: list[tuple[str, ...]] = [(k,) for k in SINGLE_KINDS]
        plans += combos
        for plan in plans:
            kind = "+".join(plan)
            rng = Random(f"{SEED}:{source.id}:{kind}")
            state: tuple[str, str, str] | None = (source.text, source.text, "")
            notes = []
            for step in plan:
                assert state is not None
                state = TRANSFORMS[step](state[0], state[1], rng, ctx)
                if state is None:
                    break
                notes.append(state[2])
            if state is None:
                skipped[kind] += 1
                continue
            pairs.append(Pair(state[0], state[1], True, kind, f"{source.id} " + "; ".join(notes)))
    return pairs


def build_pairs(skipped: Counter[str] | None = None) -> list[Pair]:
    """True and false near-duplicate pairs from the AEB gold texts (deterministic)."""
    sources = load_sources()
    return duplicates(sources, skipped) + non_duplicates(sources)


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
        words = (_words(pair.a), _words(pair.b))
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
        words=sum(_words(t) for t in texts),
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
