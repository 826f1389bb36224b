"""Entity extraction quality on CoNLL-2003 English NER (test set, CoNLL++ corrections).

Compares, on the same documents and the same model run:

1. spaCy alone: ``load_model()(text).ents`` with PERSON -> PER, ORG -> ORG and
   GPE/LOC/FAC -> LOC (NORP and the other OntoNotes labels ignored);
2. spaCy with tagwire's rules: ``find_mentions("", text)``, kinds person -> PER,
   organization -> ORG, place -> LOC. The rules never move a span (a mention's offsets are
   the NER entity's); they drop mentions (datelines, agencies, portfolios, lone one-word
   names, unusable names), relabel some (person/place clashes, abbreviations) and add the
   demonyms (NORP "German" -> the place Germany), which CoNLL labels MISC.

Gold: the PER, ORG and LOC entities (MISC ignored, except to count predictions that land
on a MISC span). The main score is conlleval's: exact span and type, micro P/R/F1. Also
reported, clearly labelled: MISC-neutral (a prediction whose span is exactly a gold MISC
span is not counted), span-only (exact span, type ignored) and overlap (same type, spans
overlap by at least one character).

Text: one CoNLL article (``-DOCSTART-`` to the next) per call, so that partial names are
resolved with the whole article as context; tokens joined by spaces, sentences by a line
break (a CoNLL sentence is often a line: headline, byline, dateline). spaCy alone runs on
``"\\n\\n" + text``, exactly the string ``find_mentions`` gives the model, so that every
difference between the two is a rule's doing; offsets are shifted back by 2.

Speed: ``nlp(body)`` and ``find_mentions("", text)`` on the same texts, one process, each
text's fastest of ``--rounds`` runs; the overhead is the rules' share on top of the NLP
stage (goal: under 10%).

The data lives beside the repository (``../shared/data/conll2003-ner``, see PROVENANCE.md;
Reuters text, for internal evaluation only).

    python -m bench.ner_eval                 # all 231 test documents
    python -m bench.ner_eval --docs 60       # the first 60
    python -m bench.ner_eval --write         # also update docs/quality.md
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from bench.ner_data import (
    KIND_TYPES,
    PREFIX,
    QUALITY_DOC,
    SECTION,
    SPACY_TYPES,
    SYSTEMS,
    TYPES,
    Change,
    Document,
    Prediction,
    Raw,
    Results,
    Span,
    Speed,
    Tally,
    data_file,
    data_problem,
    group,
    load_documents,
)
from bench.ner_report import (
    changes_table,
    confusion_line,
    errors_table,
    group_table,
    section_markdown,
    speed_line,
    summary,
    variant_table,
)
from tagwire.entities.names import clean_name, is_agency, name_key, strip_titles
from tagwire.entities.ner import MAX_CHARS, find_mentions, load_model
from tagwire.types import EntityKind

# --- predictions ------------------------------------------------------------------------


def predict(doc: Document) -> Prediction:
    """spaCy alone and find_mentions on the same string the model sees in find_mentions."""
    body = PREFIX + doc.text
    assert len(body) <= MAX_CHARS, "find_mentions would cut this text: split it first"
    shift = len(PREFIX)
    raw = tuple(
        Raw(e.start_char - shift, e.end_char - shift, e.label_, e.text)
        for e in load_model()(body).ents
    )
    spacy = {(r.start, r.end): SPACY_TYPES[r.label] for r in raw if r.label in SPACY_TYPES}
    mentions = find_mentions("", doc.text)
    tagwire = {(m.start - shift, m.end - shift): KIND_TYPES[m.kind] for m in mentions}
    names = {(m.start - shift, m.end - shift): m.name for m in mentions}
    narrowed: dict[Span, str] = {}
    for m in mentions:
        start, end = m.start - shift, m.end - shift
        kind = "person" if m.kind is EntityKind.PERSON else m.kind.value
        name = clean_name(m.surface, kind)
        at = m.surface.find(name) if name else -1
        if name and at >= 0:  # whole tokens: "U.S." keeps its last dot ("U.S" is the name)
            stop = at + len(name)
            while stop < len(m.surface) and not m.surface[stop].isspace():
                stop += 1
            while at > 0 and not m.surface[at - 1].isspace():
                at -= 1
            start, end = start + at, start + stop
        narrowed[(start, end)] = KIND_TYPES[m.kind]
    return Prediction(raw, spacy, tagwire, names, narrowed)


# --- scoring ----------------------------------------------------------------------------


def _spans(entities: dict[Span, str], kind: str) -> set[Span]:
    return {span for span, t in entities.items() if t == kind}


def _overlap(a: Span, spans: Iterable[Span]) -> bool:
    return any(a[0] < b[1] and b[0] < a[1] for b in spans)


def _context(doc: Document, span: Span, width: int = 70) -> str:
    """The line the span is on, around the span, with the span in [brackets]."""
    line_start = doc.text.rfind("\n", 0, span[0]) + 1
    line_end = doc.text.find("\n", span[1])
    line_end = len(doc.text) if line_end < 0 else line_end
    left = doc.text[max(line_start, span[0] - width // 2) : span[0]]
    right = doc.text[span[1] : min(line_end, span[1] + width // 2)]
    return f"{left}[{doc.text[span[0] : span[1]]}]{right}".strip()


def _drop_reason(doc: Document, raw: Raw) -> str:
    """Which of find_mentions' rules dropped a mention spaCy found (diagnostics only: it
    repeats the rules' tests in their order, with ner's private helpers)."""
    from tagwire.entities import ner

    body = PREFIX + doc.text
    start, end = raw.start + len(PREFIX), raw.end + len(PREFIX)
    kind = ner._KINDS[raw.label]
    name = clean_name(raw.surface, kind.value)
    if name is None:
        return "dropped: no usable name (`clean_name`)"
    if any(s <= start < e for s, e in (m.span() for m in ner._CREDIT.finditer(body))):
        return "dropped: photo credit"
    if ner._is_dateline(body, start, end, 0):
        return "dropped: dateline (all-caps place at a line start)"
    if kind is not EntityKind.PERSON and ner._ROLE_AFTER.match(body, end):
        return "dropped: portfolio before Minister/Secretary/Chief"
    if kind is EntityKind.ORGANIZATION and is_agency(name):
        return "dropped: news agency"
    if any(s <= start < e for s, e in ner._list_lines(body)):
        return "dropped: only in a list of names (a line-up)"
    if kind is EntityKind.PERSON and len(name.split()) == 1:
        return "dropped: one-word person name seen once or fitting two people"
    return "dropped: other"


def _person_keys(raw: Iterable[Raw]) -> set[str]:
    """The name keys of the article's PERSON entities, as the clash rule sees them."""
    names = (clean_name(r.surface, "person") for r in raw if r.label == "PERSON")
    return {name_key(n) for n in names if n}


def _change_rule(
    raw: Raw, before: str | None, after: str | None, doc: Document, people: set[str]
) -> str:
    if before and after is None:
        return _drop_reason(doc, raw)
    if before and after == "PER":
        key = name_key(clean_name(raw.surface, "organization") or raw.surface)
        if key in people and len(key.split()) == 1:
            why = "spaCy also tagged the same one word PERSON"
        elif key in people:
            why = "the same full name is a PERSON elsewhere"
        else:
            why = "one word of a person's full name"
        return f"relabelled {before} -> PER (clash: {why})"
    if before and after == "ORG":
        return f"relabelled {before} -> ORG (abbreviation of an organisation)"
    if before and after:
        return f"relabelled {before} -> {after}"
    if raw.label == "NORP" and after == "LOC":
        return "added: demonym -> country (NORP -> LOC)"
    return f"added: {raw.label} -> {after}"


def change_added_fp(before: str | None, after: str | None, was: bool, now: bool) -> bool:
    return after is not None and not now and (before is None or was)


def evaluate(docs: Sequence[Document], examples: int = 4) -> Results:
    exact = {s: Tally() for s in SYSTEMS}
    neutral = {s: Tally() for s in SYSTEMS}
    span_only = {s: Tally() for s in SYSTEMS}
    overlap = {s: Tally() for s in SYSTEMS}
    confusion: dict[str, Counter[tuple[str, str]]] = {s: Counter() for s in SYSTEMS}
    by_group: dict[str, dict[str, Tally]] = {}
    group_docs: Counter[str] = Counter()
    changes: dict[str, Change] = {}
    errors: dict[str, Counter[str]] = defaultdict(Counter)
    error_examples: dict[str, list[str]] = defaultdict(list)
    gold_count: Counter[str] = Counter()
    resolved = persons = 0
    for doc in docs:
        pred = predict(doc)
        gold = {span: t for span, t in doc.gold.items() if t in TYPES}
        misc = _spans(doc.gold, "MISC")
        gold_count.update(doc.gold.values())
        group_docs[group(doc)] += 1
        tallies = by_group.setdefault(group(doc), {s: Tally() for s in SYSTEMS})
        systems = zip(SYSTEMS, (pred.spacy, pred.tagwire, pred.narrowed), strict=True)
        for system, predicted in systems:
            for kind in TYPES:
                g, p = _spans(gold, kind), _spans(predicted, kind)
                exact[system].add(kind, g, p)
                tallies[system].add(kind, g, p)
                neutral[system].add(kind, g, p - misc)
                hit = {s for s in p if _overlap(s, g)}
                found = {s for s in g if _overlap(s, p)}
                overlap[system].tp[kind] += len(hit)
                overlap[system].fp[kind] += len(p) - len(hit)
                overlap[system].fn[kind] += len(g) - len(found)
            span_only[system].add("any", set(gold), set(predicted))
            for span, t in predicted.items():
                if span in doc.gold and doc.gold[span] != t:
                    confusion[system][(t, doc.gold[span])] += 1
        _spacy_errors(doc, gold, pred.spacy, errors, error_examples, examples)
        people = _person_keys(pred.raw)
        for raw in pred.raw:
            span = (raw.start, raw.end)
            before, after = pred.spacy.get(span), pred.tagwire.get(span)
            if after == "PER" and before == "PER":
                persons += 1
                surface = clean_name(raw.surface, "person") or ""
                if len(surface.split()) == 1 and len(pred.names[span].split()) > 1:
                    resolved += 1
            if before == after:
                continue
            rule = _change_rule(raw, before, after, doc, people)
            change = changes.setdefault(rule, Change(rule))
            gold_kind = doc.gold.get(span)
            was, now = (
                before is not None and gold_kind == before,
                after is not None and gold_kind == after,
            )
            change.mentions += 1
            change.tp_lost += was and not now
            change.tp_gained += now and not was
            change.fp_removed += before is not None and not was and (after is None or now)
            change.fp_added += change_added_fp(before, after, was, now)
            change.gold[gold_kind or "none"] += 1
            hurt = (was and not now) or change_added_fp(before, after, was, now)
            helped = (now and not was) or (before is not None and not was and after is None)
            bucket = change.hurt if hurt else change.helped if helped else None
            if bucket is not None and len(bucket) < examples:
                bucket.append(f"`{_context(doc, span)}` (gold {gold_kind or 'none'})")
    return Results(
        docs=len(docs),
        words=sum(d.words for d in docs),
        gold=gold_count,
        exact=exact,
        misc_neutral=neutral,
        span_only=span_only,
        overlap=overlap,
        by_group=by_group,
        group_docs=group_docs,
        confusion=confusion,
        changes=changes,
        resolved=resolved,
        persons=persons,
        errors=dict(errors),
        error_examples=dict(error_examples),
    )


def _spacy_errors(
    doc: Document,
    gold: dict[Span, str],
    predicted: dict[Span, str],
    errors: dict[str, Counter[str]],
    examples: dict[str, list[str]],
    limit: int,
) -> None:
    """Each error of spaCy alone by kind: wrong type, wrong boundary, on a MISC span, a
    spurious span, or a missed one."""

    def note(kind: str, label: str, span: Span, gold_label: str) -> None:
        errors[kind][label] += 1
        if len(examples[kind]) < limit:
            examples[kind].append(f"`{_context(doc, span)}` ({label}, gold {gold_label})")

    for span, t in predicted.items():
        g = doc.gold.get(span)
        if g == t:
            continue
        if g == "MISC":
            note("prediction on a gold MISC span", t, span, g)
        elif g:
            note("wrong type, right span", t, span, g)
        elif _overlap(span, gold):
            kind = f"wrong boundary: {_boundary_cause(doc, span, gold)}"
            note(kind, t, span, "overlapping")
        else:
            note("spurious (no gold entity there)", t, span, "none")
    for span, g in gold.items():
        if span not in predicted and not _overlap(span, predicted):
            note("missed (no prediction overlaps)", g, span, g)


def _boundary_cause(doc: Document, span: Span, gold: dict[Span, str]) -> str:
    """Why a predicted span overlaps a gold entity without matching it."""
    text = doc.text[span[0] : span[1]]
    g = next(b for b in gold if span[0] < b[1] and b[0] < span[1])
    extra_left = doc.text[span[0] : g[0]] if span[0] < g[0] else ""
    extra_right = doc.text[g[1] : span[1]] if span[1] > g[1] else ""
    if "\n" in text:
        return "runs across a line break"
    if extra_right.strip() in ("'s", "'", "s"):
        return "possessive 's included"
    if extra_left and not strip_titles(extra_left.strip()):
        return "title or role included (Defender, President)"
    if extra_left.strip().lower() == "the":
        return "leading 'the' included"
    if any(c.isdigit() for c in extra_left + extra_right):
        return "numbers included (scores, tables)"
    if span[0] >= g[0] and span[1] <= g[1]:
        return "part of the gold entity"
    return "other"


# --- speed ------------------------------------------------------------------------------


def measure_speed(docs: Sequence[Document], rounds: int = 3) -> Speed:
    """Each text's fastest of ``rounds`` runs of nlp(body) and of find_mentions, the two
    taking turns text by text (their order alternating by round), summed over the texts."""
    nlp = load_model()
    nlp("warm up")
    bodies = [PREFIX + d.text for d in docs]
    best_nlp = [math.inf] * len(docs)
    best_rules = [math.inf] * len(docs)
    for round_ in range(rounds):
        for i, (doc, body) in enumerate(zip(docs, bodies, strict=True)):
            for which in (0, 1) if round_ % 2 == 0 else (1, 0):
                began = time.perf_counter()
                if which == 0:
                    nlp(body)
                else:
                    find_mentions("", doc.text)
                took = time.perf_counter() - began
                if which == 0:
                    best_nlp[i] = min(best_nlp[i], took)
                else:
                    best_rules[i] = min(best_rules[i], took)
    return Speed(len(docs), sum(d.words for d in docs), sum(best_nlp), sum(best_rules))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=None, help="first N documents (all)")
    parser.add_argument("--rounds", type=int, default=3, help="timing runs per text")
    parser.add_argument("--examples", type=int, default=4, help="examples per category")
    parser.add_argument("--write", action="store_true", help="update docs/quality.md")
    args = parser.parse_args(argv)
    problem = data_problem()
    if problem:
        print(f"no evaluation: {problem}")
        return 0
    from bench.report import machine, replace_section, revision

    measured = revision()  # before the run: the code imported is the code measured
    source = data_file()
    assert source is not None
    all_docs = load_documents(source)
    docs = all_docs[: args.docs] if args.docs else all_docs
    began = time.perf_counter()
    load_model()
    results = evaluate(docs, examples=args.examples)
    evaluated = time.perf_counter() - began
    speed = measure_speed(docs, rounds=args.rounds)
    print(f"{source.name}: {results.docs} of {len(all_docs)} documents, {results.words} words")
    print(f"evaluated in {evaluated:.1f} s (model load included)")
    print(summary(results))
    print()
    print(variant_table(results))
    print()
    print(group_table(results))
    print()
    print(changes_table(results))
    for change in sorted(results.changes.values(), key=lambda c: -c.mentions):
        print(f"\n{change.rule}:")
        for example in change.helped:
            print(f"  helped: {example}")
        for example in change.hurt:
            print(f"  hurt:   {example}")
    print()
    print(errors_table(results))
    for kind, examples in results.error_examples.items():
        print(f"\n{kind}:")
        for example in examples:
            print(f"  {example}")
    print(f"\nconfusion, spaCy alone: {confusion_line(results, 'spacy')}")
    print(f"confusion, with rules: {confusion_line(results, 'tagwire')}")
    print(f"\n{speed_line(speed)}")
    markdown = section_markdown(results, speed, source, len(all_docs), measured, machine())
    if args.write:
        if replace_section(QUALITY_DOC, SECTION, markdown):
            print(f"\nupdated the '{SECTION}' section of {QUALITY_DOC}")
        else:
            print(f"\n{QUALITY_DOC} does not exist: not written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
