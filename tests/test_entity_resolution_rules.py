"""More rules of one article's resolution, with invented names: owners of possessives,
teams and their nicknames, branches, particles, counted plurals, parties, works, shops,
and one-word names written after a given name (moved out of test_entity_knowledge.py)."""

from __future__ import annotations

import pytest

from tagwire.entities.filters import NotEntity, not_an_entity
from tagwire.entities.knowledge import (
    kind_evidence,
    us_party,
)
from tagwire.entities.names import resolve_partials
from tagwire.entities.places import canonical_place, country_of
from tagwire.entities.resolve import resolve_article
from tagwire.types import EntityKind, Mention
from test_entity_knowledge import _at

PERSON, ORG, PLACE = EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.PLACE


def test_the_owner_of_a_possessive_span_is_a_mention_of_its_own() -> None:
    body = "x\n\nFans love Zentro’s Pulsebuds. Zentro sells them widely."
    found = [
        _at(body, "Zentro’s Pulsebuds", "Zentro’s Pulsebuds", ORG),
        _at(body, "Zentro", "Zentro", ORG, 1),
    ]
    out = resolve_article(body, 1, found)
    assert [(m.name, m.start) for m in out] == [
        ("Zentro", body.index("Zentro")),
        ("Zentro", body.rindex("Zentro")),
    ]  # the product of a named maker goes; its owner stays, at its own offsets


def test_an_owner_never_written_alone_is_no_mention() -> None:
    body = "x\n\nLunch at Bellamy’s Diner today."
    found = [_at(body, "Bellamy’s Diner", "Bellamy’s Diner", ORG)]
    assert [m.name for m in resolve_article(body, 1, found)] == ["Diner"]


def test_a_city_and_a_nickname_written_alone_are_one_team() -> None:
    body = (
        "x\n\nThe Oklahoma City Gales played in Denver. Oklahoma City led early, "
        "and the Gales never trailed."
    )
    found = [
        _at(body, "Oklahoma City", "Oklahoma City", PLACE),
        _at(body, "Denver", "Denver", PLACE),
        _at(body, "Oklahoma City", "Oklahoma City", PLACE, 1),
        _at(body, "Gales", "Gales", ORG, 1),
    ]
    out = {(m.name, m.kind) for m in resolve_article(body, 1, found)}
    assert out == {("Oklahoma City Gales", ORG), ("Denver", PLACE)}


def test_an_office_or_a_newspaper_after_a_place_is_no_team() -> None:
    body = "x\n\nThe Denver Attorney spoke to the Denver Globe. The Attorney and the Globe met."
    found = [
        _at(body, "Denver", "Denver", PLACE),
        _at(body, "Denver Globe", "Denver Globe", ORG),
    ]
    out = {(m.name, m.kind) for m in resolve_article(body, 1, found)}
    assert ("Denver", PLACE) in out


def test_a_name_a_things_noun_follows_is_that_things_name() -> None:
    body = "x\n\nThe Vantix platform ships soon. Vantix platform cars follow. Korla said so."
    found = [
        _at(body, "Vantix", "Vantix", ORG),
        _at(body, "Vantix", "Vantix", ORG, 1),
        _at(body, "Korla", "Korla", ORG),
    ]
    assert [m.name for m in resolve_article(body, 1, found)] == ["Korla"]


def test_a_particle_surname_is_the_one_full_name_that_ends_with_it() -> None:
    assert resolve_partials(["Anna von Strelitz", "von Strelitz"]) == {
        "von Strelitz": "Anna von Strelitz"
    }
    assert resolve_partials(["Anna von Strelitz", "Karl von Strelitz", "von Strelitz"]) == {}


def test_a_person_named_with_a_region_is_a_companys_branch() -> None:
    body = "x\n\nZorvex North America said on Monday."
    found = [_at(body, "Zorvex North America", "Zorvex North America", PERSON)]
    assert {m.kind for m in resolve_article(body, 1, found)} == {ORG}


@pytest.mark.parametrize(
    ("written", "city"),
    [
        ("District of Columbia", "Washington, D.C."),
        ("D.C.", "Washington, D.C."),
        ("NYC", "New York"),
        ("New York City", "New York"),
    ],
)
def test_a_citys_other_names(written: str, city: str) -> None:
    assert canonical_place(written) == city
    assert country_of(written) == "US"


def test_a_recipe_line_and_a_finals_event_are_no_names() -> None:
    assert not_an_entity("¼ cup feta", PERSON, frozenset()) is NotEntity.NUMBERED
    assert not_an_entity("Zorvane Cup Finals", ORG, frozenset()) is NotEntity.EVENT


def test_a_counted_plural_is_a_things_name_and_a_brand_in_s_is_kept() -> None:
    body = (
        "x\n\nThe Zyphook is thin; old Zyphooks were thick. One or two Gravel Knights "
        "remain. Almost all Vexus models sell."
    )
    found = [
        _at(body, "Zyphooks", "Zyphooks", ORG),
        _at(body, "Gravel Knights", "Gravel Knights", ORG),
        _at(body, "Vexus", "Vexus", ORG),
    ]
    assert [m.name for m in resolve_article(body, 1, found)] == ["Vexus"]


def test_what_only_a_person_has_keeps_a_one_word_person() -> None:
    body = "x\n\nThe Kovalczyk administration stalled. Later Kovalczyk declined to comment."
    found = [
        _at(body, "Kovalczyk", "Kovalczyk", PERSON),
        _at(body, "Kovalczyk", "Kovalczyk", PERSON, 1),
    ]
    assert {m.kind for m in resolve_article(body, 1, found)} == {PERSON}


@pytest.mark.parametrize(
    ("name", "kind"), [("West Bank", PLACE), ("Gaza Strip", PLACE), ("World Bank", ORG)]
)
def test_a_rivers_bank_is_a_place_and_a_bank_an_organisation(name: str, kind: EntityKind) -> None:
    assert kind_evidence(name) is kind


def test_a_name_after_a_works_noun_is_the_works_title() -> None:
    body = "x\n\nThe duo showed their work Velvet Lantern in Oslo. The band Corvane played."
    found = [
        _at(body, "Velvet Lantern", "Velvet Lantern", PERSON),
        _at(body, "Oslo", "Oslo", PLACE),
        _at(body, "Corvane", "Corvane", ORG),
    ]
    assert [m.name for m in resolve_article(body, 1, found)] == ["Oslo", "Corvane"]


def test_us_party_words_name_their_party_in_an_article_about_the_us() -> None:
    assert us_party("Democrats", "The Senate voted.") == "Democratic Party"
    assert us_party("GOP", "Congress met.") == "Republican Party"
    assert us_party("Democrats", "Sweden's parliament met in Stockholm.") is None
    assert us_party("Liberal Democrats", "The Senate voted.") is None


def test_an_abbreviation_expanded_after_it_in_lower_case_is_no_organisation() -> None:
    body = "x\n\nMany chase QRTE (quit rent, travel early) goals. QRTE is popular."
    found = [_at(body, "QRTE", "QRTE", ORG), _at(body, "QRTE", "QRTE", ORG, 1)]
    assert resolve_article(body, 1, found) == ()


def test_a_makers_model_word_between_maker_and_name_makes_a_product() -> None:
    body = "x\n\nThe Zentro x-line Glider sold out. Zentro said so. Buy a Glider."
    found = [
        _at(body, "Zentro", "Zentro", ORG),
        _at(body, "Glider", "Glider", ORG),
        _at(body, "Zentro", "Zentro", ORG, 1),
        _at(body, "Glider", "Glider", ORG, 1),
    ]
    assert {m.name for m in resolve_article(body, 1, found)} == {"Zentro"}


def test_an_institutions_word_alone_is_no_name_and_keeps_its_possessive() -> None:
    assert not_an_entity("Agency", ORG, frozenset()) is NotEntity.COMMON_WORD
    assert not_an_entity("Congress", ORG, frozenset()) is None
    body = "x\n\nThe Marlow County Sheriff’s Department said."
    found = [
        _at(body, "Marlow County Sheriff’s Department", "Marlow County Sheriff’s Department", ORG)
    ]
    assert [m.name for m in resolve_article(body, 1, found)] == [
        "Marlow County Sheriff’s Department"
    ]


def test_a_headline_naming_a_team_by_its_nickname_counts_for_the_team() -> None:
    title = "Gales hold off Denver"
    body = title + "\n\nThe Oklahoma City Gales won again. Later the Gales rested."
    found = [_at(body, "Oklahoma City Gales", "Oklahoma City Gales", ORG)]
    out = resolve_article(body, len(title), found)
    assert [(m.name, m.in_title) for m in out] == [
        ("Oklahoma City Gales", True),
        ("Oklahoma City Gales", False),
    ]


def test_a_celestial_body_read_once_as_a_person_is_still_a_place() -> None:
    from tagwire.entities.ner import _drop_lone_single_names

    moon = Mention("Moon", "Moon", PERSON, 10, 14, False)
    brand = Mention("Zorvane", "Zorvane", PERSON, 20, 27, False)
    assert _drop_lone_single_names([moon, brand]) == [moon]


def test_a_teams_nickname_is_taught_like_an_abbreviation() -> None:
    from tagwire.entities.identity import is_team_nickname, short_forms

    assert is_team_nickname("Gales", "Denver Gales")
    assert not is_team_nickname("Party", "Labour Party")  # no place before it
    assert not is_team_nickname("Navy", "France Navy")  # a country's, not a team's
    rows = [("the Gales", "Denver Gales", 4), ("Denver Gales", "Denver Gales", 4)]
    assert short_forms(rows) == [("Gales", 4)]


def test_a_place_the_sports_pages_write_as_a_team_is_an_organisation() -> None:
    body = "x\n\nMarlow d. Kestrel Falls 3-1. The Marlow quarterback threw twice. Rain hit Oslo."
    found = [
        _at(body, "Marlow", "Marlow", PLACE),
        _at(body, "Kestrel Falls", "Kestrel Falls", PLACE),
        _at(body, "Marlow", "Marlow", PLACE, 1),
        _at(body, "Oslo", "Oslo", PLACE),
    ]
    out = {(m.name, m.kind) for m in resolve_article(body, 1, found)}
    assert out == {("Marlow", ORG), ("Kestrel Falls", ORG), ("Oslo", PLACE)}


@pytest.mark.parametrize(
    "name", ["Athletic Zorvano", "Air Zorvania", "Zorvan Works", "the Ruritanian Embassy"]
)
def test_clubs_airlines_works_and_embassies_are_organisations(name: str) -> None:
    assert kind_evidence(name) is ORG


def test_a_name_always_written_possessive_is_a_shops_name() -> None:
    body = "x\n\nShoppers crowded Vellamy’s on Friday. Vellamy’s said sales rose."
    found = [
        _at(body, "Vellamy’s", "Vellamy", PERSON),
        _at(body, "Vellamy’s", "Vellamy", PERSON, 1),
    ]
    assert {(m.name, m.kind) for m in resolve_article(body, 1, found)} == {("Vellamy’s", ORG)}


def test_a_person_s_possessive_surname_is_no_shop() -> None:
    body = "x\n\nElon Zusk’s firm bid. Zusk’s rival too."
    found = [
        _at(body, "Elon Zusk", "Elon Zusk", PERSON),
        _at(body, "Zusk’s", "Zusk", PERSON),
    ]
    assert {m.kind for m in resolve_article(body, 1, found)} == {PERSON}


def test_a_one_word_name_written_after_a_given_name_stays_a_person() -> None:
    body = "x\n\nThe house where Michael Vorgstrom lived. Vorgstrom left in 1950."
    found = [_at(body, "Vorgstrom", "Vorgstrom", PERSON, 1)]
    assert {m.kind for m in resolve_article(body, 1, found)} == {PERSON}


def test_a_one_word_organisation_written_after_a_given_name_or_a_family_word_is_a_person() -> None:
    body = "x\n\nChris Vellacott starred. Vellacott returns. His wife, Marisol, agreed."
    found = [
        _at(body, "Vellacott", "Vellacott", ORG, 1),
        _at(body, "Marisol", "Marisol", ORG),
    ]
    assert {m.kind for m in resolve_article(body, 1, found)} == {PERSON}
