"""Evaluation metrics shared by the benchmarks and the quality gates in tests/."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    words = _TOKEN.findall(text)
    return Counter(tuple(words[i : i + size]) for i in range(max(0, len(words) - size + 1)))


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    pages: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def extraction_score(pairs: list[tuple[str, str]]) -> Score:
    """The article-extraction-benchmark metric: per page, tp/fp/fn over multisets of
    4-token shingles; precision and recall averaged over pages (each page weighs equally)."""
    precisions, recalls = [], []
    for gold, predicted in pairs:
        g, p = shingles(gold), shingles(predicted)
        tp = sum((g & p).values())
        fp = sum(p.values()) - tp
        fn = sum(g.values()) - tp
        if tp + fp:
            precisions.append(tp / (tp + fp))
        elif not g:
            precisions.append(1.0)
        if tp + fn:
            recalls.append(tp / (tp + fn))
    return Score(sum(precisions) / len(precisions), sum(recalls) / len(recalls), len(pairs))


@dataclass(frozen=True)
class AebPage:
    id: str
    url: str
    html: bytes
    gold: str


def aeb_pages(folder: Path) -> Iterator[AebPage]:
    truth = json.loads((folder / "ground-truth.dev.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        yield AebPage(page_id, truth[page_id]["url"], html, truth[page_id]["articleBody"])


def aeb_checksum(folder: Path) -> str:
    """Fingerprint of the page ids and gold texts, so the data cannot drift unnoticed."""
    truth = (folder / "ground-truth.dev.json").read_bytes()
    return hashlib.sha256(truth).hexdigest()[:16]


def evaluate_extraction(folder: Path, extract: Callable[[bytes, str], str]) -> Score:
    return extraction_score([(p.gold, extract(p.html, p.url)) for p in aeb_pages(folder)])
