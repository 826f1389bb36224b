"""`tagwire db migrate` and `tagwire db copy`: a SQLite installation moved to a fresh
PostgreSQL database without loss, verified table by table; a target with articles refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tagwire import cli
from tagwire.errors import ConfigError
from tagwire.service import article_queries
from tagwire.store import Store
from tagwire.store.copy import _verify, fingerprints
from tagwire.store.migrations import MIGRATIONS
from tagwire.types import Source
from test_search import _add


def _filled_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    store = Store(url)
    (source,) = store.upsert_sources(
        [Source("Herald", "https://h.example/", ("https://h.example/f",), "NO", "europe")]
    )
    first = _add(
        store, 1, "Harbour strike in Oslo", "Dock workers stopped.", source=source, places=("Oslo",)
    )
    _add(
        store,
        2,
        "Oslo strike (copy)",
        "Dock workers stopped, a copy.",
        source=source,
        duplicate_of=first,
    )
    for n in range(3, 40):
        _add(store, n, f"Report {n} from Bergen", f"Rain {n}.", source=source, places=("Bergen",))
    store.close()
    return url


def test_copy_sqlite_to_postgresql(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _filled_sqlite(tmp_path / "one.db")
    assert cli.main(["db", "copy", "--from", source, "--to", postgres_url]) == 0
    out = capsys.readouterr().out
    assert "articles" in out and "every table checked" in out
    before, after = Store(source), Store(postgres_url)
    try:
        with after.engine.connect() as conn:  # the planner has statistics at once
            analysed = conn.execute(text("SELECT relname FROM pg_class WHERE reltuples > 0"))
            assert {"articles", "article_tags"} <= set(analysed.scalars())
        for store in (before, after):
            assert store.counts()["articles"] == 38  # listed: the copy is folded
        assert [c.id for c in after.list_cards(limit=100).items] == [
            c.id for c in before.list_cards(limit=100).items
        ]
        assert [c.id for c in article_queries.search(after, "harbour")[0].items] == [1]
        bergen = article_queries.list_articles(after, tag="Bergen", limit="100").items
        assert len(bergen) == 37
        (source_id,) = [s.id for s in after.sources()]
        new = _add(after, 500, "After the move", "Text.", source=source_id, places=("Oslo",))
        assert new > 39  # the sequences continue after the copied ids
    finally:
        before.close()
        after.close()
    assert cli.main(["db", "copy", "--from", source, "--to", postgres_url]) == 1
    assert "already holds articles" in capsys.readouterr().err


def test_db_migrate_reports_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["db", "migrate", "--db", f"sqlite:///{tmp_path / 'm.db'}"]) == 0
    assert f"schema version {MIGRATIONS[-1][0]} (up to date)" in capsys.readouterr().out


def test_the_check_names_a_table_that_differs(tmp_path: Path) -> None:
    """Both sides are fingerprinted (the target's in a second process); a table whose rows
    differ fails the copy with its name and both counts."""
    one = _filled_sqlite(tmp_path / "one.db")
    other = Store(_filled_sqlite(tmp_path / "other.db"))
    try:
        (source_id,) = [s.id for s in other.sources()]
        _add(other, 100, "One more", "Text.", source=source_id)
    finally:
        other.close()
    with pytest.raises(ConfigError, match=r"copy check failed on articles: 39 rows .* 40"):
        _verify(one, f"sqlite:///{tmp_path / 'other.db'}", ["articles"])
    assert [rows for rows, _ in fingerprints(one, ["sources", "articles"])] == [1, 39]
