"""The pairs bench/dedup_eval.py scores: the AEB gold texts, the transformations that
make a duplicate of one, and the pairs of different texts that are not duplicates
(what each kind does and why: the docstring of bench/dedup_eval.py)."""

from __future__ import annotations

import itertools
import json
import math
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random

import numpy as np

from tagwire.dedup.exact import normalise_text
from tagwire.dedup.near import (
    MIN_WORDS,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AEB = DATA / "article-extraction-aeb" / "ground-truth.dev.json"
TRAFILATURA = DATA / "trafilatura-eval" / "evaldata.dev.json"
SEED = 20251127

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
    return [s for s in sources if count_words(s.text) >= MIN_WORDS]


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


def count_words(text: str) -> int:
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
    total = count_words(copy)
    for n in range(1, len(paragraphs)):
        words = count_words(_join([p for p in paragraphs[:n] if p not in AD_LINES]))
        if words >= LEAD_MIN_WORDS:
            lead = _join(paragraphs[:n])
            return original, lead, f"lead {n}/{len(paragraphs)} paragraphs, {words}/{total} words"
    return None


def rewire(original: str, copy: str, rng: Random, ctx: Context) -> tuple[str, str, str] | None:
    """Dateline on one side; 1-2 last sentences of the copy trimmed, at most WIRE_TRIM of
    its words (one sentence when two would be more; None when even one is)."""
    paragraphs = [_sentences(p) for p in _paragraphs(copy)]
    total = count_words(copy)
    for trim in range(rng.randint(1, 2), 0, -1):
        kept = [list(ss) for ss in paragraphs]
        for _ in range(trim):
            kept[-1].pop()
            if not kept[-1]:
                kept.pop()
            if not kept:
                break
        trimmed = _join([" ".join(ss) for ss in kept])
        if kept and total - count_words(trimmed) <= WIRE_TRIM * total:
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
        share = count_words(first) / min(count_words(texts[i]), count_words(other))
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
