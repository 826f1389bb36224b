"""What one span of the model is when it runs across two names (pure functions, the first
steps of ``resolve.resolve_article``): a result's or fixture's two sides ("Viera d.
Rockledge"), a listing's venue after its "@" ("NJ @ BB&T Pavilion"), two names across a
lower-case "the" ("told Billboard the Doobies").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from tagwire.entities.names import written_at
from tagwire.types import Mention

_RESULT = re.compile(r"\s(?:d|def|vs?)\.?\s")
# "told Billboard the Doobies have...": a lower-case "the" inside a span, after a name's
# word, not after "of", "for" or "and" ("Church of the Nazarene"), parts two names.
_THE_INSIDE = re.compile(r"(?<=[A-Za-z])(?<!\bof)(?<!\bfor)(?<!\band)\sthe\s(?=[A-Z])")


def is_result(name: str) -> bool:
    """ "Viera d. Rockledge", "Arsenal v Chelsea": two sides in one span."""
    return _RESULT.search(name) is not None


def sides_of_results(mentions: Iterable[Mention]) -> list[Mention]:
    """A span across a result's or fixture's word is its two sides, each a mention; a span
    across a listing's "@" is what follows it."""
    out: list[Mention] = []
    for m in mentions:
        at = m.surface.rfind(" @ ")
        if at >= 0:  # "NJ @ BB&T Pavilion", a tour's line: the venue; the gazetteer reads "NJ"
            m = replace(
                m, surface=m.surface[at + 3 :], name=m.surface[at + 3 :], start=m.start + at + 3
            )
        cut = _RESULT.search(m.surface)
        if cut is None:
            out.append(m)
            continue
        left, right = m.surface[: cut.start()], m.surface[cut.end() :]
        out.append(replace(m, surface=left, name=left, end=m.start + len(left)))
        out.append(replace(m, surface=right, name=right, start=m.start + cut.end()))
    return out


def parted_at_the(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "told Billboard the Doobies have...": a span across a lower-case "the" is two names
    where the article writes the second elsewhere too ("the Doobies will..."); "Alfred the
    Great" stays one."""
    out: list[Mention] = []
    for m in mentions:
        cut = _THE_INSIDE.search(m.surface)
        right = m.surface[cut.end() :] if cut else ""
        written = cut is not None and any(
            not (m.start <= start < m.end) for start, _ in written_at(body, right)
        )
        if cut is None or not written:
            out.append(m)
            continue
        left = m.surface[: cut.start()]
        out.append(replace(m, surface=left, name=left, end=m.start + len(left)))
        out.append(replace(m, surface=right, name=right, start=m.start + cut.end()))
    return out
