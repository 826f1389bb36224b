"""Names as the press writes them -> the name of the entity (pure functions).

Ranks, titles and honorifics are not part of a name; a surname-only mention inside one
article resolves to the one full name it fits; bylines and agency signatures are not topics.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

# name_key is imported from here across the package; it lives in keys.py so that places.py
# needs nothing of this module (the two imported each other).
from tagwire.entities.keys import name_key as name_key

# Longest first, so "Prime Minister" is tried before "Minister". Matched case-insensitively
# at the start of a name, repeatedly ("Former President Gen. X").
_TITLES = sorted(
    {
        t.strip()
        for t in """
    president, vice president, vice-president, prime minister, deputy prime minister,
    minister, foreign minister, finance minister, defence minister, defense minister,
    interior minister, health minister, trade minister, chief minister, secretary,
    secretary of state, secretary-general, secretary general, chancellor, chairman,
    chairwoman, chairperson, chair, ceo, chief executive, chief executive officer,
    founder, co-founder, director, director-general, governor, gov., mayor, senator,
    sen., rep., representative, congressman, congresswoman, speaker, ambassador, envoy,
    spokesman, spokeswoman, spokesperson, king, queen, prince, princess, emperor,
    empress, pope, cardinal, archbishop, bishop, rev., reverend, father, sheikh, sheik,
    sultan, emir, crown prince, judge, justice, chief justice, attorney general, general,
    gen., lt. gen., lieutenant general, maj. gen., major general, brig. gen., admiral,
    adm., vice admiral, rear admiral, colonel, col., lt. col., lieutenant, lt., captain,
    capt., major, maj., sergeant, sgt., commander, cmdr., marshal, field marshal, doctor,
    dr., dr, professor, prof., mr., mr, mrs., mrs, ms., ms, miss, mx., sir, dame, lord,
    lady, former, late, then, acting, interim, outgoing, incoming, opposition leader,
    leader, coach, manager, striker, midfielder, defender, goalkeeper, star, actor,
    actress, singer, rapper, author, economist, analyst, reporter, correspondent, u.s.,
    us, uk, state
    """.split(",")
    },
    key=len,
    reverse=True,
)
_TITLE_RE = re.compile(
    r"^(?:(?:" + "|".join(re.escape(t) for t in _TITLES) + r")(?:\s+|$))+", re.IGNORECASE
)
_POSSESSIVE = re.compile(r"['’]s?$")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^an?\s+(?=[A-Z])", re.IGNORECASE)
_TRAILING_LOWER = re.compile(
    r"(?:\s+(?:to|and|or|in|on|at|for|with|from|by|is|are|was|as|that|who|which))+$"
)


def written_at(body: str, name: str, start: int = 0) -> list[tuple[int, int]]:
    """Where ``body`` writes ``name`` as whole words (no letter, digit or hyphen on either
    side), from ``start`` on: the spans."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    return [found.span() for found in pattern.finditer(body, start)]


# A dateline's city at a line's start, before its country or state ("Manchester, England
# (Sports Network)"): where an article was filed, not what it is about.
DATELINE_CITY = re.compile(r"(?:^|\n)[A-Z][\w .'’-]*, $")

# News agencies: in a byline, dateline or credit they sign the article, they are not its topic.
AGENCIES = frozenset(
    {
        "ap",
        "associated press",
        "the associated press",
        "reuters",
        "thomson reuters",
        "afp",
        "agence france-presse",
        "agence france presse",
        "yonhap",
        "yonhap news agency",
        "xinhua",
        "kyodo",
        "kyodo news",
        "efe",
        "dpa",
        "ansa",
        "anadolu",
        "anadolu agency",
        "pa media",
        "press association",
        "aap",
        "bernama",
        "pti",
        "ians",
        "ani",
        "tass",
        "ria novosti",
    }
)


# Lower-case words that begin names ("van Boxmeer", "de Gaulle", "al-Sisi", "bin Salman").
NAME_PARTICLES = frozenset(
    {
        "van",
        "von",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "du",
        "le",
        "la",
        "al",
        "el",
        "bin",
        "ibn",
        "ben",
        "ter",
        "den",
        "der",
    }
)


def strip_titles(name: str) -> str:
    """ "President Lee Jae-myung" -> "Lee Jae-myung"; a name that is only a title -> "".
    "Star" in capitals begins a work's name ("Star Wars Jedi", "Star Trek"), not a role."""
    name = name.strip()
    if name.startswith("Star "):
        return name
    return _TITLE_RE.sub("", name).strip()


def clean_name(raw: str, kind: str) -> str | None:
    """The entity name in a mention's surface form, or ``None`` if it is no usable name."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    name = _POSSESSIVE.sub("", name)
    name = _EDGE.sub("", name)
    # Titles are stripped from people only: "President" is no part of "President Hotel".
    name = _EDGE.sub("", strip_titles(name)) if kind == "person" else _LEADING_THE.sub("", name)
    name = _TRAILING_LOWER.sub("", name)  # "Thibaut Courtois to": a sentence ran on
    if kind != "person":
        name = _LEADING_ARTICLE.sub("", name)  # "An Associated Press"
    words = name.split()
    if not words or len(words) > 6 or len(name) < 2 or len(name) > 80:
        return None
    starts_well = (
        name[0].isupper()
        or not name[0].isalpha()
        or (len(words) > 1 and words[0].lower().rstrip("-") in NAME_PARTICLES)
    )
    if not any(c.isalpha() for c in name) or not starts_well:
        return None
    if kind == "person" and any(c.isdigit() for c in name):
        return None
    return name


# Common East Asian family names (Korean, Chinese, Vietnamese romanisations): in a
# three-word name they tell which word is the family name, so the other two are one
# given name written in two parts ("Lee Jae Myung" = "Lee Jae-myung").
EAST_ASIAN_SURNAMES = frozenset(
    """
    kim lee yi park choi jung jeong kang cho jo yoon yun jang lim im han oh seo shin kwon
    hwang ahn an song yoo ryu hong moon mun yang son bae baek ko koh nam noh roh ha wang li
    zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang
    xie tang xi feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng
    wei su lu ding ren shen yao lai fan fu qian qin chiang tsai hsu lai kuo nguyen tran le
    pham hoang vu phan dang bui do ho ngo duong ly
    """.split()
)


def person_key(name: str) -> str:
    """Identity of a person's name: word order does not matter ("Ishiba Shigeru" =
    "Shigeru Ishiba"), nor how a given name is split ("Lee Jae Myung" = "Lee Jae-myung" =
    "Lee Jaemyung"). Different given names stay different ("Kim Yo Jong" != "Kim Jong Un").
    (Two people whose names are each other's reverse would share a key; in news that is
    rarer than the same person written in both orders.)"""
    words = name_key(name).split()
    if len(words) == 3:
        surname = next((w for w in words if w in EAST_ASIAN_SURNAMES), words[0])
        rest = [w for w in words if w != surname]
        if len(rest) == 2 and all(len(w) <= 6 for w in rest):
            words = [surname, "".join(rest)]
    if len(words) <= 3:
        words = sorted(words)
    return " ".join(words)


def entity_key(name: str, kind: str) -> str:
    """The key under which one entity of this kind is found, whatever the spelling. For
    organisations and places, word breaks do not count either ("Hewlett-Packard" = "Hewlett
    Packard", "Hong Kong" = "Hongkong")."""
    return person_key(name) if kind == "person" else name_key(name).replace(" ", "")


_NICKNAMES: Any = None


def _nick_namer() -> Any:
    """The nickname table (the `nicknames` package: hand-curated, Apache-2.0), loaded once."""
    global _NICKNAMES
    if _NICKNAMES is None:
        from nicknames import NickNamer

        _NICKNAMES = NickNamer()
    return _NICKNAMES


def is_given_name(word: str) -> bool:
    """A first name in the nickname table ("Max", "James", "Bill"), as opposed to a
    surname or a mononym ("Neymar")."""
    namer = _nick_namer()
    key = name_key(word)
    return bool(namer.nicknames_of(key) or namer.canonicals_of(key))


def _given_names_match(a: str, b: str) -> bool:
    """ "bill" and "william" (a nickname), "j" and "john" (an initial), or equal."""
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    namer = _nick_namer()
    return bool(
        b in namer.nicknames_of(a)
        or a in namer.nicknames_of(b)
        or namer.canonicals_of(a) & namer.canonicals_of(b)
    )


_GENERATION = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _name_words(name: str) -> list[str]:
    """The words of a person's name without a generational suffix ("Jr.", "III"), which
    the press writes or leaves out as it likes."""
    words = name_key(name).replace(",", " ").split()
    while len(words) > 2 and words[-1] in _GENERATION:
        words.pop()
    return words


def surname(name: str) -> str | None:
    """The family name of a Western-order name of two words or more, else None (East Asian
    names are matched by `person_key`, not by this rule)."""
    words = _name_words(name)
    if len(words) < 2 or any(w in EAST_ASIAN_SURNAMES for w in words):
        return None
    return words[-1]


def same_person(a: str, b: str) -> bool:
    """Two full names of one person: the same family name, first names equal or one a
    nickname or initial of the other, and middle names that do not contradict ("William
    Jefferson Clinton" = "Bill Clinton"; "Bill Clinton" != "Hillary Clinton"; never on the
    family name alone)."""
    if surname(a) is None or surname(a) != surname(b):
        return False
    wa, wb = _name_words(a)[:-1], _name_words(b)[:-1]
    if not _given_names_match(wa[0], wb[0]):
        return False
    middle_a, middle_b = wa[1:], wb[1:]
    if middle_a and middle_b:
        return len(middle_a) == len(middle_b) and all(
            _given_names_match(x, y) for x, y in zip(middle_a, middle_b, strict=True)
        )
    return True


def display_name(uses: Mapping[str, int], kind: str, current: str) -> str:
    """An entity's display name: its most common full form (for a person, a form of two
    words or more when there is one). A tie keeps the current name, so names do not flap."""
    full = {n: c for n, c in uses.items() if kind != "person" or len(n.split()) > 1}
    forms = full or dict(uses)
    if not forms:
        return current
    best = max(forms.values())
    if forms.get(current) == best:
        return current
    return min(n for n, c in forms.items() if c == best)


def resolve_partials(names: Iterable[str]) -> dict[str, str]:
    """Map single-word person names to the article's one full name that contains the word.

    "Marchetti" -> "Elena Marchetti" when exactly one full name in the article has that
    word; with two candidates ("Kim Jong Un", "Kim Yo Jong") the mention stays as written.
    """
    names = list(dict.fromkeys(names))
    full = [n for n in names if len(n.split()) > 1 and not is_particle_surname(n)]
    resolved: dict[str, str] = {}
    for name in names:
        if is_particle_surname(name):  # "von Weizsäcker": the end of a full name
            fits = {f for f in full if f" {name_key(f)}".endswith(f" {name_key(name)}")}
        elif len(name.split()) == 1:
            key = name_key(name)
            fits = {f for f in full if key in {name_key(w) for w in f.split()}}
        else:
            continue
        if len(fits) == 1:
            resolved[name] = fits.pop()
    return resolved


_PARTICLES = frozenset("von van der den de del della di da du le la al el bin ibn".split())


def is_particle_surname(name: str) -> bool:
    """ "von Weizsäcker", "van der Berg": a surname with its lower-case particles, as an
    article writes a person after the first mention."""
    words = name.split()
    return 2 <= len(words) <= 3 and words[0] in _PARTICLES and words[-1][:1].isupper()


def is_byline_name(name: str, author: str | None) -> bool:
    """A person named in the article's byline is its writer, not its topic."""
    return bool(author) and name_key(name) in name_key(author or "")


def is_publisher_name(name: str, publisher: str | None) -> bool:
    """The page's own publisher ("Fox News" on foxnews.com's page, whose og:site_name says
    "Fox News"; "The Hill" for "TheHill"; "USA TODAY" for "usatoday"): boilerplate, not a
    topic. Whole names only: "New York" is no part of "The New York Times"."""
    return bool(publisher) and bool(_site_keys(name) & _site_keys(publisher or ""))


_SITE_SUFFIX = re.compile(r"\.(?:com|net|org|co\.uk|info|news)$", re.IGNORECASE)


def _site_keys(name: str) -> set[str]:
    """The name run together, with and without a leading "the" ("TheHill", "The Hill")."""
    key = name_key(_SITE_SUFFIX.sub("", name.strip().lstrip("@"))).replace(" ", "")
    return {key, key.removeprefix("the")} - {""}


def is_agency(name: str) -> bool:
    return name_key(name) in AGENCIES


def explain(surface: str, name: str, kind: str, entity_name: str) -> str:
    """In words, the rule that made ``surface`` (as written) a mention of the entity called
    ``entity_name``: derived from what is stored, so that any resolution can be explained."""
    from tagwire.entities.places import canonical_place, demonym_country

    written = " ".join(surface.split()).strip(".,;:'’\"")
    if name_key(written) == name_key(entity_name):
        return "as written"
    if written.isupper() and len(written) <= 12 and name_key(name) == name_key(written):
        return f"abbreviation of {entity_name!r} learned from an article that introduces it"
    if kind == "person" and name_key(strip_titles(written)) == name_key(name):
        rule = "title or rank removed"
    elif kind == "place" and demonym_country(written) == name:
        rule = "demonym of the country"
    elif kind == "place" and canonical_place(written) == name:
        rule = "another name of the country"
    elif len(written.split()) == 1 and name_key(written) in name_key(name).split():
        rule = "one part of the full name used earlier in the article"
    elif written.isupper() and len(written) <= 12:
        rule = "abbreviation introduced in the article"
    else:
        rule = "another form of the name"
    if name_key(name) != name_key(entity_name):
        same = "the same person" if kind == "person" else "the same entity"
        rule += f"; {name!r} is {same} as {entity_name!r} (name order, spelling or nickname)"
    return rule


_MINOR = frozenset({"of", "the", "and", "for", "on", "in", "de", "du", "des", "la", "le", "&"})


def initials(name: str) -> str:
    """The capitals an organisation's name abbreviates to ("National Football League" ->
    "NFL"); small words (of, the, and, de...) do not count."""
    words = name.replace("-", " ").split()
    return "".join(w[0] for w in words if w.lower() not in _MINOR and w[0].isalpha()).upper()
