"""CoNLL-2003 NER evaluation: the tables and the docs/quality.md section written from
the scores of bench/ner_eval.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.ner_data import (
    COMMAND,
    GATE_STEP,
    GOAL_OVERHEAD,
    SECTION,
    SYSTEM_NAMES,
    SYSTEMS,
    TYPES,
    Change,
    Results,
    Speed,
    checksum,
    prf,
)


def _f(x: float) -> str:
    return f"{x:.3f}"


def score_table(results: Results) -> str:
    head = "| system | " + " | ".join(f"{t} P | {t} R | {t} F1" for t in TYPES)
    head += " | all P | all R | all F1 |"
    lines = [head, "|---" * (1 + 3 * (len(TYPES) + 1)) + "|"]
    for system in SYSTEMS:
        tally = results.exact[system]
        cells = [_f(x) for kind in (*TYPES, None) for x in tally.prf(kind)]
        lines.append(f"| {SYSTEM_NAMES[system]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def variant_table(results: Results) -> str:
    variants = (
        ("exact span and type (conlleval, the main score)", results.exact),
        ("exact span and type, MISC-neutral", results.misc_neutral),
        ("exact span, type ignored", results.span_only),
        ("overlap, same type", results.overlap),
    )
    lines = [
        "| match | spaCy alone P / R / F1 | + tagwire rules P / R / F1 "
        "| + rules, name span P / R / F1 |",
        "|---|---|---|---|",
    ]
    for label, tallies in variants:
        cells = [" / ".join(_f(x) for x in tallies[s].prf()) for s in SYSTEMS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def group_table(results: Results) -> str:
    lines = [
        "| documents | docs | spaCy alone F1 | + tagwire rules F1 | + rules, name span F1 |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, tallies in sorted(results.by_group.items(), reverse=True):
        cells = " | ".join(_f(tallies[s].f1()) for s in SYSTEMS)
        lines.append(f"| {name} | {results.group_docs[name]} | {cells} |")
    return "\n".join(lines)


def _f1_without(results: Results, change: Change) -> float:
    """tagwire's overall exact F1 had this rule's changes not been made."""
    tally = results.exact["tagwire"]
    tp = sum(tally.tp.values()) - change.tp_gained + change.tp_lost
    fp = sum(tally.fp.values()) - change.fp_added + change.fp_removed
    fn = sum(tally.fn.values()) + change.tp_gained - change.tp_lost
    return prf(tp, fp, fn)[2]


def changes_table(results: Results) -> str:
    f1 = results.exact["tagwire"].f1()
    lines = [
        "| what the rules did | mentions | TP lost | TP gained | FP removed | FP added "
        "| gold label at the span | tagwire F1 without it |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for change in sorted(results.changes.values(), key=lambda c: -c.mentions):
        gold = ", ".join(f"{k} {n}" for k, n in change.gold.most_common())
        without = _f1_without(results, change)
        lines.append(
            f"| {change.rule} | {change.mentions} | {change.tp_lost} | {change.tp_gained} "
            f"| {change.fp_removed} | {change.fp_added} | {gold} "
            f"| {without:.3f} ({without - f1:+.3f}) |"
        )
    return "\n".join(lines)


def confusion_line(results: Results, system: str, top: int = 6) -> str:
    pairs = results.confusion[system].most_common(top)
    return ", ".join(f"{p} for gold {g} {n}" for (p, g), n in pairs) or "none"


def errors_table(results: Results) -> str:
    lines = ["| spaCy-alone error | count | by type |", "|---|---:|---|"]
    for kind, counts in sorted(results.errors.items(), key=lambda kv: -sum(kv[1].values())):
        by_type = ", ".join(f"{t} {n}" for t, n in counts.most_common())
        lines.append(f"| {kind} | {sum(counts.values())} | {by_type} |")
    return "\n".join(lines)


def speed_line(speed: Speed) -> str:
    goal = "met" if speed.overhead < GOAL_OVERHEAD else "not met"
    return (
        f"{speed.texts} texts, {speed.words:,} words: `nlp(text)` {speed.nlp_wps:,.0f} words/s, "
        f"`find_mentions` {speed.rules_wps:,.0f} words/s; the rules add "
        f"{speed.overhead:+.1%} to the NLP stage's time (goal under {GOAL_OVERHEAD:.0%}: {goal})"
    )


def summary(results: Results) -> str:
    lines = []
    for system in SYSTEMS:
        p, r, f = results.exact[system].prf()
        per_type = ", ".join(f"{t} {results.exact[system].f1(t):.3f}" for t in TYPES)
        lines.append(f"{SYSTEM_NAMES[system]}: P {p:.3f} R {r:.3f} F1 {f:.3f} ({per_type})")
    return "\n".join(lines)


def _examples(results: Results) -> str:
    lines = []
    for change in sorted(results.changes.values(), key=lambda c: -c.mentions):
        shown = [f"helped {e}" for e in change.helped[:2]]
        shown += [f"hurt {e}" for e in change.hurt[:2]]
        if shown:
            lines.append(f"- {change.rule}: " + "; ".join(shown))
    return "\n".join(lines)


def section_markdown(
    results: Results, speed: Speed, source: Path, total_docs: int, measured: str, host: str
) -> str:
    gold = results.gold
    scope = (
        f"all {total_docs} documents"
        if results.docs == total_docs
        else f"the first {results.docs} of {total_docs} documents"
    )
    spacy_f1, rules_f1 = results.exact["spacy"].f1(), results.exact["tagwire"].f1()
    demonyms = next(
        (c for c in results.changes.values() if c.rule.startswith("added: demonym")), Change("")
    )
    return f"""{SECTION}

CoNLL-2003 English test set with the CoNLL++ label corrections (`{source.name}`, sha256
`{checksum(source)}`; `../shared/data/conll2003-ner/PROVENANCE.md`; Reuters 1996, internal
evaluation only), {scope}: {results.words:,} words; gold PER {gold["PER"]}, ORG
{gold["ORG"]}, LOC {gold["LOC"]} (MISC {gold["MISC"]}, not scored). One call per Reuters
article, so partial names resolve in context; tokens joined by spaces, sentences by line
breaks. spaCy alone: `en_core_web_sm` 3.8 (`ner` only, as `load_model()` loads it), PERSON ->
PER, ORG -> ORG, GPE/LOC/FAC -> LOC, NORP and the rest ignored. With the rules:
`find_mentions("", text)`, person/organization/place -> PER/ORG/LOC. Both read the same
string, so every difference is a rule's. Main score: exact span and type, micro-averaged
(conlleval). The third row is not conlleval: each mention's span narrowed to the name
tagwire keeps (title, possessive 's and a leading "the" cut off, whole tokens kept).

{score_table(results)}

The rules take F1 from {spacy_f1:.3f} to {rules_f1:.3f} ({rules_f1 - spacy_f1:+.3f}) on the main
score, which counts three of tagwire's choices as errors: demonyms as their country (CoNLL
says MISC), names only in line-ups and one-word names that fit two people in the article
(CoNLL says PER; tagwire makes no tag of them). The table below shows each rule's share.
Other ways to match (overall P / R / F1):

{variant_table(results)}

MISC-neutral: a prediction whose span is exactly a gold MISC span is not counted. Type
ignored: exact spans, any type. Overlap: a prediction is right when it overlaps a gold
entity of its type, a gold entity is found when a prediction of its type overlaps it.
By kind of article (exact F1; sports reports are mostly results tables, where CoNLL labels
teams named by their city or country ORG):

{group_table(results)}

For reference, CoNLL-trained taggers score 0.91-0.95 F1 on this file (PROVENANCE.md);
`en_core_web_sm` is trained on OntoNotes, whose types and span conventions differ.

What the rules change against spaCy alone (each mention once, under the first rule that
applies; "without it": tagwire's overall F1 had that one change not been made; a rule that
never fires here is not listed):

{changes_table(results)}

Demonyms: {demonyms.mentions} NORP mentions became their country ("Chinese keeper" ->
China); CoNLL labels {demonyms.gold["MISC"]} of them MISC, so each is a false LOC in the
main score, by design (the MISC-neutral row leaves them out). Datelines and agencies are
also dropped by design (where the story was filed and who filed it are not its topics);
CoNLL labels them LOC and ORG. Partial names: {results.resolved} of {results.persons} person
mentions kept as PER were one word named by a full name from the same article (CoNLL has
no links, so the resolution itself is not scored). Wrong types on exact spans, spaCy alone:
{confusion_line(results, "spacy")}; with the rules: {confusion_line(results, "tagwire")}.

Examples (the span in brackets, gold label after it):

{_examples(results)}

Errors of spaCy alone, before any rule (a boundary error: the span overlaps a gold entity
of any type without matching it):

{errors_table(results)}

Speed: {speed_line(speed)}. One process; each text's fastest of the runs, the two calls
taking turns text by text.

Measured {datetime.now(UTC).date()} on tagwire at {measured}, {host}, with `{COMMAND}`.
Quality gate: `tests/test_quality_ner.py` (one document in {GATE_STEP}, pinned F1 floors,
rules overhead under 25%).
"""
