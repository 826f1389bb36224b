"""CoNLL-2003 NER evaluation: the data (documents, gold spans), the types the scores are
kept in and the constants shared by bench/ner_eval.py and bench/ner_report.py."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tagwire.types import EntityKind

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2003-ner"
FILES = ("conllpp_test.txt", "eng.testb")  # CoNLL++ corrected test set first
QUALITY_DOC = Path(__file__).resolve().parents[1] / "docs" / "quality.md"
SECTION = "## Entities (NER)"
COMMAND = "python -m bench.ner_eval --write"
GOAL_OVERHEAD = 0.10  # the issue: resolution adds under 10% to the NLP stage's time
GATE_STEP = 3  # tests/test_quality_ner.py evaluates every GATE_STEP-th document

TYPES = ("PER", "ORG", "LOC")
SPACY_TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
KIND_TYPES = {
    EntityKind.PERSON: "PER",
    EntityKind.ORGANIZATION: "ORG",
    EntityKind.PLACE: "LOC",
}
PREFIX = "\n\n"  # find_mentions("", text) reads f"{''}\n\n{text}"

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Document:
    index: int  # 0-based, in file order
    text: str  # tokens joined by spaces, sentences by "\n"
    words: int  # CoNLL tokens
    gold: dict[Span, str]  # PER/ORG/LOC/MISC by character span in text


@dataclass(frozen=True, slots=True)
class Raw:
    """One spaCy entity, offsets in the document's text."""

    start: int
    end: int
    label: str
    surface: str


@dataclass(frozen=True, slots=True)
class Prediction:
    raw: tuple[Raw, ...]
    spacy: dict[Span, str]  # spaCy alone, mapped types
    tagwire: dict[Span, str]  # find_mentions, mapped kinds
    names: dict[Span, str]  # find_mentions' entity name per span
    narrowed: dict[Span, str]  # find_mentions, each span narrowed to the name it keeps


@dataclass(slots=True)
class Tally:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, gold: set[Span], predicted: set[Span]) -> None:
        self.tp[kind] += len(gold & predicted)
        self.fp[kind] += len(predicted - gold)
        self.fn[kind] += len(gold - predicted)

    def prf(self, kind: str | None = None) -> tuple[float, float, float]:
        """Precision, recall and F1 of one type, or micro-averaged over all (None)."""
        keys = [kind] if kind else list(self.tp | self.fp | self.fn)
        tp = sum(self.tp[k] for k in keys)
        fp = sum(self.fp[k] for k in keys)
        fn = sum(self.fn[k] for k in keys)
        return prf(tp, fp, fn)

    def f1(self, kind: str | None = None) -> float:
        return self.prf(kind)[2]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass(slots=True)
class Change:
    """What one rule did to the mentions of spaCy alone, scored against the gold."""

    rule: str
    mentions: int = 0
    tp_lost: int = 0  # a correct mention dropped or relabelled
    tp_gained: int = 0
    fp_removed: int = 0
    fp_added: int = 0
    gold: Counter[str] = field(default_factory=Counter)  # gold label at the span, or "none"
    helped: list[str] = field(default_factory=list)  # examples: TP gained or FP removed
    hurt: list[str] = field(default_factory=list)  # examples: TP lost or FP added


@dataclass(slots=True)
class Results:
    docs: int
    words: int
    gold: Counter[str]  # gold entities by type, MISC included
    exact: dict[str, Tally]  # by system
    misc_neutral: dict[str, Tally]
    span_only: dict[str, Tally]
    overlap: dict[str, Tally]
    by_group: dict[str, dict[str, Tally]]  # "sports" / "other" documents -> exact tallies
    group_docs: Counter[str]
    confusion: dict[str, Counter[tuple[str, str]]]  # (predicted, gold) on exact spans
    changes: dict[str, Change]
    resolved: int  # one-word person mentions named by a full name from the same article
    persons: int
    errors: dict[str, Counter[str]]  # spaCy-alone error kinds, by type of the error
    error_examples: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Speed:
    texts: int
    words: int
    nlp_seconds: float  # nlp(body), sum of each text's fastest run
    rules_seconds: float  # find_mentions("", text), the same

    @property
    def overhead(self) -> float:
        return self.rules_seconds / self.nlp_seconds - 1 if self.nlp_seconds else math.nan

    @property
    def nlp_wps(self) -> float:
        return self.words / self.nlp_seconds

    @property
    def rules_wps(self) -> float:
        return self.words / self.rules_seconds


SYSTEMS = ("spacy", "tagwire", "names")
SYSTEM_NAMES = {
    "spacy": "spaCy `en_core_web_sm` alone (ner only)",
    "tagwire": "spaCy + tagwire rules (`find_mentions`)",
    "names": "spaCy + tagwire rules, span narrowed to the name kept (not conlleval)",
}
# The first word of a CoNLL headline "SOCCER - JAPAN GET LUCKY WIN ..." names a sport.
SPORTS = frozenset(
    "soccer cricket rugby nhl nba nfl golf basketball badminton squash tennis boxing "
    "athletics cycling skiing alpine baseball football swimming motor horse racing "
    "speed skating formula volleyball handball".split()
)


# --- data -------------------------------------------------------------------------------


def data_file(folder: Path = DATA) -> Path | None:
    """The CoNLL++ test file, else the original test file, else None."""
    return next((folder / f for f in FILES if (folder / f).is_file()), None)


def data_problem(folder: Path = DATA) -> str | None:
    """Why the evaluation cannot run, or None."""
    if not folder.is_dir():
        return f"evaluation data {folder} is absent (it lives beside the repository)"
    if data_file(folder) is None:
        return f"neither of {', '.join(FILES)} is in {folder}"
    return None


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def parse_conll(lines: Iterable[str]) -> list[Document]:
    """Documents of a CoNLL-2003 file (``TOKEN POS CHUNK NER``), IOB1 or IOB2 tags: an
    entity starts at ``B-X`` or at an ``I-X`` that does not continue an X entity."""
    docs: list[Document] = []
    sentences: list[list[tuple[str, str]]] = []
    sentence: list[tuple[str, str]] = []

    def close_document() -> None:
        if sentence:
            sentences.append(list(sentence))
            sentence.clear()
        if sentences:
            docs.append(_document(len(docs), sentences))
            sentences.clear()

    for line in lines:
        columns = line.split()
        if not columns:
            if sentence:
                sentences.append(list(sentence))
                sentence.clear()
        elif columns[0] == "-DOCSTART-":
            close_document()
        else:
            sentence.append((columns[0], columns[-1]))
    close_document()
    return docs


def _document(index: int, sentences: list[list[tuple[str, str]]]) -> Document:
    parts: list[str] = []
    gold: dict[Span, str] = {}
    offset = 0
    words = 0
    for s, sentence in enumerate(sentences):
        if s:
            parts.append("\n")
            offset += 1
        current: list[int] | None = None  # [start, end] of the open entity
        current_type = ""
        for t, (token, tag) in enumerate(sentence):
            if t:
                parts.append(" ")
                offset += 1
            start, end = offset, offset + len(token)
            parts.append(token)
            offset = end
            words += 1
            prefix, _, kind = tag.partition("-")
            if prefix == "I" and current is not None and kind == current_type:
                current[1] = end
                continue
            if current is not None:
                gold[(current[0], current[1])] = current_type
                current = None
            if prefix in ("B", "I"):
                current, current_type = [start, end], kind
        if current is not None:
            gold[(current[0], current[1])] = current_type
    return Document(index, "".join(parts), words, gold)


def load_documents(path: Path | None = None, limit: int | None = None) -> list[Document]:
    path = path or data_file()
    if path is None:
        raise FileNotFoundError(data_problem() or "no CoNLL file")
    docs = parse_conll(path.read_text(encoding="utf-8").splitlines())
    return docs[:limit] if limit else docs


def group(doc: Document) -> str:
    """ "sports" for a sports report (results, tables, match reports), else "other"."""
    words = doc.text.split("\n", 1)[0].split(" - ", 1)[0].split()
    return (
        "sports"
        if " - " in doc.text.split("\n", 1)[0] and words and (words[0].lower() in SPORTS)
        else "other"
    )
