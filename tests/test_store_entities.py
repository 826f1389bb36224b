"""Entities in the store across articles: entities split by the model's label merged
(migrations 11 and 13), abbreviations, initials, nicknames and surnames learned with their
evidence, kinds that follow the votes of all articles, curation's splits (moved out of
test_store.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tagwire.ingest.tagging import curating
from tagwire.ingest.writer import writing
from tagwire.store import Store
from tagwire.store.migrations import migrate
from tagwire.types import EntityKind, Mention, Source
from test_store import T0, _articles_naming, _insert_with


def test_entities_split_by_the_models_label_merge_into_one(store: Store) -> None:
    """Migration 11: a database made before one entity per identity had "Acme" twice (an
    organisation and a place, the second slugged "AcmePlace"); they become one, with every
    article, mention and spelling, and the old slug answers for it."""
    (source_id,) = store.upsert_sources(
        [Source("A", "https://a.example/", ("https://a.example/rss",))]
    )
    with writing(store) as w:
        ids = []
        for n, kind in enumerate(("organization", "place", "organization")):
            entity = w.entity_id("Acme", "organization")  # created once, then reused
            if kind == "place":  # what the old writer made: a second row for the label
                w.conn.execute(
                    text(
                        "INSERT INTO entities (slug, name, kind, key, created_at, article_count,"
                        " blocked, name_fixed) VALUES ('AcmePlace', 'Acme', 'place', 'acme',"
                        " :at, 0, FALSE, FALSE)"
                    ),
                    {"at": T0},
                )
                entity = w.conn.execute(
                    text("SELECT id FROM entities WHERE slug = 'AcmePlace'")
                ).scalar_one()
                w.conn.execute(
                    text("INSERT INTO entity_aliases (key, entity_id) VALUES ('acmeplace', :e)"),
                    {"e": entity},
                )
            ids.append(entity)
            acme = (Mention("Acme", "Acme", EntityKind(kind), 0, 4, True),)
            _insert_with(w, n, acme, [entity], {entity: 3.0}, source_id)
        w.conn.execute(text("DELETE FROM schema_version WHERE version >= 11"))
    assert len(set(ids)) == 2
    with store.engine.begin() as conn:
        assert 11 in migrate(conn)
        rows = conn.execute(text("SELECT id, slug, article_count FROM entities")).all()
        mentioned = conn.execute(text("SELECT DISTINCT entity_id FROM mentions")).scalars().all()
    assert [(r.slug, r.article_count) for r in rows] == [("Acme", 3)]
    assert mentioned == [rows[0].id]
    assert store.entity("acmeplace").slug == "Acme"  # the lookup key of the old slug


def test_migration_13_makes_new_york_city_and_new_york_one_place(store: Store) -> None:
    """A store written when "New York City" was a place of its own: its entity joins "New
    York" with its articles, and its old slug answers for it."""
    (source_id,) = store.upsert_sources(
        [Source("A", "https://a.example/", ("https://a.example/rss",))]
    )
    with writing(store) as w:
        ids = [w.entity_id(name, "place") for name in ("New York City", "New York")]
        for n, (name, entity) in enumerate(zip(("New York City", "New York"), ids, strict=True)):
            named = (Mention(name, name, EntityKind.PLACE, 0, len(name), True),)
            _insert_with(w, n, named, [entity], {entity: 3.0}, source_id)
        w.conn.execute(text("DELETE FROM schema_version WHERE version >= 13"))
    assert len(set(ids)) == 2
    with store.engine.begin() as conn:
        assert 13 in migrate(conn)
        rows = conn.execute(text("SELECT name, article_count FROM entities")).all()
    assert [(r.name, r.article_count) for r in rows] == [("New York", 2)]
    assert store.entity("newyorkcity").name == "New York"


def test_an_abbreviation_one_article_introduces_is_learned_with_its_evidence(
    store: Store,
) -> None:
    """Article 1 writes "the National Football League (NFL)"; article 2 writes "NFL" alone:
    one entity, and the explanation names article 1 as the evidence."""
    from tagwire.service import explanations

    org = EntityKind.ORGANIZATION
    taught = (
        Mention("National Football League", "National Football League", org, 0, 24, True),
        Mention("NFL", "National Football League", org, 26, 29, False),
    )
    alone = (Mention("NFL", "NFL", org, 0, 3, True),)
    written = _articles_naming(store, taught, alone)
    assert all(len(set(entities)) == 1 for _, entities in written)
    ids = [article_id for article_id, _ in written]
    why = explanations.why_tag_json(store, ids[1], "NationalFootballLeague")
    (mention,) = why["mentions"]
    assert mention["learned_from"] == ids[0]
    assert "learned" in mention["rule"]
    first = explanations.why_tag_json(store, ids[0], "nfl")  # the abbreviation answers as a tag
    assert all(m["learned_from"] is None for m in first["mentions"])


def test_an_abbreviation_seen_alone_first_joins_the_entity_introduced_later(
    store: Store,
) -> None:
    """Article 1 writes "UNICEF" alone, article 2 introduces "United Nations Children's
    Fund (UNICEF)": one entity in the end, as if the two had come the other way round."""
    org = EntityKind.ORGANIZATION
    full = "United Nations Children's Fund"
    alone = (Mention("UNICEF", "UNICEF", org, 0, 6, True),)
    taught = (
        Mention(full, full, org, 0, 30, True),
        Mention("UNICEF", full, org, 32, 38, False),
    )
    first, second = (store.article(i).card for i, _ in _articles_naming(store, alone, taught))
    assert [t.slug for t in first.tags] == [t.slug for t in second.tags]
    assert store.entity("unicef").name == full


@pytest.mark.parametrize("full_first", [True, False])
def test_an_institutions_initials_are_the_institution_in_either_order(
    store: Store, full_first: bool
) -> None:
    """Article A names "Zorvane Health Agency", article B "ZHA" alone; neither introduces
    the letters: one entity in the end, in either order."""
    org = EntityKind.ORGANIZATION
    full = (Mention("Zorvane Health Agency", "Zorvane Health Agency", org, 0, 21, True),)
    short = (Mention("ZHA", "ZHA", org, 0, 3, True),)
    order = (full, short) if full_first else (short, full)
    cards = [store.article(i).card for i, _ in _articles_naming(store, *order)]
    assert len({tuple(t.slug for t in card.tags) for card in cards}) == 1


def test_a_teams_nickname_seen_alone_first_joins_the_team_named_later(store: Store) -> None:
    """Article 1 writes "Gales" alone, article 2 "the Denver Gales ... the Gales", article 3
    "Gales" alone again: one team in the end, whichever came first."""
    org = EntityKind.ORGANIZATION
    alone = (Mention("Gales", "Gales", org, 0, 5, True),)
    named = (
        Mention("Denver Gales", "Denver Gales", org, 0, 12, True),
        Mention("Gales", "Denver Gales", org, 30, 35, False),
    )
    cards = [store.article(i).card for i, _ in _articles_naming(store, alone, named, alone)]
    assert {tuple(t.slug for t in card.tags) for card in cards} == {("DenverGales",)}
    assert store.entity("gales").slug == "DenverGales"  # the old slug answers


def test_a_surname_seen_alone_first_joins_the_person_introduced_later(store: Store) -> None:
    """Article 1 names "Nakamura" alone, article 2 "Hiroshi Nakamura": one person in the
    end, and the old slug answers, as if the two had come the other way round."""
    person = EntityKind.PERSON
    alone = (Mention("Nakamura", "Nakamura", person, 0, 8, True),)
    full = (Mention("Hiroshi Nakamura", "Hiroshi Nakamura", person, 0, 16, True),)
    first, second = (store.article(i).card for i, _ in _articles_naming(store, alone, full))
    assert [t.slug for t in first.tags] == [t.slug for t in second.tags]
    assert store.entity("nakamura").name == "Hiroshi Nakamura"  # the old slug answers


def test_an_entitys_kind_follows_the_votes_of_its_articles(store: Store) -> None:
    """The first article calls "Zorbia" a place, the next two an organisation: the entity
    ends an organisation, as it would whichever article had come first."""
    (source_id,) = store.upsert_sources(
        [Source("A", "https://a.example/", ("https://a.example/rss",))]
    )
    kinds = (EntityKind.PLACE, EntityKind.ORGANIZATION, EntityKind.ORGANIZATION)
    seen = []
    for n, kind in enumerate(kinds):
        mentions = (Mention("Zorbia", "Zorbia", kind, 0, 6, True),)
        with writing(store) as w:
            found = w.entity_ids([(kind.value, "Zorbia")])
            entities = [found[(kind.value, "Zorbia")]]
            _insert_with(w, n, mentions, entities, {entities[0]: 3.0}, source_id)
        seen.append(store.entity("zorbia").kind)
    assert seen == ["place", "place", "organization"]  # a tie keeps the stored kind


def test_a_curation_split_ranks_tags_as_ingest_does(store: Store) -> None:
    """Tags recomputed after a split follow ingest's salience: an organisation named once
    without evidence is still no tag, and the split-off person keeps the title's weight."""
    from tagwire.entities.ner import salience

    (source_id,) = store.upsert_sources(
        [Source("A", "https://a.example/", ("https://a.example/rss",))]
    )
    person, org = EntityKind.PERSON, EntityKind.ORGANIZATION
    mentions = (
        Mention("Bill Lee", "Bill Lee", person, 0, 8, True),
        Mention("Zorbit", "Zorbit", org, 20, 26, False),
        Mention("William Lee", "William Lee", person, 30, 41, False),
    )
    with writing(store) as w:
        pairs = [(m.kind.value, m.name) for m in mentions]
        found = w.entity_ids(pairs[:2])
        # One person (a resolution that joined the two forms); split apart below.
        entities = [found[pairs[0]], found[pairs[1]], found[pairs[0]]]
        scores: dict[int, float] = {}
        for (kind, name), score in salience(mentions).items():
            entity = found[pairs[0]] if name == "William Lee" else found[(kind, name)]
            scores[entity] = scores.get(entity, 0.0) + score
        article = _insert_with(w, 0, mentions, entities, scores, source_id)
    assert [t.name for t in store.article(article).card.tags] == ["Bill Lee"]
    with curating(store) as curator:
        assert curator.split(entities[0], ("William Lee",), "William Lee") is not None
    assert [t.name for t in store.article(article).card.tags] == ["Bill Lee", "William Lee"]
