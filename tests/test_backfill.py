"""`tagwire import` / `tagwire export`: an archive brought in bulk folds and groups exactly
as ingest does; bad lines are reported and skipped; the windows keep memory bounded."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import weakref
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from tagwire.backfill import (
    FULL_COLLECTION,
    WORKER_NICENESS,
    ArchiveError,
    Backfill,
    _collected_by_batch,
    _StoreSide,
    complete_near_keys,
    parse_record,
    process_pool,
    read_lines,
    run_file,
)
from tagwire.dedup.near import band_key_array, fingerprint
from tagwire.demo.site import PublisherSite, sources_toml
from tagwire.ingest.tagging import resolution_rounds
from tagwire.search import parse_query
from tagwire.store import Store
from tagwire.store import schema as t

TAGWIRE = str(Path(sys.executable).with_name("tagwire"))
WORDS = (
    "harbour council ferry budget storm minister rail vote museum river bridge school "
    "hospital court police market festival airport energy water union strike election "
    "farm port tunnel library stadium climate housing tax"
).split()


def text_of(seed: int, words: int = 120) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), words)) + "."


def line(**fields: object) -> str:
    record: dict[str, object] = {
        "url": "https://pub.example/a/1",
        "title": "Harbour council approves the new ferry budget",
        "text": text_of(1),
        "source": "https://pub.example/",
        "published_at": "2026-11-20T08:00:00Z",
        "language": "en",
        "category": "Politics",
        "mentions": [],
    }
    return json.dumps(record | fields)


# -- the archive format ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"url": "https://a.example/1", "title": "T"}), "missing text, source"),
        (line(url="javascript:alert(1)"), "url is not an http(s) URL"),
        (line(source="file:///etc/"), "source is not an http(s) URL"),
        (line(published_at="last Tuesday"), "published_at is not an ISO 8601 time"),
        (line(published_at="0001-01-01T00:00:00+01:00"), "published_at is not an ISO 8601 time"),
        (line(title=7), "title is not a string"),
        (line(mentions=[{"name": "X"}]), "a mention is not valid"),
        (
            line(mentions=[{"surface": "X", "name": "X", "kind": "god", "start": 0, "end": 1}]),
            "a mention is not valid",
        ),
        (line(author=["a", "b"]), "author is not a string"),
    ],
)
def test_a_bad_line_says_what_is_wrong(raw: str, says: str) -> None:
    with pytest.raises(ArchiveError, match=re.escape(says)):
        parse_record(raw)


def test_a_record_is_read_with_its_url_made_canonical() -> None:
    record = parse_record(line(url="https://pub.example/a/1?utm_source=x&id=4"))
    assert record.url == "https://pub.example/a/1?id=4"
    assert record.published_at == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert record.mentions == ()


def test_bad_lines_are_reported_with_their_numbers_and_the_rest_imported(tmp_path: Path) -> None:
    archive = tmp_path / "a.jsonl"
    archive.write_text(
        "\n".join(
            [
                line(),
                "garbage",
                "",
                line(url="https://pub.example/a/2", text=text_of(2), title="Rail strike ends"),
                line(url="ftp://pub.example/x"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    store = Store(f"sqlite:///{tmp_path / 't.db'}")
    report = run_file(store, archive, workers=0)
    assert report.problems == [
        "line 2: not JSON: Expecting value",
        "line 5: url is not an http(s) URL",
    ]
    assert (report.read, report.new, report.duplicates) == (4, 2, 0)
    assert len(store.list_cards(limit=10).items) == 2


def test_exact_and_near_copies_fold_short_texts_do_not(store: Store, tmp_path: Path) -> None:
    base = text_of(3, 200)
    near = base.replace("harbour", "Advertisement harbour", 2)
    short = "Storm closes the port for a day."
    lines = [
        line(url="https://pub.example/a/1", text=base),
        line(url="https://other.example/b/1", source="https://other.example/", text=base),
        line(url="https://third.example/c/9", source="https://third.example/", text=near),
        line(url="https://pub.example/s/1", title="Storm closes port", text=short),
        line(
            url="https://other.example/s/2",
            source="https://other.example/",
            title="Port shut",
            text=short,
        ),
    ]
    archive = tmp_path / "a.jsonl"
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_file(store, archive, workers=0)
    assert (report.new, report.duplicates) == (3, 2)
    with store.engine.connect() as conn:
        a = t.articles.c
        folded = dict(conn.execute(select(a.url, a.duplicate_of)).all())
    assert folded["https://pub.example/a/1"] is None
    assert folded["https://other.example/b/1"] is not None
    assert folded["https://third.example/c/9"] is not None
    assert folded["https://pub.example/s/1"] is None  # too short to fingerprint:
    assert folded["https://other.example/s/2"] is None  # other publisher, other title
    again = run_file(store, archive, workers=0)
    assert (again.new, again.duplicates, again.known) == (0, 0, 5)


@pytest.mark.parametrize("batch", [1, 3])
def test_an_imported_entitys_kind_follows_the_votes_of_its_articles(
    store: Store, tmp_path: Path, batch: int
) -> None:
    """As ingest does (tests/test_store.py): one article calls "Zorbia" a place, the next two
    an organisation, and the entity ends an organisation, in batches of one article as in
    one batch of all three (the import runs ingest's ``tagging.after_mentions``)."""
    kinds = ("place", "organization", "organization")
    lines = [
        line(
            url=f"https://pub.example/z/{n}",
            title=f"Zorbia report number {n}",
            text=f"Zorbia said something. {text_of(10 + n)}",
            published_at=f"2026-11-2{n}T08:00:00Z",
            mentions=[{"surface": "Zorbia", "name": "Zorbia", "kind": k, "start": 0, "end": 6}],
        )
        for n, k in enumerate(kinds)
    ]
    archive = tmp_path / "z.jsonl"
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = Backfill(store, batch=batch).run(read_lines(archive))
    assert report.new == 3
    assert store.entity("zorbia").kind == "organization"


def test_names_that_may_be_one_entity_are_resolved_in_article_order() -> None:
    """A batch's new names in rounds: after an earlier article's name that may be the same
    entity (another kind, the same family name), the rest at once."""
    rounds = resolution_rounds(
        [
            [("place", "Zorbia")],
            [("organization", "Zorbia"), ("person", "Ann Lee")],
            [("person", "William Clinton")],
            [("person", "Bill Clinton"), ("place", "Oslo")],
        ]
    )
    assert rounds == [
        [
            ("place", "Zorbia"),
            ("person", "Ann Lee"),
            ("person", "William Clinton"),
            ("place", "Oslo"),
        ],
        [("organization", "Zorbia"), ("person", "Bill Clinton")],
    ]


def test_near_duplicate_keys_are_ingests_written_at_the_end_for_the_window(
    store: Store,
) -> None:
    """The LSH keys an import writes (at its end, from the stored fingerprints) are those
    ingest writes, for the articles of the window before now only; an article that lost its
    keys (an import cut short) gets them again, once."""
    now = datetime(2026, 11, 21, tzinfo=UTC)
    texts = {f"https://pub.example/k/{i}": text_of(20 + i, 150) for i in range(4)}
    dates = ["2026-11-20T08:00:00Z", "2026-11-19T08:00:00Z", "2026-11-18T08:00:00Z"]
    dates.append("2026-09-01T08:00:00Z")  # before the window: no keys
    lines = [
        line(url=url, title=f"Headline number {i}", text=text, published_at=date)
        for i, ((url, text), date) in enumerate(zip(texts.items(), dates, strict=True))
    ]
    lines.append(line(url="https://pub.example/k/short", text="Too short to fingerprint."))
    report = Backfill(store, now=now).run(list(enumerate(lines, 1)))
    assert report.new == 5
    expected = set()
    for url, text in list(texts.items())[:3]:
        fp = fingerprint(text)
        assert fp is not None
        expected |= {(url, key) for key in band_key_array(fp.to_bytes()).tolist()}
    stored = outcome(store).near_keys
    assert stored == expected
    k, a = t.near_dup_keys.c, t.articles.c
    with store.engine.begin() as conn:
        first = conn.execute(select(a.id).where(a.url == "https://pub.example/k/0")).scalar_one()
        conn.execute(t.near_dup_keys.delete().where(k.article_id == first))
    assert len(outcome(store).near_keys) < len(expected)
    with store.engine.begin() as conn:
        assert complete_near_keys(conn, now - timedelta(days=30)) == 1
    with store.engine.begin() as conn:
        assert complete_near_keys(conn, now - timedelta(days=30)) == 0
    assert outcome(store).near_keys == expected


def test_the_imports_writer_checkpoints_sqlites_log_less_often(tmp_path: Path) -> None:
    """The store process's connection: a large page cache and a WAL checkpoint every 50,000
    pages, not SQLite's 1,000."""
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
        with _StoreSide(store)._writer() as w:
            pragma = w.conn.exec_driver_sql
            assert pragma("PRAGMA wal_autocheckpoint").scalar() == 50_000
            assert pragma("PRAGMA cache_size").scalar() == -262_144
    finally:
        store.close()


def test_an_exact_copy_beyond_the_window_folds_a_near_one_does_not(
    store: Store, tmp_path: Path
) -> None:
    base = text_of(4, 200)
    edited = base.replace("ferry", "bus", 3)
    lines = [
        line(url="https://pub.example/a/1", text=base, published_at="2026-01-01T00:00:00Z"),
        line(
            url="https://o.example/near",
            source="https://o.example/",
            text=edited,
            published_at="2026-03-02T00:00:00Z",
        ),
        line(
            url="https://o.example/exact",
            source="https://o.example/",
            text=base,
            published_at="2026-03-03T00:00:00Z",
        ),
    ]
    archive = tmp_path / "a.jsonl"
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_file(store, archive, workers=0, dedup_window=timedelta(days=30))
    assert (report.new, report.duplicates) == (2, 1)
    with store.engine.connect() as conn:
        a = t.articles.c
        folded = dict(conn.execute(select(a.url, a.duplicate_of)).all())
        first = conn.execute(select(a.id).where(a.url == "https://pub.example/a/1")).scalar_one()
    # The same text is found through the store's hashes, over all history; a near-same one
    # only within the window (the first article is two months older).
    assert folded["https://o.example/exact"] == first
    assert folded["https://o.example/near"] is None


# -- the same result as ingest -----------------------------------------------------------------


@dataclass
class Outcome:
    urls: set[str]
    folded: dict[str, str]  # copy URL -> survivor URL
    stories: set[frozenset[str]]  # the listed articles' URLs per story
    tags: dict[str, int]  # slug -> listed articles
    near_keys: set[tuple[str, int]]  # (article URL, LSH band key)
    # The listed articles' URLs of each story -> its title, article and publisher counts
    story_rows: dict[frozenset[str], tuple[str, int, int]]


def outcome(store: Store) -> Outcome:
    with store.engine.connect() as conn:
        a, e, k = t.articles.c, t.entities.c, t.near_dup_keys.c
        rows = conn.execute(select(a.id, a.url, a.duplicate_of, a.story_id, a.listed)).all()
        tags = dict(conn.execute(select(e.slug, e.article_count).where(e.article_count > 0)).all())
        keys = conn.execute(select(k.article_id, k.key)).all()
        s = t.stories.c
        story_rows = conn.execute(select(s.id, s.title, s.article_count, s.publishers)).all()
    url = {r.id: r.url for r in rows}
    groups: dict[int, set[str]] = defaultdict(set)
    for r in rows:
        if r.listed:
            groups[r.story_id].add(r.url)
    return Outcome(
        urls=set(url.values()),
        folded={r.url: url[r.duplicate_of] for r in rows if r.duplicate_of is not None},
        stories={frozenset(g) for g in groups.values()},
        tags=tags,
        near_keys={(url[article_id], key) for article_id, key in keys},
        story_rows={
            frozenset(groups[r.id]): (r.title, r.article_count, r.publishers)
            for r in story_rows
            if r.id in groups
        },
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    tmp = tmp_path_factory.mktemp("backfill")
    with PublisherSite() as site:
        sources = tmp / "sources.toml"
        sources.write_text(sources_toml(site.base_url), encoding="utf-8")
        db = tmp / "ingested.db"
        env = dict(
            os.environ,
            TAGWIRE_ALLOWED_HOSTS="127.0.0.1",
            TAGWIRE_HOST_DELAY="0",
            TAGWIRE_WORKERS="1",
        )
        done = subprocess.run(
            [TAGWIRE, "ingest", "--sources", str(sources), "--db", f"sqlite:///{db}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    archive = tmp / "archive.jsonl"
    with archive.open("w", encoding="utf-8") as out:
        exported = subprocess.run(
            [TAGWIRE, "export", "--db", f"sqlite:///{db}"], stdout=out, text=True, timeout=120
        )
    assert exported.returncode == 0
    store = Store(f"sqlite:///{db}")
    yield store, archive
    store.close()


def test_an_exported_ingest_imported_again_folds_and_groups_the_same(
    ingested: tuple[Store, Path], store: Store
) -> None:
    source, archive = ingested
    assert sum(1 for _ in read_lines(archive)) == len(outcome(source).urls)
    target = store  # SQLite and PostgreSQL
    report = Backfill(target, batch=7).run(read_lines(archive))  # batches cut the stories
    before, after = outcome(source), outcome(target)
    assert report.problems == []
    assert after.urls == before.urls
    assert after.folded == before.folded
    assert after.stories == before.stories
    assert after.tags == before.tags
    assert after.near_keys == before.near_keys  # written at the import's end
    assert after.story_rows == before.story_rows
    assert before.folded and any(len(s) > 2 for s in before.stories)  # the test has teeth
    assert before.near_keys


def test_imported_articles_are_searchable_and_on_their_tag_pages(
    ingested: tuple[Store, Path], tmp_path: Path
) -> None:
    source, archive = ingested
    target = Store(f"sqlite:///{tmp_path / 'imported.db'}")
    run_file(target, archive, workers=0)
    folded = outcome(source).folded
    first = next(
        r for r in (json.loads(x) for _, x in read_lines(archive)) if r["url"] not in folded
    )
    word = max(first["title"].split(), key=len)
    hits = target.search(parse_query(word), limit=50)
    assert first["url"] in {card.url for card in hits.items}, "the search index has it"
    with target.engine.connect() as conn:
        e = t.entities.c
        top = conn.execute(select(e.id).order_by(e.article_count.desc()).limit(1)).scalar_one()
        counts = conn.execute(select(func.count()).select_from(t.article_regions)).scalar_one()
    assert target.list_cards(entity_id=top, limit=5).items
    assert counts > 0, "editions are written"


def test_import_runs_its_text_work_in_worker_processes(
    ingested: tuple[Store, Path], tmp_path: Path
) -> None:
    source, archive = ingested
    target = Store(f"sqlite:///{tmp_path / 'imported.db'}")
    done = subprocess.run(
        [
            TAGWIRE,
            "import",
            str(archive),
            "--workers",
            "2",
            "--db",
            f"sqlite:///{tmp_path / 'imported.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "0 bad lines" in done.stdout
    assert outcome(target).folded == outcome(source).folded


def test_an_import_cut_short_and_run_again_ends_as_one_run(
    ingested: tuple[Store, Path], store: Store, tmp_path: Path
) -> None:
    source, archive = ingested
    lines = list(read_lines(archive))
    first = Backfill(store, batch=5).run(lines[: len(lines) // 2])  # then the process died
    again = Backfill(store, batch=5).run(lines)  # its windows come from the store
    assert again.known == first.read == len(lines) // 2
    before, after = outcome(source), outcome(store)
    assert after.folded == before.folded
    assert after.stories == before.stories
    assert after.tags == before.tags


class _Stop(Exception):
    pass


def test_an_import_stopped_between_batches_leaves_whole_batches_and_runs_again(
    ingested: tuple[Store, Path], store: Store
) -> None:
    source, archive = ingested
    lines = list(read_lines(archive))
    decided: list[int] = []

    def stop_after_three(report: object) -> None:
        decided.append(1)
        if len(decided) == 3:  # batch 3 decided, batches 1-2 written or being written
            raise _Stop

    with pytest.raises(_Stop):
        Backfill(store, batch=5).run(lines, progress=stop_after_three)
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.articles)).scalar_one()
        urls = conn.execute(select(func.count()).select_from(t.article_urls)).scalar_one()
    # The batch being written when the decisions stopped is written whole; the third, decided
    # but not handed over, is not.
    assert stored == urls == 10
    assert not outcome(store).near_keys  # the import's end writes them
    again = Backfill(store, batch=5).run(lines)
    assert again.known == 10
    before, after = outcome(source), outcome(store)
    assert after.folded == before.folded
    assert after.stories == before.stories
    assert after.tags == before.tags
    assert after.near_keys == before.near_keys  # those of the run cut short too


def test_an_import_into_sqlite_in_memory_decides_and_writes_in_line(
    ingested: tuple[Store, Path],
) -> None:
    source, archive = ingested
    memory = Store("sqlite://")  # no other process can open it: its jobs run in line
    try:
        report = Backfill(memory, batch=6).run(read_lines(archive))
        before, after = outcome(source), outcome(memory)
    finally:
        memory.close()
    assert report.problems == []
    assert after.folded == before.folded
    assert after.stories == before.stories


def test_a_failure_of_the_store_process_stops_the_import_with_its_error(
    ingested: tuple[Store, Path], tmp_path: Path
) -> None:
    _, archive = ingested
    target = Store(f"sqlite:///{tmp_path / 'broken.db'}")
    lines = list(read_lines(archive))

    def break_the_store(report: object) -> None:
        with target.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS article_regions")

    try:
        with pytest.raises(RuntimeError, match=r"store process failed.*article_regions"):
            Backfill(target, batch=5).run(lines, progress=break_the_store)
        with target.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(t.articles)).scalar_one()
    finally:
        target.close()
    assert stored == 0  # the failed batch's transaction left nothing


class _Node:
    self: _Node


def test_the_batch_collector_frees_cyclic_garbage_every_full_collection() -> None:
    with _collected_by_batch() as collect:
        young = _Node()
        young.self = young
        ref = weakref.ref(young)
        del young
        for _ in range(FULL_COLLECTION - 1):
            collect()
        assert ref() is not None  # no automatic collection, none between full ones
        collect()  # the FULL_COLLECTION-th batch: everything
        assert ref() is None
        old = _Node()
        old.self = old
        ref = weakref.ref(old)
        del old
        for _ in range(FULL_COLLECTION - 1):
            collect()
        assert ref() is not None
        collect()  # and again FULL_COLLECTION batches later
        assert ref() is None


def test_an_import_turns_the_automatic_collector_off_and_back_on(
    ingested: tuple[Store, Path], store: Store
) -> None:
    _, archive = ingested
    lines = list(read_lines(archive))
    enabled: list[bool] = []

    def observe(report: object) -> None:
        enabled.append(gc.isenabled())
        if len(enabled) == 3:
            raise _Stop

    assert gc.isenabled()
    with pytest.raises(_Stop):
        Backfill(store, batch=5).run(lines, progress=observe)
    assert enabled == [False, False, False]
    assert gc.isenabled()  # after an error too
    gc.disable()
    try:
        Backfill(store, batch=5).run(lines)
        assert not gc.isenabled()  # as it was
    finally:
        gc.enable()


def test_an_imports_workers_run_behind_the_decisions_without_the_automatic_collector() -> None:
    with process_pool(1) as pool:
        niceness = pool.submit(os.nice, 0).result()
        collecting = pool.submit(gc.isenabled).result()
    assert niceness == min(19, os.nice(0) + WORKER_NICENESS)
    assert collecting is False
