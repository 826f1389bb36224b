"""Names an article uses only to qualify others: a country written as the adjective of its
officials or institutions ("the U.S. envoy") is not what the article is about; a place
written after a school's common words ("the Polytechnic University in Hong Kong") is part
of the school's name.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tagwire.entities.places import demonym_country, is_country, is_known_place
from tagwire.types import EntityKind, Mention

PLACE, ORG = EntityKind.PLACE, EntityKind.ORGANIZATION

# What a country's name qualifies when the article uses it as an adjective ("U.S. envoy",
# "U.S. Attorney's Office"): the state's agents and institutions, not the country as a topic.
_QUALIFIED = re.compile(
    r"[ ]+(?:officials?|officers?|envoys?|ambassadors?|attorneys?|military|aid|troops|forces|"
    r"soldiers|government|administration|president|senators?|lawmakers|politicians|"
    r"diplomats?|authorities|intelligence|prosecutors?|regulators|negotiators|delegation|"
    r"counterparts?|embassy|sanctions|tariffs|policy|Attorney|Ambassador|Embassy|Army|Navy|"
    r"Department|Secretary|Senator|Senate|House|Treasury|Supreme|District|Consulate)\b"
)


def without_adjectival_countries(body: str, mentions: list[Mention]) -> list[Mention]:
    """A country the text names only as an adjective of its officials or institutions ("the
    U.S. envoy", "a U.S. official") is not what the article is about: its mentions go (the
    hand-made gold calls such uses not salient). A headline mention keeps it."""
    adjectival: dict[str, bool] = {}
    for m in mentions:
        if m.kind is PLACE and is_country(m.name):
            used = (
                not m.in_title
                and demonym_country(m.surface) is None  # demonyms: ``salience`` judges them
                and _QUALIFIED.match(body, m.end) is not None
            )
            adjectival[m.name] = adjectival.get(m.name, True) and used
    gone = {name for name, only in adjectival.items() if only}
    return [m for m in mentions if m.name not in gone] if gone else mentions


# A school after "the", then its place: "the Polytechnic University in Hong Kong" is what
# other articles call "Hong Kong Polytechnic University". Only schools: "the Supreme Court
# in Washington" is a court located there, not Washington's own.
_SCHOOL = re.compile(r"\b(?:University|Polytechnic|College|Institute)\b")
_IN_PLACE = re.compile(r"\s+in\s+([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2})")


def schools_named_by_place(body: str, mentions: list[Mention]) -> list[Mention]:
    """A school written "the <name> in <place>" is "<place> <name>" in every mention of the
    article, the form the press uses when it names the place first."""
    named: dict[str, str] = {}
    for m in mentions:
        if m.kind is not ORG or not _SCHOOL.search(m.name) or m.name in named:
            continue
        if " of " in m.name:
            continue  # "the University of the West of England in Bristol" is named already
        if not (m.surface.startswith("the ") or body.endswith("the ", 0, m.start)):
            continue  # "Harvard University in Boston" names its school already
        place = _IN_PLACE.match(body, m.end)
        if place and is_known_place(place.group(1)):
            named[m.name] = f"{place.group(1)} {m.name}"
    return [replace(m, name=named[m.name]) if m.name in named else m for m in mentions]
