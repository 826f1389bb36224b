"""Quality gate for story clustering on the UCI News Aggregator dev headlines, and checks of
the clustering metrics on hand-made partitions whose scores are known.

The gate replays the 4,402 dev headlines through tagwire.stories with the default rules,
entities included (spaCy NER on the headlines takes ~20 s of this test's time; it is cached
for the process), in time order and with the stories interleaved. See bench/stories_eval.py
for the full evaluation and the baseline.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.stories_eval import GOLD_STORIES, SECTION, main, write_section
from bench.stories_gap import precision_loss, real_times
from bench.stories_metrics import adjusted_rand, bcubed, nmi, pairwise, score, tfidf_baseline
from bench.stories_replay import DATA, DEFAULT_RULES, Row, cluster, interleave, load_uci
from tagwire.ingest.writer import writing
from tagwire.store import CardRecord, Store
from tagwire.stories.group import choose_merge, choose_story, index_keys
from tagwire.stories.rules import headline_meaning, terms
from tagwire.types import Article, Source

# Floors = measured - 0.01, rounded down (docs/quality.md). Raise them when the clustering
# improves. History: 0.72 with terms + entities alone (measured 0.730); 0.86 / 0.83 before
# issue 28's specific entities and merges on gathered evidence (measured 0.872 / 0.839).
# Issue 28's goals: F1 0.92 / 0.90 with precision 0.95, not met.
BCUBED_F1_FLOOR = 0.87  # time order, measured 0.885; goal (issue 4) 0.85
BCUBED_F1_FLOOR_INTERLEAVED = 0.83  # stories shuffled together (seed 1), measured 0.838
BCUBED_P_FLOOR = 0.90  # time order, measured 0.910
BCUBED_P_FLOOR_INTERLEAVED = 0.82  # measured 0.836


@pytest.fixture(scope="module")
def rows() -> Iterator[list[Row]]:
    if not DATA.is_file():
        pytest.skip(f"evaluation data {DATA} is absent (it lives beside the repository)")
    yield load_uci(DATA)


@pytest.mark.parametrize(
    ("interleaved", "floor", "precision_floor"),
    [
        (False, BCUBED_F1_FLOOR, BCUBED_P_FLOOR),
        (True, BCUBED_F1_FLOOR_INTERLEAVED, BCUBED_P_FLOOR_INTERLEAVED),
    ],
    ids=["time-order", "interleaved"],
)
def test_story_clustering_meets_the_floor(
    rows: list[Row], interleaved: bool, floor: float, precision_floor: float
) -> None:
    assert len(rows) == 4402 and len({r.story for r in rows}) == GOLD_STORIES
    order = interleave(rows) if interleaved else rows
    s = score(rows, cluster(order, DEFAULT_RULES, use_entities=True))
    print(
        f"\nstories, default rules, {'interleaved' if interleaved else 'time order'}: "
        f"B³ P {s.bcubed.precision:.3f} R {s.bcubed.recall:.3f} F1 {s.bcubed.f1:.4f} | "
        f"pairwise F1 {s.pairwise.f1:.3f} | ARI {s.ari:.3f} | NMI {s.nmi:.3f} | "
        f"{s.clusters} clusters (gold {s.gold_clusters})"
    )
    assert s.bcubed.f1 >= floor
    assert s.bcubed.precision >= precision_floor


def test_interleaving_keeps_each_story_in_order_and_spreads_the_times(rows: list[Row]) -> None:
    mixed = interleave(rows)
    assert sorted(r.id for r in mixed) == sorted(r.id for r in rows)
    assert mixed != interleave(rows, seed=2) and mixed == interleave(rows)
    for story in {r.story for r in rows}:
        assert [r.id for r in mixed if r.story == story] == [r.id for r in rows if r.story == story]
    assert all(a.at < b.at for a, b in itertools.pairwise(mixed))
    assert mixed[0].at == rows[0].at and abs(mixed[-1].at - rows[-1].at) < timedelta(seconds=1)
    switches = sum(1 for a, b in itertools.pairwise(mixed) if a.story != b.story)
    assert switches > len(rows) // 2  # against 58 in time order


def test_the_replay_is_what_the_store_does(rows: list[Row], tmp_path: Path) -> None:
    """cluster() keeps the story index in memory; the same headlines through the store's
    Writer (index query, stored vectors as float16, merges) make the same stories."""
    head = interleave(rows)[:300]  # many stories at once, and merges among them
    replayed = cluster(head, DEFAULT_RULES, use_entities=False)
    store = Store(f"sqlite:///{tmp_path / 'replay.db'}")
    (source_id,) = store.upsert_sources([Source("S", "https://s.example/", ())])
    stored: dict[int, int] = {}
    with writing(store) as w:
        for row in head:
            vector, meaning = terms(row.title, ""), headline_meaning(row.title)
            candidates = w.story_candidates(index_keys(vector, {}), row.at, DEFAULT_RULES.window)
            decision = choose_story(vector, (), row.at, candidates, DEFAULT_RULES, meaning)
            article_id = w.insert_article(
                _article(row),
                source_id=source_id,
                feed_id=None,
                seen_at=row.at,
                duplicate_of=None,
                entity_scores={},
                mention_entities=[],
                terms=vector,
                decision=decision,
                meaning=meaning,
            )
            story_id = w.story_of(article_id)
            assert story_id is not None
            merge = choose_merge(w.story(story_id), candidates, DEFAULT_RULES)
            if merge is not None:
                w.merge_stories(merge)
            stored[row.id] = article_id
    store_story = {c.id: c.story_id for c in _all_cards(store)}
    by_store = {row_id: store_story[article_id] for row_id, article_id in stored.items()}
    assert len(set(replayed.values())) < len(head) // 2
    assert adjusted_rand(replayed, by_store) == 1.0
    store.close()


def _article(row: Row) -> Article:
    return Article(
        url=f"https://s.example/{row.id}",
        title=row.title,
        text=row.title,
        summary="",
        published_at=row.at,
        author=None,
        image=None,
        category=None,
        language="en",
        content_hash=f"h{row.id}",
    )


def _all_cards(store: Store) -> list[CardRecord]:
    cards, cursor = [], None
    while True:
        page = store.list_cards(cursor=cursor, limit=100)
        cards += page.items
        if page.next_cursor is None:
            return cards
        cursor = page.next_cursor


def test_time_order_and_utc(rows: list[Row]) -> None:
    assert all((a.at, a.id) <= (b.at, b.id) for a, b in itertools.pairwise(rows))
    assert rows[0].at.tzinfo is UTC
    assert rows[0].at.isoformat().startswith("2014-03-10T16:52")


def test_baseline_scores_as_reported(rows: list[Row]) -> None:
    # The issue quotes B-cubed F1 about 0.73 for a naive TF-IDF baseline on this data.
    assert score(rows, tfidf_baseline(rows, 0.06)).bcubed.f1 == pytest.approx(0.738, abs=0.005)


# --- the metrics on hand-made partitions ---------------------------------------------------


GOLD = {1: "a", 2: "a", 3: "b", 4: "b"}


def test_perfect_clustering_scores_one() -> None:
    predicted = {1: 7, 2: 7, 3: 9, 4: 9}  # other labels, same partition
    assert bcubed(GOLD, predicted).f1 == 1.0
    assert pairwise(GOLD, predicted).f1 == 1.0
    assert adjusted_rand(GOLD, predicted) == 1.0
    assert nmi(GOLD, predicted) == pytest.approx(1.0)


def test_all_in_one_cluster() -> None:
    predicted = dict.fromkeys(GOLD, 0)
    b3 = bcubed(GOLD, predicted)
    assert (b3.precision, b3.recall) == (0.5, 1.0)  # each item: 2 of its 4 cluster mates
    pairs = pairwise(GOLD, predicted)
    assert pairs.precision == pytest.approx(2 / 6) and pairs.recall == 1.0
    assert adjusted_rand(GOLD, predicted) == 0.0
    assert nmi(GOLD, predicted) == 0.0


def test_all_singletons() -> None:
    predicted = {k: k for k in GOLD}
    b3 = bcubed(GOLD, predicted)
    assert (b3.precision, b3.recall) == (1.0, 0.5)
    assert pairwise(GOLD, predicted).recall == 0.0
    assert adjusted_rand(GOLD, predicted) == 0.0


def test_bcubed_by_hand() -> None:
    gold = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b"}
    predicted = {1: "x", 2: "x", 3: "y", 4: "y", 5: "y"}
    # precision per item: 1, 1, 1/3, 2/3, 2/3; recall: 2/3, 2/3, 1/3, 1, 1
    b3 = bcubed(gold, predicted)
    assert b3.precision == pytest.approx(11 / 15) and b3.recall == pytest.approx(11 / 15)
    assert b3.f1 == pytest.approx(11 / 15)


def test_adjusted_rand_by_hand() -> None:
    # scikit-learn's documented example: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 4/7
    assert adjusted_rand(GOLD, {1: 0, 2: 0, 3: 1, 4: 2}) == pytest.approx(4 / 7)
    # and it is symmetric
    assert adjusted_rand({1: 0, 2: 0, 3: 1, 4: 2}, GOLD) == pytest.approx(4 / 7)


def test_nmi_of_independent_partitions_is_zero() -> None:
    assert nmi(GOLD, {1: "x", 2: "y", 3: "x", 4: "y"}) == pytest.approx(0.0)
    # one cluster split in two, the other kept: MI = ln 2, H(gold) = ln 2, H(pred) = 1.5 ln 2
    assert nmi(GOLD, {1: 0, 2: 0, 3: 1, 4: 2}) == pytest.approx(math.log(2) / (1.25 * math.log(2)))


def test_precision_loss_by_pair_adds_up_to_what_bcubed_precision_lost() -> None:
    gold = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b", 6: "c"}
    predicted = {1: "x", 2: "x", 3: "y", 4: "y", 5: "y", 6: "y"}
    loss = precision_loss(gold, predicted)
    # y holds a, b, b, c: a loses 3/4 (b twice, c), each b 2/4 (a, c), c 3/4 (a, b twice)
    assert loss["a", "b"] == pytest.approx((2 / 4 + 1 / 4 + 1 / 4) / 6)
    assert loss["a", "c"] == pytest.approx((1 / 4 + 1 / 4) / 6)
    assert loss["b", "c"] == pytest.approx((1 / 4 + 1 / 4 + 2 / 4) / 6)
    assert sum(loss.values()) == pytest.approx(1 - bcubed(gold, predicted).precision)
    assert not precision_loss(GOLD, {1: 7, 2: 7, 3: 9, 4: 9})


def test_real_times_keep_the_interleaved_order(rows: list[Row]) -> None:
    mixed = interleave(rows[:200])
    kept = real_times(mixed, rows)
    assert [r.id for r in kept] == [r.id for r in mixed]
    at = {r.id: r.at for r in rows}
    assert all(r.at == at[r.id] for r in kept)
    assert any(r.at != at[r.id] for r in mixed)


def test_metrics_refuse_different_items() -> None:
    with pytest.raises(ValueError):
        bcubed(GOLD, {1: 0, 2: 0, 3: 1})


# --- loading and reporting ---------------------------------------------------------------


def test_load_uci_sorts_by_time_then_id(tmp_path: Path) -> None:
    csv_file = tmp_path / "uci.csv"
    csv_file.write_text(
        "ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP\n"
        '3,"Late, with a comma",http://c,C,b,s2,c,1394470371000\n'
        "2,Tie later id,http://b,B,b,s1,b,1394470370000\n"
        "1,Tie earlier id,http://a,A,b,s1,a,1394470370000\n",
        encoding="utf-8",
    )
    loaded = load_uci(csv_file)
    assert [r.id for r in loaded] == [1, 2, 3]
    assert loaded[2].title == "Late, with a comma" and loaded[2].story == "s2"
    assert loaded[0].at == datetime(2014, 3, 10, 16, 52, 50, tzinfo=UTC)


def test_write_section_replaces_only_its_section(tmp_path: Path) -> None:
    doc = tmp_path / "quality.md"
    assert not write_section(f"{SECTION}\n\nnew\n", doc)  # no doc: nothing written
    doc.write_text(f"# Quality\n\n## Extraction\n\nx\n\n{SECTION}\n\nold\n\n## Other\n\ny\n")
    assert write_section(f"{SECTION}\n\nnew\n", doc)
    assert doc.read_text() == (
        f"# Quality\n\n## Extraction\n\nx\n\n{SECTION}\n\nnew\n\n## Other\n\ny\n"
    )
    doc.write_text("# Quality\n\n## Extraction\n\nx\n\n")
    assert write_section(f"{SECTION}\n\nnew\n", doc)
    assert doc.read_text() == f"# Quality\n\n## Extraction\n\nx\n\n{SECTION}\n\nnew\n"


def test_script_without_data_says_why_and_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", str(tmp_path / "absent.csv"), "--no-entities"]) == 0
    assert "absent" in capsys.readouterr().out
