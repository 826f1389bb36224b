"""Curation files: merge, rename and block tags, applied to stored articles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tagwire import cli, curation
from tagwire.errors import ConfigError, NotFound
from tagwire.service import find_tag
from tagwire.store import Store
from tagwire.stories import Decision
from tagwire.types import Article, EntityKind, Mention, Source

T0 = datetime(2025, 7, 11, 10, tzinfo=UTC)


def _store_with_articles(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    (source,) = store.upsert_sources([Source("A", "https://a.example/", ("https://a.example/f",))])
    people = [("Bill Clinton", "William Clinton Jr"), ("Bill Clinton", "Southeast")]
    with store.writer() as w:
        for n, names in enumerate(people):
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
            w.insert_article(
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
    return store


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
    from tagwire.service import apply_curation

    apply_curation(store, [curation.Block(("Southeast",))])
    with store.writer() as w:
        assert w.blocked(w.entity_ids([("person", "Southeast")]).values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[merge]]\ntags = ['A']", "at least two"),
        ("[[rename]]\ntag = 'A'", "needs tag"),
        ("[[split]]\ntag = 'A'", "unknown sections split"),
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
    from tagwire.service import apply_curation

    with pytest.raises(NotFound):
        apply_curation(store, [curation.Block(("Southeast",)), curation.Block(("NoSuchTag",))])
    assert find_tag(store, "Southeast").article_count == 1
