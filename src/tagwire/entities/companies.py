"""Organisations the article itself proves to be organisations, found in full.

The small English model misses many one-word company names ("Twitter also released...",
"SpaceX") and reads some as people ("Twitter CEO Jack Dorsey"). A person's role in one
written beside its name ("Twitter CEO", "CEO of Take-Two"), or a list beside an
organisation that says it is one ("Blue Origin, Sierra Nevada Corporation and SpaceX"),
proves it; every other whole-word occurrence of a proven name in the article is then a
mention too, so that a company named three times counts three times. Only proven names are
counted so: counting every further occurrence of every name raised products and headings
as much as companies (docs/quality.md).

Also the forms of one company in one article: its legal suffix, group word, region or web
address ("Acme Corp.", "Alibaba Group", "Edmunds.com" for "Acme", "Alibaba", "Edmunds"), and
a group's plural ("the Doobies" for "the Doobie Brothers").
"""

from __future__ import annotations

import re
from dataclasses import replace

from tagwire.entities.knowledge import (
    is_broad_place,
    is_frequent_word,
    organisation_evidence,
    without_legal_suffix,
)
from tagwire.entities.names import name_key, written_at
from tagwire.entities.places import country_of
from tagwire.types import EntityKind, Mention

ORG, PERSON = EntityKind.ORGANIZATION, EntityKind.PERSON

# Titles only a company gives ("Twitter CEO Jack Dorsey", "Salesforce co-founder");
# "spokesperson" and "president" are not among them: a person has those too ("Trump
# spokesman").
_COMPANY_TITLES = r"CEO|COO|CFO|CTO|co-?founders?|founders?|chief executive"
# What only a company has right after its name: those titles, its shareholders, its stock.
COMPANY_ROLE_AFTER = re.compile(
    rf"(?:['’]s)?\s+(?:{_COMPANY_TITLES}|shareholders|stock price|share price)\b",
    re.IGNORECASE,
)


# Of a name the model already calls an organisation, the roles a person holds in one prove
# it, after the name ("Edmunds' executive director") or before it ("CEO of Take-Two").
_ROLES = (
    rf"{_COMPANY_TITLES}|executive director|director|president|chairman|chairwoman|"
    r"spokesperson|spokesman|spokeswoman|employees|executives"
)
_ROLE_AFTER = re.compile(rf"(?:['’]s?)?\s+(?:{_ROLES})\b", re.IGNORECASE)
_ROLE_BEFORE = re.compile(rf"\b(?:{_ROLES}) (?:of|at) (?:the )?$", re.IGNORECASE)


def proven_company(body: str, end: int) -> bool:
    """Whether the name ending at ``end`` is followed by a title only a company gives."""
    return COMPANY_ROLE_AFTER.match(body, end) is not None


def _proven_organisation(body: str, name: str) -> bool:
    """Whether a person's role in it is written right after or before the name, wherever the
    article writes it (the model may have read "SoftBank CEO Masayoshi Son" as one name and
    found "SoftBank" only further on)."""
    return any(
        _ROLE_AFTER.match(body, end) or _ROLE_BEFORE.search(body, max(0, start - 40), start)
        for start, end in written_at(body, name)
    )


def companies_in_full(
    body: str, title_end: int, mentions: list[Mention], lower_words: frozenset[str]
) -> list[Mention]:
    """The mentions, with the organisations a list proves (``listed_with_organisations``),
    and every further whole-word occurrence of a proven organisation's name where no
    mention is already: proven by a person's role in it, or by a list."""
    mentions, listed = listed_with_organisations(body, title_end, mentions, lower_words)
    single = {m.name for m in mentions if m.kind is ORG and " " not in m.name}
    titled = {name for name in single if _proven_organisation(body, name)}
    return _every_mention(body, title_end, mentions, titled | listed)


def _every_mention(
    body: str, title_end: int, mentions: list[Mention], names: set[str]
) -> list[Mention]:
    first = {m.name: m for m in reversed(mentions) if m.name in names and m.kind is ORG}
    if not first:
        return mentions
    taken = [(m.start, m.end) for m in mentions]
    added = []
    for name, model in first.items():
        for start, end in written_at(body, name):
            if any(a < end and start < b for a, b in taken):
                continue
            taken.append((start, end))
            added.append(
                replace(model, surface=name, start=start, end=end, in_title=start < title_end)
            )
    return sorted(mentions + added, key=lambda m: m.start)


# A capitalised name of one to four words ("Sierra Nevada Corporation", "SpaceX", "Lyft").
_NAME = r"[A-Z][\w&+'’-]*(?: [A-Z][\w&+'’-]*){0,3}"
# Names in a list: "A, B and C", "A and B", "A or B" (commas, "and", "or", "&").
_LIST = re.compile(rf"{_NAME}(?:(?:,\s+|,?\s+(?:and|or|&)\s+){_NAME})+")
_ITEM = re.compile(_NAME)


def listed_with_organisations(
    body: str, title_end: int, mentions: list[Mention], lower_words: frozenset[str]
) -> tuple[list[Mention], set[str]]:
    """Names the model missed in a list beside an organisation that says it is one ("Blue
    Origin, Sierra Nevada Corporation and SpaceX"): a list names things of one kind, so a
    name in it that no mention covers and that is no common word is an organisation too.
    A name the model alone calls an organisation is no such proof: products are listed
    with products ("Siri, Alexa and Google Assistant"). Only the text's lists (a headline's
    title case makes lists of any words). Also the names of the organisations in such
    lists, proven so."""
    orgs = {
        (m.start, m.end)
        for m in mentions
        if m.kind is ORG and m.start >= title_end and organisation_evidence(m.surface)
    }
    if not orgs:
        return mentions, set()
    covered = [(m.start, m.end) for m in mentions]
    names = {(m.start, m.end): m.name for m in mentions if m.kind is ORG}
    added: list[Mention] = []
    proven: set[str] = set()
    for found in _LIST.finditer(body, title_end):
        items = [i.span() for i in _ITEM.finditer(body, found.start(), found.end())]
        if not any(span in orgs for span in items):
            continue
        proven.update(names[span] for span in items if span in names)
        for start, end in items:
            start += _sentence_word(body[start:end], lower_words)
            name = body[start:end]
            if start == end or any(a < end and start < b for a, b in covered):
                continue
            if _common_words(name, lower_words) and not organisation_evidence(name):
                continue  # "January", "Current": words before they are names
            covered.append((start, end))
            added.append(Mention(name, name, ORG, start, end, False))
            proven.add(name)
    return sorted(mentions + added, key=lambda m: m.start), proven


def _sentence_word(item: str, lower_words: frozenset[str]) -> int:
    """How many characters of the item are a sentence's first word the article writes in
    lower case elsewhere ("As" of "As Uber"): not part of the name."""
    first, _, rest = item.partition(" ")
    return len(first) + 1 if rest and first.lower() in lower_words else 0


def _common_words(name: str, lower_words: frozenset[str]) -> bool:
    return all(w.lower() in lower_words or is_frequent_word(w) for w in name.split())


def company_forms(mentions: list[Mention]) -> list[Mention]:
    """ "Acme Corp." -> "Acme"; "Alibaba Group", "Ascom North America" or "Edmunds.com" ->
    "Alibaba", "Ascom", "Edmunds" when the shorter name is an organisation of the same
    article."""
    shorter = {
        name_key(m.name): m.name for m in mentions if m.kind is ORG and len(m.name.split()) <= 3
    }
    out = []
    for m in mentions:
        if m.kind is ORG:
            base = without_legal_suffix(m.name)
            if base != m.name:
                m = replace(m, name=base)
            site = _DOMAIN_END.sub("", m.name)
            if site != m.name and name_key(site) in shorter:
                m = replace(m, name=shorter[name_key(site)])  # "Edmunds.com" -> "Edmunds"
            words = m.name.split()
            for n in range(len(words) - 1, 0, -1):
                head = name_key(" ".join(words[:n]))
                if head in shorter and is_affiliate_tail(words[n:]):
                    m = replace(m, name=shorter[head], kind=ORG)
                    break
        out.append(m)
    return out


def plurals_of_groups(mentions: list[Mention]) -> list[Mention]:
    """ "the Doobies" for "the Doobie Brothers": the plural of a group's first word, where the
    group's name ends in a plural ("Brothers", "Sisters", "Boys"), is the group."""
    groups = {
        m.name.split()[0] + "s": m.name
        for m in mentions
        if m.kind is ORG and len(m.name.split()) > 1 and m.name.endswith("s")
    }
    return [
        replace(m, name=groups[m.name], kind=ORG)
        if m.name in groups and m.kind is not PERSON
        else m
        for m in mentions
    ]


_DOMAIN_END = re.compile(r"\.(?:com|org|net|io|co\.uk)$", re.IGNORECASE)
_AFFILIATE = frozenset(
    "group holdings holding company co corp inc plc international global airline airlines "
    "airways motors motor foundation bank capital partners label records entertainment".split()
)


def is_affiliate_tail(words: list[str]) -> bool:
    """The rest of a company's name that leaves it the same company: a group word, or a
    country or region ("North America", "Philippines")."""
    tail = " ".join(words)
    return (
        all(name_key(w).strip(".,") in _AFFILIATE for w in words)
        or country_of(tail) is not None
        or is_broad_place(tail)
        or (len(words) == 1 and organisation_evidence(tail))
    )
