"""What is not a person, organisation or place, whatever label the model gave it.

PRODUCT.md's hashtags are people, organisations and places: not products, works, events,
diseases, directions or common nouns. The model labels such spans PERSON, ORG or GPE often
enough ("Dreamforce", "Swan Lake", "USB", "Southeast") that a filter of its own is needed.
Each rule says what marks the class; none names a particular thing.
"""

from __future__ import annotations

import re
from enum import StrEnum

from tagwire.entities.knowledge import is_common_acronym, is_direction, kind_evidence
from tagwire.entities.names import name_key
from tagwire.entities.places import city_population, is_celestial, is_country_or_state
from tagwire.types import EntityKind


class NotEntity(StrEnum):
    COMMON_ABBREVIATION = "common abbreviation"
    DIRECTION = "direction"
    EVENT = "event"
    MODEL_NUMBER = "model number"
    COMMON_WORD = "common word"
    ADDRESS = "street address"
    RUN_TOGETHER = "words run together"
    LIST = "several names in one span"
    NUMBERED = "a name with a number"
    RESIDENTS = "the people of a place"
    IDEOLOGY = "an ideology or a movement"


# The last word of the name of an event (awards, shows, festivals, contests, fairs: "Davis
# Cup"), a work or programme ("Hang Seng Index", "Artemis Program"), a law ("Affordable
# Care Act"), a disease or an instrument or vehicle ("Large Hadron Collider", "James Webb
# Space Telescope"): none is a person, organisation or place.
_EVENT_HEADS = frozenset(
    """
    award awards festival fest show expo exhibition fair gala ceremony olympics olympiad
    paralympics championship championships cup finals marathon tournament grand prix derby week
    summit concert tour weekend
    index average composite program programme mission initiative act bill amendment
    treaty accord prize trophy medal syndrome disease virus fever genocide war massacre
    revolution crisis pandemic election elections referendum
    collider telescope rover lander rocket spacecraft satellite dance stage edition series
    performance open
    """.split()
)
# Event words that alone name no organisation ("Rover" of "MG Rover" and "Show" may).
_LONE_EVENT_WORDS = frozenset({"edition", "series", "cup"})
# An institution's word alone names no institution ("the Agency said"); legislatures
# ("Congress", "Parliament", "Senate") are named so, and are not among these.
_BARE_INSTITUTION_WORDS = frozenset(
    "agency company department group office team board service network studio fund firm "
    "bureau institute foundation association".split()
)
# An organisation's word after an event's word makes it the organiser again ("Festival
# Committee", "Tour Company"): checked through ``kind_evidence``.

# An ideology's or a movement's word ends the name ("National Socialism", "Communism"), or
# a country's leaving of a union ("Brexit", "Grexit").
_IDEOLOGY = re.compile(r"[a-z]{3}ism$|^\w{1,4}exit$")

_FRACTIONS = frozenset("¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞")
_MODEL_NUMBER = re.compile(r"^(?=.*\d)(?=.*[a-z])[a-z0-9-]{4,}$", re.IGNORECASE)


def not_an_entity(name: str, kind: EntityKind, lower_words: frozenset[str]) -> NotEntity | None:
    """Why a mention's name is no person, organisation or place, or None when it may be.
    ``lower_words``: the words the article writes in lower case."""
    words = name.split()
    key = name_key(name)
    if is_common_acronym(name):
        return NotEntity.COMMON_ABBREVIATION
    if (
        len(words) > 1
        and kind is not EntityKind.PERSON  # "AR Rahman", "Ai Sugiyama": initials, a name
        and words[0].isupper()
        and is_common_acronym(words[0])
        and kind_evidence(name) is None
    ):
        return NotEntity.COMMON_ABBREVIATION  # "USB Micro-B", "GSM Unlocked": a spec's words
    if is_direction(name):
        return NotEntity.DIRECTION
    if (len(words) > 1 or key in _LONE_EVENT_WORDS) and _event_head(key):
        return NotEntity.EVENT  # "Davis Cup"; alone, "Edition" of "the Founder's Edition"
    if any(_MODEL_NUMBER.match(w) for w in words) and kind_evidence(name) is None:
        return NotEntity.MODEL_NUMBER
    if _IDEOLOGY.search(key) and kind_evidence(name) is None:
        return NotEntity.IDEOLOGY  # "National Socialism", "Zionism": ideas, not actors
    if name_key(name) in _BARE_INSTITUTION_WORDS:
        return NotEntity.COMMON_WORD  # "the Agency", "the Company": one of a kind, unnamed
    if len(words) == 1 and _used_as_common_word(name, lower_words):
        return NotEntity.COMMON_WORD
    if _residents(name):
        return NotEntity.RESIDENTS
    if _run_together(words):
        return NotEntity.RUN_TOGETHER
    if len(words) > 1 and _STREET.match(key.split()[-1]):
        return NotEntity.ADDRESS
    if kind is not EntityKind.PLACE and ", " in name and kind_evidence(name) is None:
        return NotEntity.LIST  # "Bleacher Report, Uber Eats": two names the model joined
    if any(w in ("OR", "AND", "VS") for w in words):
        return NotEntity.LIST  # "Pokemon Sword OR Shield": a shop's listing of two things
    if any(c in _FRACTIONS for c in name):
        return NotEntity.NUMBERED  # "¼ cup feta": a recipe's line
    if kind is not EntityKind.ORGANIZATION and any(w.isdigit() for w in words):
        return NotEntity.NUMBERED  # "Jordan Munoz 8": a player and his points
    return None


def _residents(name: str) -> bool:
    """ "Delhiites", "Parisians", "New Yorkers": the people of a known place, a demonym
    (teams' "Texans" keep their name: "-ans" alone is not read so)."""
    for suffix in ("ites", "ians", "ers"):
        base = name.removesuffix(suffix)
        if base != name and any(_large_place(b) for b in (base, base + "a", base + "e")):
            return True
    return False


def _large_place(name: str) -> bool:
    return is_country_or_state(name) or city_population(name) >= 100_000


# A capital right after a small letter, and the capitalised word it begins.
_INNER_CAPITAL = re.compile(r"(?<=[a-z])([A-Z][a-z]+)")


def _run_together(words: list[str]) -> bool:
    """ "Alexandria Ocasio-CortezAlexandria Ocasio-Cortez": an extractor ran two copies of
    a name together; a word inside a word repeats another word of the span. ("McDonald",
    "GlaxoSmithKline" have inner capitals but repeat nothing.)"""
    lowered = [w.lower() for w in words]
    for i, word in enumerate(words):
        others = set(lowered[:i] + lowered[i + 1 :])
        if any(m.group(1).lower() in others for m in _INNER_CAPITAL.finditer(word)):
            return True
    return False


# The last word of a street's name: an address is where something is, not a topic.
_STREET = re.compile(r"^(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|drive|corso|via)$")


def _event_head(key: str) -> bool:
    last = key.split()[-1]
    if last not in _EVENT_HEADS:
        return False
    return kind_evidence(key) is None


def _used_as_common_word(name: str, lower_words: frozenset[str]) -> bool:
    """ "Wild" where the article also writes "the wild": the word is the article's own
    common noun or adjective, capitalised at a sentence's start or in a heading. Acronyms
    in capitals are judged by the abbreviation lexicon instead ("US" next to "us")."""
    word = name.strip(".’'")
    if (word.isupper() and len(word) <= 3) or is_celestial(word):
        return False  # "the Moon" beside "a moon of Jupiter" is still the Moon
    return word.lower() in lower_words
