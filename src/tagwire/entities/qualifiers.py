"""Names an article uses only to qualify others: a country written as the adjective of its
officials or institutions ("the U.S. envoy") is not what the article is about.
"""

from __future__ import annotations

import re

from tagwire.entities.places import demonym_country, is_country
from tagwire.types import EntityKind, Mention

PLACE = EntityKind.PLACE

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
