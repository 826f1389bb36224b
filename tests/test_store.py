"""The store on a real SQLite file: the tag-page query plan, keyset pages, idempotence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tagwire.embeddings import cosine
from tagwire.errors import NotFound
from tagwire.ingest.writer import ArticleWriter, writing
from tagwire.search import parse_query
from tagwire.store import BadCursor, Store, search_index
from tagwire.store.migrations import migrate
from tagwire.store.write_stories import story_counts, story_counts_query
from tagwire.stories.group import choose_story, index_keys
from tagwire.stories.rules import Decision, Merge, headline_meaning, terms
from tagwire.types import Article, EntityKind, Mention, Source

T0 = datetime(2025, 7, 11, 10, tzinfo=UTC)


def _article(n: int, published: datetime | None) -> Article:
    mention = Mention("President Ann Lee", "Ann Lee", EntityKind.PERSON, 0, 17, True)
    return Article(
        url=f"https://a.example/{n}",
        title=f"Story {n}",
        text=f"text {n}",
        summary="s",
        published_at=published,
        author=None,
        image=None,
        category=None,
        language="en",
        content_hash=f"h{n}",
        mentions=(mention,),
    )


def _insert_with(
    w: ArticleWriter,
    n: int,
    mentions: tuple[Mention, ...],
    entities: list[int],
    scores: dict[int, float],
    source_id: int,
) -> int:
    """Article ``n`` with these mentions, their entities and its tags' scores."""
    return w.insert_article(
        replace(_article(n, T0), mentions=mentions),
        source_id=source_id,
        feed_id=None,
        seen_at=T0,
        duplicate_of=None,
        entity_scores=scores,
        mention_entities=entities,
        terms={"story": 1.0},
        decision=Decision(None, 0.0, 0.0, ()),
    )


def _articles_naming(store: Store, *articles: tuple[Mention, ...]) -> list[tuple[int, list[int]]]:
    """Each article in its own write, its names identified as ingest does, every entity a
    tag scored 3: (article id, its mentions' entity ids) per article."""
    (source_id,) = store.upsert_sources(
        [Source("A", "https://a.example/", ("https://a.example/rss",))]
    )
    written = []
    for n, mentions in enumerate(articles):
        with writing(store) as w:
            pairs = [(m.kind.value, m.name) for m in mentions]
            found = w.entity_ids(pairs)
            entities = [found[p] for p in pairs]
            scores = {e: 3.0 for e in entities}
            written.append((_insert_with(w, n, mentions, entities, scores, source_id), entities))
    return written


def _fill(store: Store, count: int) -> int:
    (source_id,) = store.upsert_sources(
        [Source("A", "https://a.example/", ("https://a.example/rss",))]
    )
    with writing(store) as w:
        entity = w.entity_id("Ann Lee", "person")
        for n in range(count):
            # Every third article shares a time with the next: ties are broken by id.
            published = T0 - timedelta(hours=n // 3)
            w.insert_article(
                _article(n, published),
                source_id=source_id,
                feed_id=None,
                seen_at=T0,
                duplicate_of=None,
                entity_scores={entity: 3.0},
                mention_entities=[entity],
                terms={"story": 1.0},
                decision=Decision(None, 0.0, 0.0, ()),
            )
    return entity


def test_tag_page_query_is_an_index_range_scan(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans depend on table size")
    entity = _fill(store, 5)
    with store.engine.connect() as conn:
        plan = conn.execute(text("EXPLAIN QUERY PLAN " + store.list_query_sql(entity))).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_article_tags_page" in details, details
    assert not any(str(row[-1]).startswith("SCAN") for row in plan), details
    assert "TEMP B-TREE" not in details, f"sorts instead of reading the index: {details}"


def test_a_storys_counts_are_read_from_its_index_alone(store: Store) -> None:
    """Migration 8: the story index carries the sources, so counting a story's articles and
    publishers (after every article that joins it) reads no article row; an older store
    gets the new index."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans depend on table size")
    _fill(store, 3)
    old = "CREATE INDEX ix_articles_story_sort ON articles (story_id, listed, sort_at, id)"
    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_articles_story_sort"))
        conn.execute(text(old))
        conn.execute(text("DELETE FROM schema_version WHERE version >= 8"))
    with store.engine.begin() as conn:
        assert 8 in migrate(conn)
        query = story_counts_query([1, 2])
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        plan = " | ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "COVERING INDEX ix_articles_story_sort" in plan, plan
        assert story_counts(conn, [1, 2, 99]) == {1: (1, 1), 2: (1, 1)}


def test_the_full_text_index_merges_wider(store: Store) -> None:
    """Migration 9: SQLite's FTS5 index merges FTS5_MERGE segments at a time, in a new store
    and in one made before; searching still finds what was written."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("FTS5's merge setting is SQLite's")
    automerge = text("SELECT v FROM article_search_config WHERE k = 'automerge'")
    with store.engine.begin() as conn:
        assert conn.execute(automerge).scalar() == search_index.FTS5_MERGE
        conn.execute(text("DELETE FROM article_search_config WHERE k = 'automerge'"))
        conn.execute(text("DELETE FROM schema_version WHERE version >= 9"))
    with store.engine.begin() as conn:
        assert conn.execute(automerge).scalar() is None  # FTS5's own default, 4
        assert 9 in migrate(conn)
        assert conn.execute(automerge).scalar() == search_index.FTS5_MERGE
    _fill(store, 3)
    assert len(store.search(parse_query("story"), limit=10).items) == 3


def test_near_duplicate_keys_move_to_one_tree_with_their_rows(store: Store) -> None:
    """Migration 10: a store made before keeps its near-duplicate keys, now in one B-tree
    by (key, time, article) without the foreign key and the index by article."""
    _fill(store, 2)
    when = "2025-07-11 10:00:00.000000" if store.engine.dialect.name == "sqlite" else T0
    old = [(7, 1, when), (-3, 1, when), (7, 2, when)]
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE near_dup_keys"))
        conn.execute(
            text(
                "CREATE TABLE near_dup_keys (key BIGINT NOT NULL, article_id INTEGER NOT NULL"
                " REFERENCES articles (id) ON DELETE CASCADE, sort_at "
                + ("DATETIME" if store.engine.dialect.name == "sqlite" else "TIMESTAMPTZ")
                + " NOT NULL)"
            )
        )
        conn.execute(text("CREATE INDEX ix_near_dup_keys_key ON near_dup_keys (key, sort_at)"))
        conn.execute(text("CREATE INDEX ix_near_dup_keys_article ON near_dup_keys (article_id)"))
        conn.execute(
            text("INSERT INTO near_dup_keys (key, article_id, sort_at) VALUES (:k, :a, :s)"),
            [{"k": k, "a": a, "s": s} for k, a, s in old],
        )
        conn.execute(text("DELETE FROM schema_version WHERE version >= 10"))
    with store.engine.begin() as conn:
        assert 10 in migrate(conn)
        rows = conn.execute(text("SELECT key, article_id FROM near_dup_keys ORDER BY 1, 2"))
        assert [tuple(r) for r in rows] == [(-3, 1), (7, 1), (7, 2)]
        if store.engine.dialect.name == "sqlite":
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'near_dup_keys'")
            ).scalar_one()
            assert "WITHOUT ROWID" in sql and "REFERENCES" not in sql
            indexes = conn.execute(text("PRAGMA index_list(near_dup_keys)")).all()
            assert [r.origin for r in indexes] == ["pk"]
        else:
            names = conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'near_dup_keys'")
            ).scalars()
            assert list(names) == ["near_dup_keys_pkey"]


def test_postgresql_reads_keep_their_prepared_statements(store: Store) -> None:
    """Reads run in autocommit on PostgreSQL: psycopg drops its prepared statements at every
    ROLLBACK, so read transactions had every query planned again."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements and planner settings are PostgreSQL's")
    entity = _fill(store, 25)
    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        store.list_cards(entity_id=entity, limit=5)
    with store.engine.connect() as conn:
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
        cost = conn.execute(text("SHOW random_page_cost")).scalar()
    assert any("FROM article_tags" in statement for statement in prepared)
    assert cost == "1.1"


def test_postgresql_reads_a_cursors_page_as_an_index_range(store: Store) -> None:
    """The prepared statement's generic plan (what psycopg runs from its sixth execution)
    starts the index scan at the cursor instead of filtering the rows before it."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("generic plans of prepared statements are PostgreSQL's")
    import re

    from tagwire.store import _TAG_LIST_AFTER

    entity = _fill(store, 30)
    sql = str(_TAG_LIST_AFTER.compile(dialect=store.engine.dialect))
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
    for number, name in enumerate(names, start=1):
        sql = sql.replace(f"%({name})s", f"${number}")
    values = {"entity": entity, "at": T0.isoformat(), "last": 10**9, "limit": 21}
    arguments = ", ".join(f"'{values[name]}'" for name in names)
    with store.engine.connect() as conn:
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        conn.execute(text("SET enable_seqscan = off"))  # 30 rows: a scan would be cheaper
        conn.execute(text(f"PREPARE after_cursor AS {sql}"))
        plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) EXECUTE after_cursor({arguments})"))
        node = plan.scalar_one()[0]["Plan"]
    while "Index Cond" not in node:
        node = node["Plans"][0]
    assert "sort_at <=" in node["Index Cond"], node


def test_a_urls_own_planner_options_win() -> None:
    from tagwire.store.engine import make_engine

    ours = make_engine("postgresql://u@127.0.0.1:1/db?options=-c%20work_mem%3D8MB")
    theirs = make_engine("postgresql://u@127.0.0.1:1/db?options=-c%20random_page_cost%3D2")
    assert ours.url.query["options"] == "-c work_mem=8MB -c random_page_cost=1.1"
    assert theirs.url.query["options"] == "-c random_page_cost=2"


def _terminate_pooled_backend(store: Store, postgres_url: str) -> None:
    """The server drops the connection the pool holds, as a restart would."""
    import psycopg

    with store.engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        # With a timeout, it returns once the backend has ended (its goodbye sent), not when
        # the signal is: without one, the next checkout could look at the socket first.
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def _counting_pings(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, idle_seconds: float
) -> tuple[Store, int, list[int]]:
    """A store whose connections are pinged after ``idle_seconds``, a tag of 3 articles in
    it, and the pings made from then on."""
    from tagwire.store import engine

    monkeypatch.setattr(engine, "PING_AFTER_IDLE_SECONDS", idle_seconds)
    store = Store(postgres_url)
    entity = _fill(store, 3)
    pings: list[int] = []
    ping = store.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(store.engine.dialect, "do_ping", counted)
    return store, entity, pings


def test_a_connection_in_use_a_moment_ago_is_not_pinged_unless_the_server_spoke(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No round trip per checkout; a backend the server ended (as at a restart) is found by
    a look at its socket, pinged and replaced: the read succeeds."""
    store, entity, pings = _counting_pings(postgres_url, monkeypatch, 3600.0)
    try:
        for _ in range(5):
            store.list_cards(entity_id=entity, limit=5)
        assert pings == []
        _terminate_pooled_backend(store, postgres_url)
        assert len(store.list_cards(entity_id=entity, limit=5).items) == 3
        assert pings == [1]
    finally:
        store.close()


def test_a_connection_idle_long_enough_is_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, entity, pings = _counting_pings(postgres_url, monkeypatch, 0.0)
    try:
        for _ in range(3):
            store.list_cards(entity_id=entity, limit=5)
        assert len(pings) == 3
    finally:
        store.close()


def test_keyset_pages_walk_every_article_once_in_order(store: Store) -> None:
    entity = _fill(store, 10)
    seen: list[tuple[datetime, int]] = []
    cursor = None
    while True:
        page = store.list_cards(entity_id=entity, cursor=cursor, limit=3)
        seen.extend((c.sort_at, c.id) for c in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 10 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    everything = store.list_cards(limit=100).items
    assert [c.id for c in everything] == [i for _, i in seen]


def test_bad_cursor_is_refused(store: Store) -> None:
    with pytest.raises(BadCursor):
        store.list_cards(cursor="not-a-cursor")


def test_sources_upsert_is_idempotent_and_keeps_ids(store: Store) -> None:
    source = Source("A", "https://a.example/", ("https://a.example/rss",), country="NZ")
    first = store.upsert_sources([source])
    renamed = Source(
        "A2", "https://a.example/", ("https://a.example/rss", "https://a.example/sport")
    )
    assert store.upsert_sources([renamed]) == first
    (record,) = store.sources()
    assert record.name == "A2" and len(record.feeds) == 2


def test_lookups_of_missing_things(store: Store) -> None:
    with pytest.raises(NotFound):
        store.article(1)
    with pytest.raises(NotFound):
        store.entity("nosuchtag")


def test_times_come_back_aware_utc(store: Store) -> None:
    _fill(store, 1)
    card = store.list_cards().items[0]
    assert card.published_at == T0 and card.published_at.tzinfo is not None


def test_an_earlier_copy_takes_over_as_survivor(store: Store) -> None:
    entity = _fill(store, 1)  # article "0", published T0
    with writing(store) as w:
        old = w.survivor_for_hash("h0")
        assert old is not None and old.sort_at == T0
        earlier = _article(99, T0 - timedelta(hours=5))
        new_id = w.insert_article(
            earlier,
            source_id=1,
            feed_id=None,
            seen_at=T0,
            duplicate_of=None,
            entity_scores={entity: 3.0},
            mention_entities=[entity],
            terms={"story": 1.0},
            decision=Decision(old.story_id, 1.0, 1.0, ()),
        )
        w.fold(old.id, into=new_id)
    (card,) = store.list_cards(entity_id=entity).items
    assert card.id == new_id and card.duplicates == ("https://a.example/0",)
    assert store.entity("annlee").article_count == 1
    story = store.story(card.story_id)
    assert story.article_count == 1 and story.publishers == 1


def test_nickname_and_middle_name_forms_are_one_person(store: Store) -> None:
    with writing(store) as w:
        first = w.entity_ids([("person", "William Jefferson Clinton")])
        later = w.entity_ids(
            [
                ("person", "Bill Clinton"),
                ("person", "Hillary Clinton"),
                ("person", "Clinton Jefferson William"),
            ]
        )
    bill = first[("person", "William Jefferson Clinton")]
    assert later[("person", "Bill Clinton")] == bill
    assert later[("person", "Hillary Clinton")] != bill
    assert later[("person", "Clinton Jefferson William")] == bill  # the same words reordered
    assert store.entity("billclinton").slug == "WilliamJeffersonClinton"


def test_same_surname_two_candidates_stays_apart(store: Store) -> None:
    with writing(store) as w:
        ids = w.entity_ids([("person", "John Smith"), ("person", "Jonathan Smith")])
        jon = w.entity_ids([("person", "Jon Smith")])[("person", "Jon Smith")]
    # "Jon" could be John or Jonathan: two fits, so a new entity rather than a guess.
    assert jon not in ids.values()


def test_tags_answer_to_forms_never_seen(store: Store) -> None:
    from tagwire.service.tag_queries import find_tag

    with writing(store) as w:
        w.entity_ids(
            [
                ("person", "Ishiba Shigeru"),
                ("person", "William Jefferson Clinton"),
                ("person", "Lee Jae-myung"),
            ]
        )
    assert find_tag(store, "ShigeruIshiba").slug == "IshibaShigeru"
    assert find_tag(store, "BillClinton").slug == "WilliamJeffersonClinton"
    assert find_tag(store, "JaeMyungLee").slug == "LeeJaemyung"
    with pytest.raises(NotFound):
        find_tag(store, "HillaryClinton")


# --- stories: meaning vectors and merges ----------------------------------------------------


def _headline(w: ArticleWriter, n: int, title: str, source: int) -> tuple[int, int]:
    """Store a headline as the pipeline does; returns (article id, story id)."""
    vector, meaning = terms(title, ""), headline_meaning(title)
    article = replace(_article(n, T0), title=title, mentions=())
    candidates = w.story_candidates(index_keys(vector, {}), T0, timedelta(hours=72))
    decision = choose_story(vector, (), T0, candidates, meaning=meaning)
    article_id = w.insert_article(
        article,
        source_id=source,
        feed_id=None,
        seen_at=T0,
        duplicate_of=None,
        entity_scores={},
        mention_entities=[],
        terms=vector,
        decision=decision,
        meaning=meaning,
    )
    story_id = w.story_of(article_id)
    assert story_id is not None
    return article_id, story_id


def test_story_vectors_are_stored_and_stories_merge(store: Store) -> None:
    sources = store.upsert_sources(
        [
            Source(f"P{i}", f"https://p{i}.example/", (f"https://p{i}.example/rss",))
            for i in range(3)
        ]
    )
    with writing(store) as w:
        a1, big = _headline(
            w, 1, "Mark Carney tells MPs Bank of England will overhaul oversight", sources[0]
        )
        a2, same = _headline(w, 2, "Carney: Bank of England to overhaul its oversight", sources[1])
        a3, small = _headline(w, 3, "BoE governor grilled by Treasury select committee", sources[2])
        assert same == big and small != big, "the third headline shares no word: a story of its own"
        stored, second = w.story(big), headline_meaning("Carney: Bank of England to overhaul")
        assert stored.size == 2 and stored.meaning is not None and second is not None
        assert cosine(stored.meaning, second) > 0.8  # the mean of the two, read back
        w.merge_stories(Merge(keep=big, gone=small, similarity=0.5))
        assert w.story_of(a3) == big
        # The merged story's index keys still find a story: the one it became part of.
        found = w.story_candidates(["t:treasury"], T0, timedelta(hours=1))
        assert [s.id for s in found] == [big]
    story = store.story(small)  # the gone story's id answers with the kept story
    assert (story.id, story.article_count, story.publishers) == (big, 3, 3)
    assert {c.id for c in store.list_cards(story_id=big).items} == {a1, a2, a3}
    why = store.story_choice(a3)
    assert why.story_id == big and why.started
    assert [(m.story_id, m.into, m.similarity) for m in why.merges] == [(small, big, 0.5)]
    joined = store.story_choice(a2)
    assert not joined.started and joined.merges == ()
    assert joined.meaning_similarity is not None and joined.meaning_similarity > 0.5
    assert store.counts()["stories"] == 1


def test_story_schema_7_is_added_to_an_older_database(store: Store) -> None:
    _fill(store, 1)
    columns = {
        "stories": ["meaning", "merged_into", "merge_similarity"],
        "articles": ["story_origin", "story_started", "story_meaning"],
    }
    with store.engine.begin() as conn:
        for table, names in columns.items():
            for name in names:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {name}"))
        conn.execute(text("DELETE FROM schema_version WHERE version >= 7"))
    with store.engine.begin() as conn:
        assert 7 in migrate(conn)
    with writing(store) as w:
        old = w.story(1)
        assert old.meaning is None and old.size == 1
    assert store.story_choice(1).started  # stored before: the first article started it
