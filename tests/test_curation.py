"""Curation files: merge, rename and block tags, applied to stored articles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tagwire import cli, curation
from tagwire.errors import ConfigError, NotFound
from tagwire.ingest.writer import writing
from tagwire.service.tag_queries import find_tag
from tagwire.store import Store
from tagwire.stories.rules import Decision
from tagwire.types import Article, EntityKind, Mention, Source

T0 = datetime(2025, 7, 11, 10, tzinfo=UTC)


def _store_with_articles(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    for names in [("Bill Clinton", "William Clinton Jr"), ("Bill Clinton", "Southeast")]:
        _add_article(store, names)
    return store


def _add_article(store: Store, names: tuple[str, ...]) -> int:
    (source,) = store.upsert_sources([Source("A", "https://a.example/", ("https://a.example/f",))])
    n = len(store.list_cards(limit=100).items)
    with writing(store) as w:
        mentions = tuple(Mention(x, x, EntityKind.PERSON, 0, len(x)) for x in names)
        ids = w.entity_ids(("person", x) for x in names)
        article = Article(
            url=f"https://a.example/{n}",
            title=f"T{n}",
            text="x",
            summary="",
            published_at=T0,
            author=None,
            image=None,
            category=None,
            language="en",
            content_hash=f"h{n}",
            mentions=mentions,
        )
        return w.insert_article(
            article,
            source_id=source,
            feed_id=None,
            seen_at=T0,
            duplicate_of=None,
            entity_scores={i: 1.0 for i in ids.values()},
            mention_entities=[ids[("person", x)] for x in names],
            terms={"t": 1.0},
            decision=Decision(None, 0, 0, ()),
        )


def test_merge_rename_block_change_stored_articles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.db"
    store = _store_with_articles(db)
    file = tmp_path / "curation.toml"
    file.write_text("""
[[merge]]
tags = ["BillClinton", "WilliamClintonJr"]

[[rename]]
tag = "BillClinton"
name = "Bill Clinton (42nd US president)"

[[block]]
tags = ["Southeast"]
""")
    assert cli.main(["curate", str(file), "--db", f"sqlite:///{db}"]) == 0
    out = capsys.readouterr().out
    assert "merged #WilliamClintonJr into #BillClinton" in out and "blocked #Southeast" in out
    bill = find_tag(store, "WilliamClintonJr")
    assert bill.slug == "BillClinton" and bill.name == "Bill Clinton (42nd US president)"
    assert bill.article_count == 2
    cards = store.list_cards(limit=10).items
    assert all([t.slug for t in c.tags] == ["BillClinton"] for c in cards)
    assert find_tag(store, "Southeast").article_count == 0
    # Applying the same file again changes nothing and fails on nothing.
    assert cli.main(["curate", str(file), "--db", f"sqlite:///{db}"]) == 0
    assert find_tag(store, "BillClinton").article_count == 2


def test_blocked_entities_are_no_tags_on_new_articles(tmp_path: Path) -> None:
    store = _store_with_articles(tmp_path / "b.db")
    from tagwire.service.admin import apply_curation

    apply_curation(store, [curation.Block(("Southeast",))])
    with writing(store) as w:
        assert w.blocked(w.entity_ids([("person", "Southeast")]).values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[merge]]\ntags = ['A']", "at least two"),
        ("[[rename]]\ntag = 'A'", "needs tag"),
        ("[[split]]\ntag = 'A'", "split #1 needs"),
        ("[[split]]\ntag = 'A'\nforms = ['']", "split #1 needs"),
        ("[[splat]]\ntag = 'A'", "unknown sections splat"),
        ("[merge]\ntags = ['A', 'B']", "[[merge]]"),
        ("[[block]]\ntags = []", "needs tags"),
    ],
)
def test_bad_curation_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        curation.load(path)


def test_unknown_tags_stop_before_anything_changes(tmp_path: Path) -> None:
    store = _store_with_articles(tmp_path / "u.db")
    from tagwire.service.admin import apply_curation

    with pytest.raises(NotFound):
        apply_curation(store, [curation.Block(("Southeast",)), curation.Block(("NoSuchTag",))])
    assert find_tag(store, "Southeast").article_count == 1


def test_split_moves_the_named_forms_to_a_new_entity(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    # Two people the nickname rule took for one: "Bill Clinton" joins "William Clinton".
    first = _add_article(store, ("William Clinton",))
    second = _add_article(store, ("Bill Clinton",))
    both = _add_article(store, ("William Clinton", "Bill Clinton"))
    assert find_tag(store, "BillClinton").slug == "WilliamClinton"
    from tagwire.service.admin import apply_curation

    split = curation.Split("WilliamClinton", ("Bill Clinton",), "Bill Clinton")
    assert apply_curation(store, [split]) == ["split 'Bill Clinton' off #WilliamClinton"]
    bill, william = find_tag(store, "BillClinton"), find_tag(store, "WilliamClinton")
    assert bill.id != william.id and bill.name == "Bill Clinton"
    assert (bill.article_count, william.article_count) == (2, 2)
    tags = {c.id: sorted(t.slug for t in c.tags) for c in store.list_cards(limit=10).items}
    assert tags[first] == ["WilliamClinton"] and tags[second] == [bill.slug]
    assert sorted(tags[both]) == sorted([bill.slug, "WilliamClinton"])
    # New articles follow the split, and applying it again changes nothing.
    with writing(store) as w:
        assert w.entity_id("Bill Clinton", "person") == bill.id
        assert w.entity_id("William Clinton", "person") == william.id
    assert apply_curation(store, [split]) == []


def test_split_refuses_a_name_that_belongs_to_another_entity(tmp_path: Path) -> None:
    store = _store_with_articles(tmp_path / "r.db")
    from tagwire.service.admin import apply_curation

    with pytest.raises(ConfigError, match="already names another entity"):
        apply_curation(store, [curation.Split("BillClinton", ("Bill Clinton",), "Southeast")])
    assert find_tag(store, "BillClinton").article_count == 2


def test_display_name_follows_the_most_common_full_form(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'd.db'}")
    _add_article(store, ("Lee Jae-myung",))
    _add_article(store, ("Lee Jae Myung",))
    lee = find_tag(store, "LeeJaemyung")
    assert lee.name == "Lee Jae-myung"  # a tie keeps the name
    _add_article(store, ("Lee Jae Myung", "Lee"))
    lee = find_tag(store, "LeeJaeMyung")
    assert (lee.slug, lee.name) == ("LeeJaemyung", "Lee Jae Myung")  # the slug never changes
    # A one-word form is no full form: it never becomes the display name.
    for _ in range(3):
        _add_article(store, ("Jaemyung Lee",))
    assert find_tag(store, "LeeJaemyung").name == "Jaemyung Lee"
    from tagwire.service.admin import apply_curation

    apply_curation(store, [curation.Rename("LeeJaemyung", "Lee Jae-myung")])
    for _ in range(3):
        _add_article(store, ("Lee Jae Myung",))
    assert find_tag(store, "LeeJaemyung").name == "Lee Jae-myung"  # a rename is kept


def test_migration_2_backfills_name_forms_and_folds_accents(tmp_path: Path) -> None:
    """A database made before display names and accent folding (schema 1) is brought up
    to date when opened: name forms counted from its mentions, keys without accents."""
    from sqlalchemy import create_engine, text

    db = tmp_path / "old.db"
    store = Store(f"sqlite:///{db}")
    _add_article(store, ("Recep Tayyip Erdoğan",))
    _add_article(store, ("Recep Tayyip Erdoğan",))
    store.close()
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # undo schema 2 by hand: what a schema-1 file holds
        conn.execute(text("DROP TABLE entity_names"))
        conn.execute(text("ALTER TABLE entities DROP COLUMN name_fixed"))
        conn.execute(text("UPDATE entity_keys SET key = 'erdoğan recep tayyip'"))
        conn.execute(text("DELETE FROM schema_version WHERE version >= 2"))
    engine.dispose()
    store = Store(f"sqlite:///{db}")
    with writing(store) as w:
        assert (
            w.entity_id("Recep Tayyip Erdogan", "person")
            == find_tag(store, "RecepTayyipErdogan").id
        )
    with store.engine.connect() as conn:
        forms = conn.execute(text("SELECT name, uses FROM entity_names")).all()
    assert [tuple(f) for f in forms] == [("Recep Tayyip Erdoğan", 2)]
