"""Entity resolution on the hand-written case set (bench/data/resolution_cases.toml).

Every rule of the hashtag issue has positive and negative cases; each case runs through the
function that decides it (texts through the real spaCy model, cross-article cases through a
real SQLite store). Prints a table per rule and the failures; ``--write`` puts them in
docs/quality.md. The CI gate is tests/test_quality_resolution.py.

    python -m bench.resolution_eval [--write]
"""

from __future__ import annotations

import argparse
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import replace_section
from tagwire.entities.hashtags import slugify
from tagwire.entities.names import clean_name, entity_key, resolve_partials, same_person
from tagwire.entities.ner import find_mentions
from tagwire.entities.places import canonical_place, demonym_country
from tagwire.ingest.writer import writing
from tagwire.language import detect_language

CASES = Path(__file__).parent / "data" / "resolution_cases.toml"
QUALITY = Path(__file__).parent.parent / "docs" / "quality.md"
HEADING = "## Entity resolution"


@dataclass
class Rule:
    name: str
    cases: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.passed / self.cases if self.cases else 1.0


def load(path: Path = CASES) -> dict[str, list[dict[str, Any]]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def evaluate(cases: dict[str, list[dict[str, Any]]]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    checks: dict[str, Callable[[dict[str, Any]], tuple[str, bool, str]]] = {
        "title": _title,
        "partial": _partial,
        "same": _same,
        "place": _place,
        "slug": _slug,
        "text": _text,
    }
    for section, check in checks.items():
        for case in cases.get(section, []):
            name, ok, what = check(case)
            _tally(rules, name, ok, what)
    for name, ok, what in _store_cases(cases.get("store", [])):
        _tally(rules, name, ok, what)
    return rules


def _tally(rules: dict[str, Rule], name: str, ok: bool, what: str) -> None:
    rule = rules.setdefault(name, Rule(name))
    rule.cases += 1
    rule.passed += ok
    if not ok:
        rule.failures.append(what)


def _title(case: dict[str, Any]) -> tuple[str, bool, str]:
    kind = case.get("kind", "person")
    got = clean_name(case["raw"], kind) or ""
    removed = kind == "person" and case["name"] and case["raw"] != case["name"]
    rule = "titles removed" if removed else "titles: other names kept or refused as they are"
    return rule, got == case["name"], f"{case['raw']!r} -> {got!r}, want {case['name']!r}"


def _partial(case: dict[str, Any]) -> tuple[str, bool, str]:
    got = resolve_partials(case["names"]).get(case["mention"], "")
    rule = "surname resolved in the article" if case["expect"] else "surname left unresolved"
    return rule, got == case["expect"], f"{case['names']} {case['mention']!r} -> {got!r}"


def _same(case: dict[str, Any]) -> tuple[str, bool, str]:
    kind = case.get("kind", "person")
    a, b = case["a"], case["b"]
    got = entity_key(a, kind) == entity_key(b, kind) or (kind == "person" and same_person(a, b))
    rule = "one entity across articles" if case["same"] else "different entities"
    return rule, got == case["same"], f"{a!r} / {b!r}: same={got}, want {case['same']}"


def _place(case: dict[str, Any]) -> tuple[str, bool, str]:
    if "demonym" in case:
        got = demonym_country(case["demonym"]) or ""
        rule = "demonyms" if case["expect"] else "demonyms: not one"
        return rule, got == case["expect"], f"{case['demonym']!r} -> {got!r}"
    got = canonical_place(case["written"])
    rule = "country aliases" if case["written"] != case["expect"] else "places kept as written"
    return rule, got == case["expect"], f"{case['written']!r} -> {got!r}, want {case['expect']!r}"


def _slug(case: dict[str, Any]) -> tuple[str, bool, str]:
    got = slugify(case["name"])
    return "slugs", got == case["slug"], f"{case['name']!r} -> {got!r}, want {case['slug']!r}"


def _text(case: dict[str, Any]) -> tuple[str, bool, str]:
    language = detect_language(case["title"], case["text"], "en")
    mentions = find_mentions(case["title"], case["text"], case.get("author"), language)
    names = {m.name for m in mentions}
    missing = [n for n in case["tags"] if n not in names]
    wrong = [n for n in case["not_tags"] if n in names]
    what = f"{case['title']!r}: missing {missing}, unwanted {wrong} (got {sorted(names)})"
    return f"text: {case['rule']}", not missing and not wrong, what


def _store_cases(cases: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
    from tagwire.store import Store

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, case in enumerate(cases):
            store = Store(f"sqlite:///{Path(tmp) / f'{n}.db'}")
            ids: dict[str, int] = {}
            slugs: list[str] = []
            for written in case["names"]:
                kind, _, name = written.rpartition(":")
                with writing(store) as w:
                    ids[name] = w.entity_id(name, kind or "person")
                slugs.append(store.entity_by_id(ids[name]).slug)
            ok = True
            if "groups" in case:
                got = sorted(sorted(n for n in ids if ids[n] == i) for i in set(ids.values()))
                ok = got == sorted(sorted(g) for g in case["groups"])
                what = f"{case['names']}: groups {got}, want {case['groups']}"
            if "slugs" in case:
                ok = ok and slugs == case["slugs"]
                what = f"{case['names']}: slugs {slugs}, want {case['slugs']}"
            results.append((f"store: {case['rule']}", ok, what))
            store.close()
    return results


def markdown(rules: dict[str, Rule]) -> str:
    total = sum(r.cases for r in rules.values())
    passed = sum(r.passed for r in rules.values())
    lines = [
        HEADING,
        "",
        f"`python -m bench.resolution_eval`: {total} cases written for tagwire "
        "(`bench/data/resolution_cases.toml`), positives and negatives for every rule of "
        "the hashtag issue; whole texts through the real spaCy model, cross-article cases "
        f"through a real SQLite store. Passed {passed} of {total}.",
        "",
        "| rule | cases | passed |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.cases} | {r.passed} |"
        for r in sorted(rules.values(), key=lambda r: r.name)
    ]
    failures = [f"- {r.name}: {f}" for r in rules.values() for f in r.failures]
    if failures:
        lines += [
            "",
            "Failures (known limits, kept in the set so that a fix shows):",
            "",
            *failures,
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/quality.md")
    args = parser.parse_args()
    text = markdown(evaluate(load()))
    print(text)
    if args.write:
        replace_section(QUALITY, HEADING, text)


if __name__ == "__main__":
    main()
