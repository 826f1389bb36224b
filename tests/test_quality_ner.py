"""Entities: a quality gate for spaCy + tagwire's rules (``find_mentions``) on CoNLL-2003
English (CoNLL++ test set, bench/ner_eval.py), and a check of the rules' cost."""

from __future__ import annotations

import pytest

from bench.ner_data import (
    GATE_STEP,
    TYPES,
    Document,
    Results,
    checksum,
    data_file,
    load_documents,
    parse_conll,
)
from bench.ner_eval import evaluate, measure_speed
from bench.ner_report import speed_line, summary
from conftest import shared_data

CONLLPP_CHECKSUM = "4eb3b5114787d0df"  # sha256[:16] of conllpp_test.txt
# Measured on one document in GATE_STEP (77 of 231 documents, 15,791 words), exact span
# and type: spaCy alone 0.600 (PER 0.655, ORG 0.362, LOC 0.767); with tagwire's rules
# 0.598 (PER 0.681, ORG 0.351, LOC 0.742). Floors: measured - 0.01, rounded down.
# LOC is scored lower than spaCy's own on purpose: demonyms count as their country (the
# product's rule), and CoNLL labels them MISC, so each "German" is a false LOC here. Names
# only in a line-up are not tags, and CoNLL's sports pages score them as missed PER.
F1_FLOORS = {"all": 0.58, "PER": 0.68, "ORG": 0.33, "LOC": 0.70}
# The goal is under 10% (measured about +2%, docs/quality.md); the gate is generous
# because timings on a shared machine are noisy.
MAX_OVERHEAD = 0.25

IOB1 = """\
-DOCSTART- -X- O O

Lara NNP I-NP I-PER
met VBD I-VP O
New NNP I-NP I-LOC
York NNP I-NP I-LOC
Yankees NNPS I-NP I-ORG
and CC O O
West NNP I-NP I-ORG
Indies NNP I-NP I-ORG
Brian NNP I-NP I-PER
Lara NNP I-NP B-PER

-DOCSTART- -X- O O

German JJ I-NP I-MISC
"""

IOB2 = """\
-DOCSTART- -X- O O

Lara NNP I-NP B-PER
met VBD I-VP O
New NNP I-NP B-LOC
York NNP I-NP I-LOC
Yankees NNPS I-NP B-ORG
and CC O O
West NNP I-NP B-ORG
Indies NNP I-NP I-ORG
Brian NNP I-NP B-PER
Lara NNP I-NP B-PER

-DOCSTART- -X- O O

German JJ I-NP B-MISC
"""


def _entities(doc: Document) -> list[tuple[str, str]]:
    return [(doc.text[a:b], t) for (a, b), t in sorted(doc.gold.items())]


def test_iob1_and_iob2_files_give_the_same_entities() -> None:
    one, two = parse_conll(IOB1.splitlines()), parse_conll(IOB2.splitlines())
    assert [d.text for d in one] == [d.text for d in two]
    assert [d.gold for d in one] == [d.gold for d in two]
    assert len(one) == 2 and one[0].words == 10
    assert _entities(one[0]) == [
        ("Lara", "PER"),
        ("New York", "LOC"),
        ("Yankees", "ORG"),
        ("West Indies", "ORG"),
        ("Brian", "PER"),
        ("Lara", "PER"),
    ]
    assert _entities(one[1]) == [("German", "MISC")]


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    folder = shared_data("conll2003-ner")
    path = data_file(folder)
    if path is None:
        pytest.skip(f"no CoNLL-2003 test file in {folder}")
    if path.name != "conllpp_test.txt":
        pytest.skip(f"the floors were measured on conllpp_test.txt, only {path.name} is there")
    assert checksum(path) == CONLLPP_CHECKSUM, "evaluation data changed: re-measure"
    return load_documents(path)[::GATE_STEP]


@pytest.fixture(scope="module")
def results(documents: list[Document]) -> Results:
    return evaluate(documents)


def test_ner_quality_gate(results: Results) -> None:
    print(f"\n{results.docs} documents, {results.words} words, gold {dict(results.gold)}")
    print(summary(results))
    for change in sorted(results.changes.values(), key=lambda c: -c.mentions):
        print(
            f"  {change.rule}: {change.mentions} mentions, TP -{change.tp_lost} "
            f"+{change.tp_gained}, FP -{change.fp_removed} +{change.fp_added}"
        )
    assert results.docs == 77 and sum(results.gold[t] for t in TYPES) == 1890
    rules = results.exact["tagwire"]
    assert rules.f1() >= F1_FLOORS["all"]
    for kind in TYPES:
        assert rules.f1(kind) >= F1_FLOORS[kind], kind


def test_resolution_adds_little_to_the_nlp_stage(documents: list[Document]) -> None:
    speed = measure_speed(documents, rounds=3)
    print(f"\n{speed_line(speed)}")
    assert speed.overhead < MAX_OVERHEAD
