"""The knowledge layer and the pure decisions of entity identity (no model, no store):
what is not an entity, short forms, one kind per name, headlines, known people."""

from __future__ import annotations

import pytest

from tagwire.entities.filters import NotEntity, not_an_entity
from tagwire.entities.identity import Known, known_person, lookup_keys
from tagwire.entities.knowledge import (
    is_broad_place,
    kind_evidence,
    state_for,
    without_legal_suffix,
)
from tagwire.entities.ner import salience
from tagwire.entities.places import canonical_place
from tagwire.entities.resolve import resolve_article
from tagwire.types import EntityKind, Mention

PERSON, ORG, PLACE = EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.PLACE


@pytest.mark.parametrize(
    ("name", "kind", "why"),
    [
        ("USB", ORG, NotEntity.COMMON_ABBREVIATION),
        ("IPO", ORG, NotEntity.COMMON_ABBREVIATION),
        ("Southeast", PLACE, NotEntity.DIRECTION),
        ("Western", PLACE, NotEntity.DIRECTION),
        ("the Western District", PLACE, NotEntity.DIRECTION),  # a court's, for its office
        ("American Music Awards", ORG, NotEntity.EVENT),
        ("Amsterdam Light Festival", ORG, NotEntity.EVENT),
        ("Davis Cup", PERSON, NotEntity.EVENT),  # whatever the label
        ("Hang Seng Index", ORG, NotEntity.EVENT),
        ("Affordable Care Act", ORG, NotEntity.EVENT),
        ("LC500", ORG, NotEntity.MODEL_NUMBER),
        ("Seventh Street", PLACE, NotEntity.ADDRESS),
        ("Bleacher Report, Uber Eats", ORG, NotEntity.LIST),
        ("Wild", PLACE, NotEntity.COMMON_WORD),  # the article writes "the wild"
        ("SPEND", ORG, NotEntity.COMMON_WORD),  # a heading's word in capitals
        ("Ilhan OmarIlhan", PERSON, NotEntity.RUN_TOGETHER),
        ("the Armenian Genocide", PLACE, NotEntity.EVENT),
        ("Parisians", ORG, NotEntity.RESIDENTS),
        ("New Yorkers", PERSON, NotEntity.RESIDENTS),
        ("Mariners", ORG, None),  # a team: Marin is too small to be read as its people's
        ("Texans", ORG, None),  # "-ans" is left alone: teams are named so
    ],
)
def test_what_is_not_a_person_organisation_or_place(
    name: str, kind: EntityKind, why: NotEntity | None
) -> None:
    assert not_an_entity(name, kind, frozenset({"wild", "animals", "spend"})) == why


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("NASA", ORG),
        ("Toyota", ORG),
        ("Premier League", ORG),  # an organisation's word wins over "league" events
        ("Festival Committee", ORG),
        ("Washington, D.C.", PLACE),
        ("Kim Jong Un", PERSON),
        ("G20", ORG),
        ("3M", ORG),
        ("US", PLACE),  # "us" in lower case is a pronoun, not the country
        ("GlaxoSmithKline", ORG),  # inner capitals that repeat nothing
    ],
)
def test_real_names_pass_the_filter(name: str, kind: EntityKind) -> None:
    assert not_an_entity(name, kind, frozenset({"us", "the", "wild"})) is None


def test_gazetteers_vouch_for_kinds() -> None:
    assert kind_evidence("Columbus Police Department") is ORG
    assert kind_evidence("Acme Corp.") is ORG
    assert kind_evidence("Texas") is PLACE
    assert kind_evidence("South Korea") is PLACE
    assert kind_evidence("Jane Doe") is None
    assert without_legal_suffix("Acme Corp.") == "Acme"
    assert without_legal_suffix("Deutsche Bank AG") == "Deutsche Bank"
    assert without_legal_suffix("United States") == "United States"
    assert is_broad_place("Europe") and is_broad_place("the Middle East")
    assert not is_broad_place("Geneva")


@pytest.mark.parametrize(
    ("surface", "after_comma", "state"),
    [
        ("Calif.", False, "California"),
        ("Ga.", False, "Georgia"),
        ("N.J.", False, "New Jersey"),
        ("NJ", True, "New Jersey"),
        ("NJ", False, None),  # a bare code is a state only where a city's comma precedes it
        ("CT", False, None),  # "a CT scan"
        ("Paris", True, None),
    ],
)
def test_us_state_abbreviations(surface: str, after_comma: bool, state: str | None) -> None:
    assert state_for(surface, after_comma) == state


def _m(surface: str, name: str, kind: EntityKind, start: int, title: bool = False) -> Mention:
    return Mention(surface, name, kind, start, start + len(surface), title)


def test_one_article_one_entity_per_name_and_short_forms_joined() -> None:
    title = "Acme Plan Falls Short"
    body = title + "\n\nThe National Football League said NFL teams met Acme Corp. in Trenton, NJ."
    found = [
        _m("Acme Plan Falls Short", "Acme Plan Falls Short", ORG, 0, True),
        _m("National Football League", "National Football League", ORG, 27),
        _m("NFL", "NFL", ORG, 57),
        _m("Acme Corp.", "Acme Corp.", PERSON, 71),
        _m("Trenton", "Trenton", PLACE, 85),
        _m("NJ", "NJ", ORG, 94),
    ]
    for m in found:
        assert body[m.start : m.end] == m.surface
    out = resolve_article(body, len(title), found)
    names = [(m.surface, m.name, m.kind) for m in out]
    assert ("NFL", "National Football League", ORG) in names
    assert ("Acme Corp.", "Acme", ORG) in names  # legal suffix gone, kind by evidence
    assert ("NJ", "New Jersey", PLACE) in names
    assert all(m.surface != "Acme Plan Falls Short" for m in out)  # headline words
    # The headline names Acme, which the text confirms: ranked as a title mention.
    assert any(m.name == "Acme" and m.in_title for m in out)


def test_a_name_the_model_labels_twice_is_one_kind() -> None:
    body = "x\n\nSpaceX said. SpaceX launched. SpaceX flew."
    found = [_m("SpaceX", "SpaceX", k, 3 + 13 * i) for i, k in enumerate((PERSON, ORG, ORG))]
    assert {m.kind for m in resolve_article(body, 1, found)} == {ORG}


def test_a_makers_product_is_not_an_organisation() -> None:
    body = "x\n\nApple sold Apple AirPods."
    found = [_m("Apple", "Apple", ORG, 3), _m("Apple AirPods", "Apple AirPods", ORG, 14)]
    assert [m.name for m in resolve_article(body, 1, found)] == ["Apple"]


def test_broad_places_rank_after_specific_tags() -> None:
    found = (
        _m("Europe", "Europe", PLACE, 0, True),
        _m("Geneva", "Geneva", PLACE, 500),
    )
    scores = salience(found)
    assert scores[("place", "Geneva")] > scores[("place", "Europe")]


def test_identity_across_articles_is_kind_independent() -> None:
    keys = lookup_keys("Jane Doe", "organization")
    assert keys[0] == ("organization", "janedoe")
    assert ("person", "doe jane") in keys


def test_known_people_by_full_name_and_surname() -> None:
    clintons = [Known(1, "William Jefferson Clinton", "person", 9)]
    assert known_person("Bill Clinton", clintons) == 1
    assert known_person("Hillary Clinton", clintons) is None
    both = [*clintons, Known(2, "Hillary Clinton", "person", 8)]
    assert known_person("Clinton", both) is None  # two people: the surname says neither
    trumps = [Known(3, "Donald Trump", "person", 40), Known(4, "Fred Trump", "person", 2)]
    assert known_person("Trump", trumps) == 3  # one clearly dominates the corpus
    alone = [Known(5, "Rudolph", "person", 2)]
    assert known_person("Mason Rudolph", alone) == 5  # known by the surname alone so far


def test_most_active_and_trending_put_continents_last() -> None:
    from tagwire.service.tag_queries import specificity
    from tagwire.store.records import EntityRecord

    asia = EntityRecord(1, "Asia", "Asia", "place", 6)
    geneva = EntityRecord(2, "Geneva", "Geneva", "place", 6)
    wto = EntityRecord(3, "WTO", "World Trade Organization", "organization", 4)
    ranked = sorted([asia, geneva, wto], key=lambda e: -e.article_count * specificity(e))
    assert ranked == [geneva, wto, asia]


def test_abbreviations_an_article_resolves_are_taught() -> None:
    from tagwire.entities.identity import is_abbreviation, short_forms

    rows = [
        ("NFL", "National Football League", 7),
        ("the NFL", "National Football League", 7),  # not an abbreviation as written
        ("Calif.", "California", 9),
        ("NASA", "NASA", 3),  # as written: nothing to learn
        ("Acme", "Acme", 4),
    ]
    assert short_forms(rows) == [("NFL", 7), ("Calif.", 9)]
    assert is_abbreviation("U.N.") and not is_abbreviation("Acme")


def test_a_stored_entity_takes_the_kind_the_evidence_says() -> None:
    from tagwire.entities.identity import better_kind

    assert better_kind("organization", "person", "Mason Rudolph") == "person"
    assert better_kind("person", "organization", "Columbus Police Department") == "organization"
    assert better_kind("person", "place", "Nairobi") == "place"
    assert better_kind("organization", "place", "Toyota") is None  # a company named after a town
    assert better_kind("organization", "place", "Netflix") is None  # no evidence: keep
    assert better_kind("place", "place", "Geneva") is None


def test_spans_that_name_no_person() -> None:
    body = (
        "x\n\nMax said the Tomb Raider is back. Jeff Bezos’s Blue Origin flew. "
        "Striker Neymar, Neymar."
    )
    found = [
        _m("Max", "Max", PERSON, 3),
        _m("the Tomb Raider", "Tomb Raider", PERSON, 12),
        _m("Jeff Bezos’s Blue Origin", "Jeff Bezos’s Blue Origin", ORG, 37),
        _m("Neymar", "Neymar", PERSON, 76),
        _m("Neymar", "Neymar", PERSON, 84),
    ]
    for m in found:
        assert body[m.start : m.end] == m.surface
    out = resolve_article(body, 1, found)
    assert [(m.name, m.kind) for m in out] == [
        ("Blue Origin", ORG),
        ("Neymar", PERSON),
        ("Neymar", PERSON),
    ]


def test_a_one_word_person_without_a_title_or_a_surname_is_an_organisation() -> None:
    body = "x\n\nZwitter said it would. Zwitter agreed. President Obrama, Obrama."
    found = [
        _at(body, "Zwitter", "Zwitter", PERSON),
        _at(body, "Zwitter", "Zwitter", PERSON, 1),
        _at(body, "Obrama", "Obrama", PERSON),
        _at(body, "Obrama", "Obrama", PERSON, 1),
    ]
    out = {(m.name, m.kind) for m in resolve_article(body, 1, found)}
    assert out == {("Zwitter", ORG), ("Obrama", PERSON)}


def test_generational_suffixes_do_not_split_a_person() -> None:
    from tagwire.entities.names import same_person, surname

    assert surname("Patrick W. Carlineo Jr.") == "carlineo"
    assert same_person("Patrick W. Carlineo Jr.", "Pat Carlineo")
    assert same_person("James P. Kennedy Jr.", "James Kennedy")
    assert not same_person("James Kennedy Jr.", "John Kennedy")


def test_a_word_of_the_articles_one_person_is_that_person() -> None:
    body = "x\n\nScooter Braun bought it. Braun said."
    found = [_m("Scooter Braun", "Scooter Braun", PERSON, 3), _m("Braun", "Braun", ORG, 26)]
    assert {(m.name, m.kind) for m in resolve_article(body, 1, found)} == {
        ("Scooter Braun", PERSON)
    }


def test_known_places_the_model_missed_are_found_by_name() -> None:
    body = "Tour\n\nJuly 2 - Cuyahoga Falls, OH, then China and the New York Times office."
    out = resolve_article(body, 4, [])
    assert {(m.surface, m.name) for m in out} == {("OH", "Ohio"), ("China", "China")}
    for m in out:
        assert body[m.start : m.end] == m.surface and m.kind is PLACE


class _Known:
    """What a store would answer, as plain dicts: identity decisions need no database."""

    def __init__(self) -> None:
        self.keys = {("organization", "acme"): 1, ("person", "clinton william"): 2}
        self.kinds = {1: "organization", 2: "person", 3: "person"}
        self.aliases = {"peoplesliberationarmy": 4}
        self.people = {"clinton": [Known(2, "William Clinton", "person", 5)]}

    def stored_keys(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return {k: v for k, v in self.keys.items() if k in keys}

    def alias_ids(self, forms: set[str]) -> dict[str, int]:
        return {f: i for f, i in self.aliases.items() if f in forms}

    def people_named(self, family: str) -> list[Known]:
        return self.people.get(family, [])

    def people_of(self, families: set[str]) -> dict[str, list[Known]]:
        return {f: p for f, p in self.people.items() if f in families}

    def kind_of(self, entity_id: int) -> str:
        return self.kinds[entity_id]


def test_identity_decisions_are_a_plan_the_store_writes() -> None:
    from tagwire.entities.identity import identify

    plan = identify(
        [
            ("place", "Acme"),  # stored as an organisation: that entity, a key added
            ("organization", "Peoples Liberation Army"),  # its slug answers already
            ("person", "Bill Clinton"),  # a known person's nickname form
            ("person", "Jane Roe"),  # nobody known: a new entity
            ("person", "Jane Roe"),
        ],
        _Known(),
    )
    assert plan.found == {
        ("place", "acme"): 1,
        ("organization", "peoplesliberationarmy"): 4,
        ("person", "bill clinton"): 2,
    }
    assert ("place", "acme", 1, "Acme") in plan.new_keys
    assert ("person", "bill clinton", 2, "Bill Clinton") in plan.new_keys
    assert plan.create == [("person", "Jane Roe", "jane roe")]
    assert plan.new_kinds == []  # no evidence that Acme is a place


def test_planets_and_large_cities_are_places_whatever_the_label() -> None:
    assert kind_evidence("Mars") is PLACE and kind_evidence("Titan") is PLACE
    assert kind_evidence("Accra") is PLACE
    assert kind_evidence("Toyota") is None and kind_evidence("Pittsburgh") is None


def test_a_sentences_first_verb_is_no_part_of_a_name() -> None:
    body = "Tim Cook on Apple\n\nTim Cook spoke. Hosting Cook, the firm said more."
    found = [
        _m("Tim Cook", "Tim Cook", PERSON, 0, True),
        _m("Tim Cook", "Tim Cook", PERSON, 19),
        _m("Hosting Cook", "Hosting Cook", PERSON, 35),
    ]
    for m in found:
        assert body[m.start : m.end] == m.surface
    out = resolve_article(body, 17, found)
    assert {m.name for m in out} == {"Tim Cook"}  # "Cook" is then the one Cook of the text
    assert [m.surface for m in out if m.in_title] == ["Tim Cook"]  # no second title mention


def test_a_tag_typed_as_words_finds_its_entity_by_identity() -> None:
    from tagwire.entities.identity import find

    known = _Known()
    assert find("William Clinton", known) == 2  # its key, another order of the words
    assert find("Clinton William", known) == 2
    assert find("Bill Clinton", known) == 2  # a nickname of the one known Clinton
    assert find("Hillary Clinton", known) is None


def _at(body: str, surface: str, name: str, kind: EntityKind, nth: int = 0) -> Mention:
    """A mention of the ``nth`` occurrence of ``surface`` in ``body``."""
    start = -1
    for _ in range(nth + 1):
        start = body.index(surface, start + 1)
    return Mention(surface, name, kind, start, start + len(surface), False)


def test_a_headline_span_is_no_full_name_for_the_texts_names() -> None:
    title = "Harbor Picks Acme For Bridge"
    body = title + "\n\nHarbor officials met Acme on Monday. Acme said yes."
    found = [
        Mention(title[:17], "Harbor Picks Acme", PERSON, 0, 17, True),
        _at(body, "Acme", "Acme", PERSON, 1),
        _at(body, "Acme", "Acme", ORG, 2),
    ]
    names = {m.name for m in resolve_article(body, len(title), found)}
    assert "Harbor Picks Acme" not in names
    assert "Acme" in names


def test_a_product_read_as_a_person_is_dropped_and_a_person_is_kept() -> None:
    body = "x\n\nThe Quasar Pro is fast. Buy a Quasar Pro today. Olaf Brenner runs the shop."
    found = [
        _at(body, "Quasar Pro", "Quasar Pro", PERSON),
        _at(body, "Quasar Pro", "Quasar Pro", PERSON, 1),
        _at(body, "Olaf Brenner", "Olaf Brenner", PERSON),
    ]
    names = {m.name for m in resolve_article(body, 1, found)}
    assert names == {"Olaf Brenner"}  # "pro" is a common word, "Brenner" is not


def test_a_person_whose_surname_is_a_common_word_is_kept_after_a_role() -> None:
    body = "x\n\nMidfielder Kyrell Sword scored. Then Kyrell Sword left."
    found = [
        _at(body, "Kyrell Sword", "Kyrell Sword", PERSON),
        _at(body, "Kyrell Sword", "Kyrell Sword", PERSON, 1),
    ]
    assert {m.name for m in resolve_article(body, 1, found)} == {"Kyrell Sword"}


def test_a_person_labelled_an_organisation_after_a_role_is_a_person() -> None:
    body = "x\n\nThe board named executive chair Marco Velloni. Velloni agreed."
    found = [
        _at(body, "Marco Velloni", "Marco Velloni", ORG),
        _at(body, "Velloni", "Velloni", ORG, 1),
    ]
    out = {(m.name, m.kind) for m in resolve_article(body, 1, found)}
    assert out == {("Marco Velloni", PERSON)}


def test_result_lines_numbers_and_position_prefixes_are_cleaned() -> None:
    body = "x\n\nNorthfield d. Eastbrook 3-1. Riverside DL Tom Akers said 8 points."
    found = [
        _at(body, "Northfield d. Eastbrook", "Northfield d. Eastbrook", ORG),
        _at(body, "Riverside DL Tom Akers", "Riverside DL Tom Akers", PERSON),
    ]
    names = {m.name for m in resolve_article(body, 1, found)}
    assert {"Northfield", "Eastbrook", "Tom Akers"} <= names
    assert not any(" d. " in n or "DL" in n for n in names)
    assert not_an_entity("Jordan Munoz 8", PERSON, frozenset()) is NotEntity.NUMBERED


def test_a_country_before_a_name_and_an_owners_possessive_are_cut() -> None:
    body = "x\n\nThe envoy for Ukraine Kurt Vollmer spoke. Jeff Bezos’s Blue Origin bid."
    found = [
        _at(body, "Ukraine Kurt Vollmer", "Ukraine Kurt Vollmer", ORG),
        _at(body, "Jeff Bezos’s Blue Origin", "Jeff Bezos’s Blue Origin", PERSON),
    ]
    out = {(m.name, m.kind) for m in resolve_article(body, 1, found)}
    assert ("Kurt Vollmer", PERSON) in out and ("Jeff Bezos", PERSON) in out


def test_nicknames_of_one_person_in_one_article_are_one_name() -> None:
    body = "x\n\nJoshua Kemble wrote it. Josh Kemble agreed. Joshua Kemble left."
    found = [
        _at(body, "Joshua Kemble", "Joshua Kemble", PERSON),
        _at(body, "Josh Kemble", "Josh Kemble", PERSON),
        _at(body, "Joshua Kemble", "Joshua Kemble", PERSON, 1),
    ]
    assert {m.name for m in resolve_article(body, 1, found)} == {"Joshua Kemble"}


def test_a_country_named_only_by_its_demonym_is_no_tag() -> None:
    found = (
        _m("Australian", "Australia", PLACE, 0, True),
        _m("Canberra", "Canberra", PLACE, 50),
    )
    scores = salience(found)
    assert ("place", "Australia") not in scores and ("place", "Canberra") in scores


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("Logar Province", "Logar"),
        ("Inner Mongolia Autonomous Region", "Inner Mongolia"),
        ("Nowhere Province", "Nowhere Province"),  # not a known place: left as written
    ],
)
def test_administrative_words_after_a_region(name: str, place: str) -> None:

    assert canonical_place(name) == place


def test_organisms_diseases_and_instruments_are_no_entities() -> None:
    body = "x\n\nMosquitoes carrying the Zembachia bacterium were released. Zembachia spread."
    body += " The bacterium Yerzinia pestis was found. Yerzinia is old."
    found = [
        _at(body, "Zembachia", "Zembachia", ORG),
        _at(body, "Zembachia", "Zembachia", ORG, 1),
        _at(body, "Yerzinia", "Yerzinia", ORG),
        _at(body, "Yerzinia", "Yerzinia", ORG, 1),
    ]
    assert resolve_article(body, 1, found) == ()
    assert not_an_entity("Large Hadron Collider", PLACE, frozenset()) is NotEntity.EVENT


def test_an_organisations_possessive_makes_its_own_thing_a_product() -> None:
    body = "x\n\nZapple said. Zapple’s AirCharge failed. AirCharge was late. Vietnam’s Party met."
    found = [
        _at(body, "Zapple", "Zapple", ORG),
        _at(body, "Zapple’s AirCharge", "Zapple’s AirCharge", ORG),
        _at(body, "AirCharge", "AirCharge", ORG, 1),
        _at(body, "Vietnam’s Party", "Vietnam’s Party", ORG),
    ]
    names = [m.name for m in resolve_article(body, 1, found)]
    assert "AirCharge" not in names and "Zapple" in names
    assert "Party" in names  # a country's possessive owns no product


def test_a_shorter_form_of_one_longer_name_is_that_name() -> None:

    body = "x\n\nJoel Eriksson Ek scored. Eriksson Ek smiled. The Chinese Workers Party met. "
    body += "The Workers Party spoke. Logar province and Logar."
    found = [
        _at(body, "Joel Eriksson Ek", "Joel Eriksson Ek", PERSON),
        _at(body, "Eriksson Ek", "Eriksson Ek", PERSON, 1),
        _at(body, "Chinese Workers Party", "Chinese Workers Party", ORG),
        _at(body, "Workers Party", "Workers Party", ORG, 1),
        _at(body, "Logar province", canonical_place("Logar province"), PLACE),
        _at(body, "Logar", "Logar", PLACE, 1),
    ]
    names = {m.name for m in resolve_article(body, 1, found)}
    assert names == {"Joel Eriksson Ek", "Chinese Workers Party", "Logar"}


def test_said_before_a_one_word_name_is_no_title() -> None:
    body = "x\n\nThe agency said Zpacex would fly. Zpacex agreed. Coach Vogelman smiled."
    found = [
        _at(body, "Zpacex", "Zpacex", PERSON),
        _at(body, "Zpacex", "Zpacex", PERSON, 1),
        _at(body, "Vogelman", "Vogelman", PERSON),
        _at(body, "Vogelman", "Vogelman", PERSON),
    ]
    out = {(m.name, m.kind) for m in resolve_article(body, 1, found)}
    assert out == {("Zpacex", ORG), ("Vogelman", PERSON)}


def test_an_abbreviation_of_lower_case_words_is_no_organisation() -> None:
    body = "x\n\nHe had hypersensitivity pneumonitis, or HP. HP is rare."
    found = [
        _at(body, "HP", "HP", ORG),
        _at(body, "HP", "HP", ORG, 1),
    ]
    assert resolve_article(body, 1, found) == ()


def test_a_celestial_body_is_no_common_word() -> None:
    lower = frozenset({"moon", "wild"})
    assert not_an_entity("Moon", PERSON, lower) is None  # "a moon of Jupiter" beside it
    assert not_an_entity("Wild", PLACE, lower) is NotEntity.COMMON_WORD


def test_an_organisation_after_a_role_that_it_qualifies_is_no_person() -> None:
    body = "x\n\nsaid the deputy Harbor House press secretary. The Harbor House agreed."
    found = [
        _at(body, "Harbor House", "Harbor House", ORG),
        _at(body, "Harbor House", "Harbor House", ORG, 1),
    ]
    assert {m.kind for m in resolve_article(body, 1, found)} == {ORG}


def test_a_speech_verb_before_an_organisation_makes_no_person() -> None:
    body = "x\n\nA source told Agence Zorvane-Presse on Monday."
    found = [_at(body, "Agence Zorvane-Presse", "Agence Zorvane-Presse", ORG)]
    assert {m.kind for m in resolve_article(body, 1, found)} == {ORG}
