"""Companies the article itself proves to be companies, found in full.

The small English model misses many one-word company names ("Twitter also released...",
"Uber", "SpaceX") and reads some as people ("Twitter CEO Jack Dorsey"). A title only a
company gives, written right after the name, proves it; every other whole-word occurrence
of a proven name in the article is then a mention too, so that a company named three times
counts three times. Only proven names are counted so: counting every further occurrence of
every name raised products and headings as much as companies (docs/quality.md).
"""

from __future__ import annotations

import re
from dataclasses import replace

from tagwire.types import EntityKind, Mention

ORG = EntityKind.ORGANIZATION

# Titles and words only a company has right after its name ("Twitter CEO Jack Dorsey",
# "Salesforce co-founder", "Ascom's shareholders"); "spokesperson" and "president" are not
# among them: a person has those too ("Trump spokesman").
COMPANY_ROLE_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:CEO|COO|CFO|CTO|co-?founders?|founders?|chief executive|shareholders|"
    r"stock price|share price)\b",
    re.IGNORECASE,
)


def proven_company(body: str, end: int) -> bool:
    """Whether the name ending at ``end`` is followed by a title only a company gives."""
    return COMPANY_ROLE_AFTER.match(body, end) is not None


def every_mention_of_proven(body: str, title_end: int, mentions: list[Mention]) -> list[Mention]:
    """The mentions, plus every whole-word occurrence of a one-word organisation name that a
    company's title proves, where no mention is already."""
    proven = {
        m.name: m
        for m in mentions
        if m.kind is ORG and " " not in m.name and proven_company(body, m.end)
    }
    if not proven:
        return mentions
    taken = [(m.start, m.end) for m in mentions]
    added = []
    for name, model in proven.items():
        for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", body):
            start, end = match.span()
            if any(a < end and start < b for a, b in taken):
                continue
            taken.append((start, end))
            added.append(
                replace(model, surface=name, start=start, end=end, in_title=start < title_end)
            )
    return sorted(mentions + added, key=lambda m: m.start)
