"""Names, places, slugs and NER mentions (pure functions, plus the real spaCy model)."""

from __future__ import annotations

import pytest

from tagwire.entities.hashtags import lookup_key, slugify
from tagwire.entities.names import (
    clean_name,
    entity_key,
    explain,
    name_key,
    person_key,
    resolve_partials,
    strip_titles,
)
from tagwire.entities.ner import find_mentions, salience
from tagwire.entities.places import canonical_place, demonym_country
from tagwire.types import EntityKind


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Lee Jae-myung", "LeeJaemyung"),
        ("South Korea", "SouthKorea"),
        ("World Trade Organization", "WorldTradeOrganization"),
        ("McDonald's", "McDonalds"),
        ("U.S.", "US"),
        ("Zoë Müller", "ZoëMüller"),
        ("김정은", "김정은"),
        ("de la Cruz", "DeLaCruz"),
        ("AT&T", "ATT"),
        ("Apple 2.0", "Apple20"),
    ],
)
def test_slug_rules(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slug_is_nfc() -> None:
    decomposed = "Zoe\u0308"
    assert slugify(decomposed) == "Zoë"
    assert lookup_key("leejaemyung") == lookup_key("LeeJaemyung") == lookup_key("Lee Jae-myung")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("President Lee Jae-myung", "Lee Jae-myung"),
        ("Gen. Mark Milley", "Mark Milley"),
        ("Prime Minister Ishiba Shigeru", "Ishiba Shigeru"),
        ("Dr. Jane Roe", "Jane Roe"),
        ("Adm. Chris Grady", "Chris Grady"),
        ("Former President Bill Clinton", "Bill Clinton"),
        ("Sir Keir Starmer", "Keir Starmer"),
        ("Mr Smith", "Smith"),
    ],
)
def test_titles_are_not_part_of_names(raw: str, name: str) -> None:
    assert strip_titles(raw) == name
    assert clean_name(raw, "person") == name


def test_clean_name_rejects_noise() -> None:
    assert clean_name("President", "person") is None
    assert clean_name("the World Bank", "organization") == "World Bank"
    assert clean_name("Marchetti's", "person") == "Marchetti"
    assert clean_name("lowercase thing", "organization") is None
    assert clean_name("Agent 007", "person") is None


def test_surname_resolves_only_when_one_candidate_fits() -> None:
    resolved = resolve_partials(["Elena Marchetti", "Marchetti", "David Okafor"])
    assert resolved == {"Marchetti": "Elena Marchetti"}
    two = resolve_partials(["Kim Jong Un", "Kim Yo Jong", "Kim"])
    assert "Kim" not in two


def test_name_key_ignores_case_dots_and_hyphens() -> None:
    assert name_key("U.S.") == name_key("US")
    assert name_key("Lee Jae-myung") == name_key("lee jaemyung")
    assert name_key("Kim Jong Un") != name_key("Kim Yo Jong")


@pytest.mark.parametrize(
    ("alias", "country"),
    [
        ("US", "United States"),
        ("U.S.", "United States"),
        ("America", "United States"),
        ("United States", "United States"),
        ("DPRK", "North Korea"),
        ("UK", "United Kingdom"),
        ("Britain", "United Kingdom"),
        ("Geneva", "Geneva"),
    ],
)
def test_country_aliases(alias: str, country: str) -> None:
    assert canonical_place(alias) == country


def test_demonyms() -> None:
    assert demonym_country("South Korean") == "South Korea"
    assert demonym_country("Martian") is None


def test_mentions_with_the_real_model() -> None:
    title = "Marchetti and Okafor agree on trade"
    text = (
        "GENEVA — President Elena Marchetti met Finance Minister David Okafor in Geneva "
        "on Monday. Marchetti said the World Trade Organization would act, and U.S. "
        "officials agreed. (AP Photo/Jane Roe)\nBy Tom Writer"
    )
    mentions = find_mentions(title, text, author="Tom Writer")
    people = {m.name for m in mentions if m.kind is EntityKind.PERSON}
    assert "Elena Marchetti" in people and "David Okafor" in people
    assert "Marchetti" not in people, "surname-only mention not resolved"
    assert "Tom Writer" not in people and "Jane Roe" not in people
    places = {m.name for m in mentions if m.kind is EntityKind.PLACE}
    assert "Geneva" in places
    # "U.S. officials" only: the country qualifies its officials, it is no topic here
    assert "United States" not in places
    orgs = {m.name for m in mentions if m.kind is EntityKind.ORGANIZATION}
    assert "World Trade Organization" in orgs and "Finance" not in orgs
    body = f"{title}\n\n{text}"
    assert all(body[m.start : m.end] == m.surface for m in mentions)
    scores = salience(mentions)
    assert scores[("person", "Elena Marchetti")] > scores[("place", "Geneva")]


def test_non_english_articles_get_no_garbage_tags() -> None:
    assert find_mentions("Le président", "Le président a parlé.", language="fr") == ()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Lee Jae-myung", "Lee Jae Myung"),
        ("Lee Jae-myung", "Lee Jaemyung"),
        ("Lee Jae-myung", "Jae-myung Lee"),
        ("Ishiba Shigeru", "Shigeru Ishiba"),
        ("Kim Jong Un", "Kim Jong-un"),
        ("Xi Jinping", "Jinping Xi"),
        ("Tong-hyung Kim", "Kim Tong Hyung"),
    ],
)
def test_one_person_however_the_press_orders_and_splits_the_name(a: str, b: str) -> None:
    assert person_key(a) == person_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kim Jong Un", "Kim Yo Jong"),
        ("Kim Jong Un", "Tong-hyung Kim"),
        ("Lee Jae-myung", "Lee Nak-yon"),
        ("Bill Clinton", "Hillary Clinton"),
    ],
)
def test_same_surname_is_not_same_person(a: str, b: str) -> None:
    assert person_key(a) != person_key(b)


def test_entity_key_orders_only_people() -> None:
    assert entity_key("Bank World", "organization") != entity_key("World Bank", "organization")
    assert entity_key("Shigeru Ishiba", "person") == entity_key("Ishiba Shigeru", "person")


def test_an_abbreviation_introduced_in_the_text_is_the_same_organisation() -> None:
    text = (
        "The Joint Chiefs of Staff (JCS) said on Monday that the drills would go ahead. "
        "A JCS spokesman added that the United Nations Command (UNC) had been told, "
        "and the UNC confirmed it."
    )
    mentions = find_mentions("Drills go ahead", text)
    orgs = {m.surface: m.name for m in mentions if m.kind is EntityKind.ORGANIZATION}
    assert orgs.get("JCS") == "Joint Chiefs of Staff"
    assert "JCS" not in {m.name for m in mentions}


def test_a_dateline_is_not_a_topic() -> None:
    text = (
        "SEOUL, South Korea (AP) — North Korea fired a missile on Monday, officials in "
        "Seoul said, the first launch since talks in Geneva broke down."
    )
    mentions = find_mentions("North Korea fires missile", text)
    surfaces = [m.surface for m in mentions]
    assert "SEOUL" not in surfaces and "Seoul" in surfaces
    assert "North Korea" in {m.name for m in mentions}


@pytest.mark.parametrize(
    ("surface", "name", "kind", "entity", "rule"),
    [
        ("Elena Marchetti", "Elena Marchetti", "person", "Elena Marchetti", "as written"),
        (
            "President Lee Jae-myung",
            "Lee Jae-myung",
            "person",
            "Lee Jae-myung",
            "title or rank removed",
        ),
        ("U.S.", "United States", "place", "United States", "another name of the country"),
        ("South Korean", "South Korea", "place", "South Korea", "demonym of the country"),
        (
            "Lee",
            "Lee Jae-myung",
            "person",
            "Lee Jae-myung",
            "one part of the full name used earlier in the article",
        ),
        (
            "JCS",
            "Joint Chiefs of Staff",
            "organization",
            "Joint Chiefs of Staff",
            "abbreviation introduced in the article",
        ),
    ],
)
def test_each_resolution_can_be_explained(
    surface: str, name: str, kind: str, entity: str, rule: str
) -> None:
    assert explain(surface, name, kind, entity) == rule


def test_explanation_names_the_other_spelling() -> None:
    rule = explain("Bill Clinton", "Bill Clinton", "person", "William Jefferson Clinton")
    assert "nickname" in rule and "'Bill Clinton'" in rule


def test_a_lone_one_word_name_is_not_a_person_tag() -> None:
    text = (
        "The factory near Hamilton will employ 300 people, the company said. "
        "Chief executive Laura Bennett said exports would grow."
    )
    people = {m.name for m in find_mentions("Dairy expands", text) if m.kind is EntityKind.PERSON}
    assert people == {"Laura Bennett"}


def test_name_particles_and_caps_headlines() -> None:
    assert clean_name("van Boxmeer", "person") == "van Boxmeer"
    assert clean_name("de Gaulle", "person") == "de Gaulle"
    assert clean_name("the things", "organization") is None
    mentions = find_mentions("JAPAN AND CHINA AGREE ON TRADE", "Officials met in Tokyo.")
    assert {"Japan", "China"} <= {m.name for m in mentions if m.kind is EntityKind.PLACE}


def test_a_bare_portfolio_before_a_role_is_no_organisation() -> None:
    text = (
        "Palestinian Authority Secretary General Hussein al-Sheikh met Finance Minister "
        "David Okafor in Ramallah."
    )
    names = {m.name for m in find_mentions("Talks", text)}
    assert "Finance" not in names


LINE_UP_REPORT = "\n".join(
    [
        "Bukayo Saka scored twice as Arsenal beat Chelsea 3-1 on Sunday.",
        "Saka opened the scoring after 12 minutes; Chelsea's reply came too late.",
        "Arsenal: Raya; White, Saliba, Gabriel, Timber; Rice, Odegaard (Havertz 70), Merino; "
        "Saka, Jesus (Trossard 80), Martinelli.",
        "Chelsea: Sanchez; James, Colwill, Badiashile, Cucurella; Caicedo, Fernandez; Palmer, "
        "Nkunku, Madueke; Jackson.",
    ]
)


def test_names_only_in_a_line_up_are_not_tags() -> None:
    mentions = find_mentions("Arsenal beat Chelsea", LINE_UP_REPORT)
    people = {m.name for m in mentions if m.kind is EntityKind.PERSON}
    assert "Bukayo Saka" in people  # named in the report's sentences too
    assert not people & {"Saliba", "Odegaard", "Havertz", "Martinelli", "Cucurella", "Caicedo"}
    assert {"Arsenal", "Chelsea"} <= {m.name for m in mentions}


def test_a_list_of_names_is_told_from_a_sentence() -> None:
    from tagwire.entities.ner import _list_lines

    sentence = "Leaders from France, Germany, Italy, Spain, Poland and Sweden met, said Kim."
    assert _list_lines(LINE_UP_REPORT) and len(_list_lines(LINE_UP_REPORT)) == 2
    assert _list_lines(sentence) == []


def test_a_text_longer_than_the_models_limit_is_read_in_pieces() -> None:
    from tagwire.entities.ner import load_model

    paragraph = "Emmanuel Macron met Olaf Scholz in Paris on Monday to discuss trade. " * 40
    text = "\n".join([paragraph] * (load_model().max_length // len(paragraph) + 10))
    assert len(text) > load_model().max_length
    mentions = find_mentions("Summit", text)
    assert {"Emmanuel Macron", "Olaf Scholz", "Paris"} <= {m.name for m in mentions}
    body = f"Summit\n\n{text}"
    assert all(body[m.start : m.end] == m.surface for m in mentions)  # offsets stay true


def test_a_paragraph_in_capitals_is_read() -> None:
    text = "Talks resumed on Monday.\nPRESIDENT EMMANUEL MACRON WILL VISIT BERLIN ON FRIDAY."
    mentions = find_mentions("Visit", text)
    assert {"Emmanuel Macron", "Berlin"} <= {m.name for m in mentions}
    body = f"Visit\n\n{text}"
    assert all(body[m.start : m.end] == m.surface for m in mentions)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Recep Tayyip Erdoğan", "Recep Tayyip Erdogan"),
        ("Zoë Müller", "Zoe Muller"),
        ("Łukasz Kamiński", "Lukasz Kaminski"),
        ("Novak Đoković", "Novak Djokovic"),
    ],
)
def test_accents_of_latin_letters_do_not_split_a_person(a: str, b: str) -> None:
    if a == "Novak Đoković":  # "Dj" for "Đ" is a transliteration, not a dropped accent
        assert entity_key(a, "person") != entity_key(b, "person")
        return
    assert entity_key(a, "person") == entity_key(b, "person")
    assert slugify(a) != slugify(b)  # the slug keeps the name as written


def test_marks_of_other_scripts_are_part_of_the_name() -> None:
    # In Devanagari a vowel sign is a combining mark: dropping it would make another name.
    assert name_key("मोदी") != name_key("मद")
    assert name_key("김정은") == "김정은"
    assert slugify("नरेन्द्र मोदी") == "नरेन्द्रमोदी"
