"""Sports teams in one article's mentions (pure functions, called by
``resolve.resolve_article``): the sports pages name a team by its city and nickname
("the Oklahoma City Thunder"), by the nickname alone ("the Thunder") or by its town, school
or state alone ("Pittsburgh quarterback", "Melbourne d. Palm Bay"). A team is an
organisation, whichever of these forms an article uses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace

from tagwire.entities.knowledge import is_broad_place, kind_evidence
from tagwire.entities.names import name_key
from tagwire.entities.places import is_country, is_known_place
from tagwire.types import EntityKind, Mention

ORG, PLACE = EntityKind.ORGANIZATION, EntityKind.PLACE


def teams_by_nickname(body: str, mentions: list[Mention]) -> list[Mention]:
    """ "Steelers" where "Pittsburgh Steelers" is named: that team (a plural word, as team
    nicknames are, that one organisation of the article ends with). And where a team is
    named by its place and a nickname that the article also writes alone ("the Oklahoma
    City Thunder" ... "the Thunder"), the place alone is the team too, as the sports pages
    write it ("Pittsburgh quarterback", "for Cleveland")."""
    ends: dict[str, set[str]] = defaultdict(set)
    teams: dict[str, str] = {}  # the nickname's and the place's keys -> the team
    for m in mentions:
        if m.kind is ORG and " " in m.name:
            ends[name_key(m.name.split()[-1])].add(m.name)
            named = [m.name.rsplit(" ", 1)]
        elif m.kind is PLACE:  # "Oklahoma City" then "Thunder", as the model may read it
            named = [[m.name, w] for w in _written_after(body, m.surface.strip())]
        else:
            continue
        for place, nickname in named:
            if is_team(body, place, nickname):
                teams[name_key(nickname)] = teams[name_key(place)] = f"{place} {nickname}"
    out = []
    for m in mentions:
        key = name_key(m.name)
        if key in teams:
            m = replace(m, name=teams[key], kind=ORG)
        elif " " not in m.name and key.endswith("s") and len(ends.get(key, ())) == 1:
            m = replace(m, name=next(iter(ends[key])), kind=ORG)
        out.append(m)
    return out


# What the sports pages write around a place that is its team: a position or a squad after
# it ("Pittsburgh quarterback", "Minnesota’s defense"), a result's verb or a score beside it
# ("Viera defeats Rockledge", "Eastern Michigan 42, Northern Illinois 17").
_TEAM_AFTER = re.compile(
    r"(?:['’]s?)?\s+(?:quarterback|coach|head coach|center|guard|forward|pitcher|striker|"
    r"goalkeeper|roster|lineup|squad|defense|offense|defensive|offensive|beat|beats|"
    r"defeated|defeats|routs|routed|edged|edges|blanked|topped|d\.|def\.|manager|"
    r"captain|midfielder|defender|winger)(?!\w)"
    r"|['’]s\s+(?:game|win|victory)\b"
    r"|\s+(?:QB|RB|WR|TE|OL|OT|DL|DE|DT|LB|CB|DB)(?=\s+[A-Z])"  # "Cleveland DL Larry Ogunjobi"
    r"|\s+\d{1,3}(?=\s*(?:,|\)|$))",
    re.MULTILINE,
)
_TEAM_BEFORE = re.compile(
    r"(?:\bbeat|\bbeats|\bdefeated|\bdefeats|\brouts?|\brouted|\bedged|\bblanked|"
    r"\btopped|\bvs\.?|\bv\.|\bd\.|\bdef\.)\s+$"
)


def places_as_teams(body: str, mentions: list[Mention]) -> list[Mention]:
    """A place (not a country or a region) that the article writes as a team somewhere is
    an organisation in every mention: the sports pages call teams by their towns, schools
    and states ("Pittsburgh quarterback", "Melbourne d. Palm Bay"). The name stays; which
    kind the entity keeps across articles is their mentions' vote."""
    teams = {
        m.name
        for m in mentions
        if m.kind is PLACE
        and not is_country(m.name)
        and not is_broad_place(m.name)
        and (
            _TEAM_AFTER.match(body, _name_end(body, m))
            or _TEAM_BEFORE.search(body, max(0, m.start - 12), m.start)
        )
    }
    full = {name: _team_of(body, name, mentions) for name in teams}
    return [
        replace(m, kind=ORG, name=full[m.name]) if m.name in teams and m.kind is PLACE else m
        for m in mentions
    ]


def _team_of(body: str, place: str, mentions: list[Mention]) -> str:
    """The one team of the place the article names in full ("Cleveland" of "Cleveland
    Browns"; not "Pittsburgh Post-Gazette"), else the place's name itself."""
    named = {
        m.name
        for m in mentions
        if m.kind is ORG
        and m.name.startswith(place + " ")
        and is_team(body, place, m.name[len(place) + 1 :])
    }
    return next(iter(named)) if len(named) == 1 else place


def _name_end(body: str, m: Mention) -> int:
    """Where the mention's name ends in the text ("Minnesota" in "Minnesota’s")."""
    start = body.find(m.name, m.start, m.end)
    return m.end if start < 0 else start + len(m.name)


def _written_after(body: str, name: str) -> set[str]:
    """The capitalised words the article writes right after ``name`` anywhere."""
    found = set()
    start = body.find(name)
    while start >= 0:
        after = _NEXT_NAME.match(body, start + len(name))
        if after:
            found.add(after.group(1))
        start = body.find(name, start + len(name))
    return found


_NEXT_NAME = re.compile(r" ([A-Z][a-z]+)\b")
# A newspaper's last word: "the Globe" alone is the Boston Globe, not Boston's team.
_PAPER_WORDS = frozenset(
    """
    times post news journal herald tribune chronicle gazette globe star sun examiner observer
    independent telegraph mirror express register review magazine daily weekly bee inquirer
    record courant dispatch press standard guardian mail today
    """.split()
)


def is_team(body: str, place: str, nickname: str) -> bool:
    """ "Oklahoma City" + "Thunder": a city or state (countries' teams are not named so),
    then a capitalised word that is no institution's, newspaper's or office's word ("U.S.
    Attorney"), which the article also writes as "the Thunder", alone."""
    if not is_known_place(place) or is_country(place) or not nickname[:1].isupper():
        return False
    word = nickname.lower()
    if word in _PAPER_WORDS or word in _OFFICE_WORDS or kind_evidence(nickname) is not None:
        return False
    return re.search(rf"\b[Tt]he {re.escape(nickname)}\b(?!['’]?\s*[A-Z])", body) is not None


# Words after a place that make an office or a title, not a team: "U.S. Attorney", "Ukraine
# President", "Israel Prime Minister".
_OFFICE_WORDS = frozenset(
    """
    attorney president prime minister ambassador defense defence governor mayor senator
    secretary police fire sheriff state city county district court office mayor general
    chief trade embassy consul consulate army navy
    """.split()
)
