"""What a reader types into the search box, read into a query both backends run safely.

The syntax is the one search engines taught everybody: words (all must match), "quoted
phrases", OR between two alternatives, -word to exclude, word* for a prefix. Anything else
typed is a word or ignored: an unbalanced quote or parenthesis, operators of another
engine, other scripts. Nothing a user types reaches SQL as syntax: SQLite gets an FTS5
expression built only of quoted strings, PostgreSQL a websearch_to_tsquery string (which
never fails). Errors are BadRequest with a message a reader understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tagwire.errors import BadRequest

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# A phrase in quotes, or a run of characters that are not space or quote.
_TOKEN = re.compile(r'"([^"]*)"?|([^\s"]+)')
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]  # one word, or the words of a phrase
    prefix: bool = False
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Groups are ANDed; the terms of a group are ORed (``a OR b c`` = (a | b) & c)."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]
    text: str  # as typed, trimmed

    def fts5(self) -> str:
        """An SQLite FTS5 MATCH expression: only quoted strings and operators we wrote."""
        ands = [
            "(" + " OR ".join(_fts5_term(t) for t in group) + ")"
            if len(group) > 1
            else _fts5_term(group[0])
            for group in self.groups
        ]
        expression = " AND ".join(ands)
        if self.excluded:
            expression += " NOT (" + " OR ".join(_fts5_term(t) for t in self.excluded) + ")"
        return expression

    def websearch(self) -> str:
        """The same query for PostgreSQL's websearch_to_tsquery."""
        parts = [
            " or ".join(_web_term(t) for t in group) if len(group) > 1 else _web_term(group[0])
            for group in self.groups
        ]
        parts += ["-" + _web_term(t) for t in self.excluded]
        return " ".join(parts)


def parse_query(raw: str | None) -> SearchQuery:
    text = " ".join((raw or "").split())
    if not text:
        raise BadRequest("q: type something to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"q: a search is at most {MAX_QUERY_CHARS} characters")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in _TOKEN.finditer(text):
        phrase, bare = match.group(1), match.group(2)
        if bare is not None and bare.upper() == "OR" and groups:
            join_next = True
            continue
        term = _term(phrase, bare)
        if term is None:
            continue
        if term.excluded:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    if not groups:
        raise BadRequest("q: no word to look for (only excluded words or punctuation)")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise BadRequest(f"q: a search has at most {MAX_TERMS} words and phrases")
    return SearchQuery(tuple(tuple(g) for g in groups), tuple(excluded), text)


def _term(phrase: str | None, bare: str | None) -> Term | None:
    if phrase is not None:
        words = tuple(_WORD.findall(phrase))
        return Term(words) if words else None
    assert bare is not None
    excluded = bare.startswith("-") and len(bare) > 1
    prefix = bare.endswith("*")
    words = tuple(_WORD.findall(bare))
    if not words:
        return None
    # "U.S.-China" is one phrase of its words; a prefix applies to the last word only.
    return Term(words, prefix=prefix, excluded=excluded)


def _fts5_term(term: Term) -> str:
    quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
    return quoted + ("*" if term.prefix else "")


def _web_term(term: Term) -> str:
    # websearch_to_tsquery has no prefix search; the word itself still matches.
    joined = " ".join(term.words)
    return f'"{joined}"' if len(term.words) > 1 else joined
