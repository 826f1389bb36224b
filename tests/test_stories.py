from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tagwire.embeddings import cosine as vector_cosine
from tagwire.embeddings import embed
from tagwire.entities.knowledge import is_broad_place
from tagwire.stories import group
from tagwire.stories.group import (
    candidate_scores,
    choose_merge,
    choose_story,
    closeness,
    grow,
    merge_terms,
    merged,
    start,
)
from tagwire.stories.rules import (
    TERMS_KEPT,
    StoryRules,
    cosine,
    headline_meaning,
    terms,
    threshold_for,
    weights_for,
)
from tagwire.types import StoryCandidate

NOW = datetime(2025, 7, 11, 12, tzinfo=UTC)


def story(
    sid: int, title: str, lead: str, entities: set[int], hours_ago: float = 1
) -> StoryCandidate:
    at = NOW - timedelta(hours=hours_ago)
    return StoryCandidate(sid, title, terms(title, lead), frozenset(entities), at, at)


def test_terms_are_unit_vectors_without_stopwords() -> None:
    vector = terms("The summit in Geneva", "Leaders met in Geneva for the summit")
    assert "the" not in vector and "geneva" in vector
    assert abs(sum(v * v for v in vector.values()) - 1) < 1e-9
    assert abs(cosine(vector, vector) - 1) < 1e-9


def test_terms_keep_the_most_counted_then_alphabetical_first() -> None:
    """The reference: counts sorted by (-count, word), the first TERMS_KEPT, made unit
    length in that order (the order the floats are summed in)."""
    rng = np.random.default_rng(11)
    vocabulary = ["w" + "".join("abcdefghij"[int(d)] for d in f"{i:03d}") for i in range(120)]
    for _ in range(200):
        title = " ".join(rng.choice(vocabulary, size=int(rng.integers(0, 12))))
        lead = " ".join(rng.choice(vocabulary, size=int(rng.integers(0, 150))))
        counts: dict[str, float] = {}
        for weight, text in ((2.0, title), (1.0, lead)):
            for word in text.split():
                counts[word] = counts.get(word, 0.0) + weight
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TERMS_KEPT]
        norm = math.sqrt(sum(v * v for _, v in top))
        expected = [(k, v / norm) for k, v in top] if norm else []
        assert list(terms(title, lead).items()) == expected


def test_same_event_joins_the_story_other_event_does_not() -> None:
    summit = story(
        1,
        "Marchetti and Okafor meet in Geneva for trade summit",
        "Leaders met in Geneva to discuss tariffs",
        {10, 11, 12},
    )
    football = story(2, "United win the cup final", "A late goal decided the final", {20})
    vector = terms(
        "Geneva trade summit: Marchetti, Okafor agree tariff truce",
        "The leaders agreed in Geneva on tariffs",
    )
    decision = choose_story(vector, {10, 11, 13}, NOW, [football, summit])
    assert decision.story_id == 1 and decision.shared_entities == (10, 11)
    other = choose_story(terms("Storm hits coast", "Heavy rain"), {30}, NOW, [summit, football])
    assert other.story_id is None


def test_candidate_scores_are_the_scores_choose_story_weighs() -> None:
    summit = story(1, "Geneva trade summit opens", "Leaders in Geneva", {10, 11})
    talks = story(2, "Trade talks resume", "Negotiators met on tariffs", {11, 12})
    old = story(3, "Geneva trade summit", "Leaders in Geneva", {10}, hours_ago=24 * 10)
    vector = terms("Geneva summit: leaders agree on trade", "The leaders met in Geneva")
    meaning = headline_meaning("Geneva summit: leaders agree on trade")
    candidates = [talks, old, summit]
    scores = candidate_scores(vector, {10, 11}, NOW, candidates, meaning=meaning)
    assert set(scores) == {1, 2}  # the old story is past the window
    decision = choose_story(vector, {10, 11}, NOW, candidates, meaning=meaning)
    assert decision.story_id == 1 and scores[1] == decision.score > scores[2] > 0


def test_old_stories_are_not_candidates() -> None:
    old = story(1, "Geneva trade summit", "Leaders in Geneva", {1, 2}, hours_ago=24 * 10)
    decision = choose_story(terms("Geneva trade summit", "Leaders in Geneva"), {1, 2}, NOW, [old])
    assert decision.story_id is None


def test_merge_terms_keeps_a_unit_centroid() -> None:
    first = terms("a summit", "geneva")
    merged = merge_terms(first, 1, terms("trade talks", "geneva"))
    assert abs(sum(v * v for v in merged.values()) - 1) < 1e-9
    assert merged["geneva"] > first["geneva"] and merged["summit"] < first["summit"]


LEAD_A = (
    "Pacific Rim Dairy reported annual profit up sharply as demand from Asian buyers "
    "for milk powder and butter grew, chief executive Laura Bennett told investors in "
    "Auckland, adding that farm gate prices would rise next season for suppliers"
)
LEAD_B = (
    "Pacific Rim Dairy opened a regional hub in Singapore to serve customers across "
    "Southeast Asia, chief executive Laura Bennett said at the opening ceremony, where "
    "officials from the trade ministry welcomed the new jobs and the warehouse, which "
    "will store cheese, yoghurt and infant formula shipped weekly from Tauranga port"
)


def test_the_same_company_a_day_later_is_another_story() -> None:
    vector = terms("Pacific Rim Dairy opens Singapore hub", LEAD_B)
    assert len(vector) >= 30, "a full article's vector"

    def earlier(hours_ago: float) -> StoryCandidate:
        return story(1, "Pacific Rim Dairy profit jumps", LEAD_A, {1, 2, 3}, hours_ago)

    assert choose_story(vector, {1, 2, 3}, NOW, [earlier(22)]).story_id is None
    same_day = choose_story(vector, {1, 2, 3}, NOW, [earlier(0.5)])
    later = choose_story(vector, {1, 2, 3}, NOW, [earlier(22)])
    assert same_day.score > later.score * 1.9  # 22 hours is more than one half-life


def test_headlines_need_less_to_join_than_full_articles() -> None:
    rules = StoryRules()
    headline = terms("Titanfall beta opens to all Xbox One owners", "")
    article = terms("Pacific Rim Dairy opens Singapore hub", LEAD_B)
    assert threshold_for(rules, headline) == rules.threshold_short
    assert threshold_for(rules, article) == rules.threshold


# --- meaning vectors and merges -------------------------------------------------------------


def headline_story(sid: int, titles: list[str], hours_ago: float = 1) -> StoryCandidate:
    """A story of headlines (no lead): its terms' centroid and its headlines' mean vector."""
    at = NOW - timedelta(hours=hours_ago)
    first = start(sid, titles[0], terms(titles[0], ""), (), at, headline_meaning(titles[0]))
    story = first
    for title in titles[1:]:
        story = grow(story, terms(title, ""), (), at, headline_meaning(title))
    return story


def test_a_paraphrase_sharing_one_word_joins_by_meaning() -> None:
    taper = headline_story(1, ["Fed's Plosser: Taper pace may be too slow"])
    other = headline_story(2, ["Bieber surprises with SXSW performance"])
    title = "Fed official says weak data caused by weather, should not slow taper"
    vector = terms(title, "")
    without = choose_story(vector, (), NOW, [taper, other])
    assert without.story_id is None, "without the meaning, one shared word is too little"
    decision = choose_story(vector, (), NOW, [taper, other], meaning=headline_meaning(title))
    assert decision.story_id == 1 and decision.meaning_similarity > 0.5
    assert decision.score >= threshold_for(StoryRules(), vector)


def test_full_articles_lean_on_their_words_headlines_on_their_meaning() -> None:
    rules = StoryRules()
    assert weights_for(rules, terms("Titanfall beta opens to all", "")) == (
        rules.meaning_weight_short,
        rules.text_weight_short,
    )
    assert weights_for(rules, terms("Pacific Rim Dairy opens Singapore hub", LEAD_B)) == (
        rules.meaning_weight,
        rules.text_weight,
    )


def test_a_story_keeps_the_mean_of_its_headlines_vectors() -> None:
    titles = ["Chiquita to buy Fyffes", "Chiquita, Fyffes agree to merge", "Banana giant born"]
    story = headline_story(1, titles)
    vectors = [embed(t) for t in titles]
    assert story.size == 3 and story.meaning is not None
    assert np.allclose(story.meaning, np.mean(vectors, axis=0), atol=1e-6)


CARNEY = [
    "Mark Carney tells MPs Bank of England will overhaul oversight",
    "Carney: BoE to review its supervision after forex probe",
    "Bank of England governor Carney faces Treasury committee",
]
CARNEY_2 = [
    "BoE's Carney grilled by Treasury select committee",
    "Carney says Bank of England oversight to change",
]


def test_converged_stories_merge_into_the_larger() -> None:
    big, small = headline_story(7, CARNEY), headline_story(9, CARNEY_2)
    unrelated = headline_story(3, ["Lena Dunham apologises for joke on Twitter"])
    merge = choose_merge(small, [unrelated, big, small])
    assert merge is not None and (merge.keep, merge.gone) == (7, 9)
    assert merge.similarity >= StoryRules().merge_threshold
    one = merged(big, small)
    assert one.id == 7 and one.size == 5
    assert abs(sum(v * v for v in one.terms.values()) - 1) < 1e-9
    mean = (big.meaning * 3 + small.meaning * 2) / 5  # type: ignore[operator]
    assert one.meaning is not None and np.allclose(one.meaning, mean, atol=1e-6)
    assert choose_merge(unrelated, [big, small]) is None


def test_a_merge_weighs_the_words_both_stories_gathered() -> None:
    # Mean vectors at cosine 0.45 alone stay below the merge bar; the same with term
    # centroids that agree pass it (0.45 + 0.25 x 1), with centroids that share no word not.
    rules = StoryRules()
    a = np.zeros(16, np.float32)
    a[0] = 1.0
    b = np.zeros(16, np.float32)
    b[0], b[1] = 0.45, math.sqrt(1 - 0.45**2)
    at = NOW - timedelta(hours=1)
    words = terms("Fannie Freddie overhaul agreed", "")

    def two(other_words: dict[str, float]) -> tuple[StoryCandidate, StoryCandidate]:
        first = StoryCandidate(1, "t", words, frozenset(), at, at, 3, a)
        return first, StoryCandidate(2, "t", other_words, frozenset(), at, at, 2, b)

    agreeing = two(words)
    merge = choose_merge(agreeing[1], list(agreeing), rules)
    assert merge is not None and (merge.keep, merge.gone) == (1, 2)
    assert merge.similarity == pytest.approx(0.45 + rules.merge_text_weight, abs=1e-6)
    apart = two(terms("Storm closes schools", ""))
    assert choose_merge(apart[1], list(apart), rules) is None


def lone_and_grown(
    cos: float, lone_words: dict[str, float], size: int = 1
) -> tuple[StoryCandidate, StoryCandidate]:
    """A story of ``size`` articles whose mean vector is at cosine ``cos`` with a grown
    story's (3 articles), sharing no term."""
    a = np.zeros(16, np.float32)
    a[0] = 1.0
    b = np.zeros(16, np.float32)
    b[0], b[1] = cos, math.sqrt(1 - cos**2)
    at = NOW - timedelta(hours=1)
    grown = StoryCandidate(
        1, "t", terms("Fannie Freddie overhaul agreed", ""), frozenset(), at, at, 3, a
    )
    return grown, StoryCandidate(2, "t", lone_words, frozenset(), at, at, size, b)


def test_a_lone_headline_merges_when_it_would_join_the_grown_story_now() -> None:
    # At cosine 0.4 with a grown story's mean, a story of one headline is below the merge bar
    # of two means (0.5) but past the headline's joining bar (0.3): it is taken in, as it
    # would have been had it come after the story had gathered its articles. Two headlines
    # are a mean: the merge bar again. Without the rule: the merge bar for all.
    rules = StoryRules()
    headline = terms("Lawmakers reach housing finance deal", "")
    assert len(headline) <= rules.short_terms
    grown, lone = lone_and_grown(0.4, headline)
    merge = choose_merge(grown, [grown, lone], rules)
    assert merge is not None and (merge.keep, merge.gone) == (1, 2)
    assert merge.similarity == pytest.approx(0.4, abs=1e-6)  # the same hour: no decay
    assert choose_merge(lone, [grown, lone], rules) == merge  # whichever side grew
    assert choose_merge(grown, [grown, lone_and_grown(0.4, headline, size=2)[1]], rules) is None
    assert choose_merge(grown, [grown, lone], replace(rules, lone_merge=False)) is None
    assert choose_merge(grown, [grown, lone_and_grown(0.25, headline)[1]], rules) is None


def test_a_lone_full_article_merges_only_by_the_full_articles_rule() -> None:
    # A full article's joining rule weighs its meaning by half and asks 0.45 (the demo's
    # Geneva trade talks and Geneva summit are at cosine 0.33): a lone article at cosine
    # 0.6 with no shared word scores 0.3 and stays apart.
    rules = StoryRules()
    lead = " ".join(f"{chr(97 + i % 26)}{chr(97 + i // 26)}word" for i in range(40))
    article = terms("Lawmakers reach housing finance deal", lead)
    assert len(article) >= rules.long_terms
    grown, lone = lone_and_grown(0.6, article)
    assert choose_merge(grown, [grown, lone], rules) is None
    assert choose_merge(grown, [grown, lone_and_grown(0.6, headline_words())[1]], rules)


def headline_words() -> dict[str, float]:
    return terms("Lawmakers reach housing finance deal", "")


def test_a_tag_many_recent_stories_carry_counts_less_than_a_specific_one() -> None:
    # Entity 7 is on every candidate (a large country), entity 8 on one: shared with the
    # same story, 8 weighs fully and 7 by log 2 / log(1 + n) of the n candidates.
    title = "Trade talks resume in Geneva"
    vector = terms(title, "")
    talks = story(1, "Trade talks in Geneva", "", {7, 8})
    others = [story(2, "Football final tonight", "", {7}), story(3, "Storm hits coast", "", {7})]
    common_alone = choose_story(vector, {7}, NOW, [talks])
    common_crowd = choose_story(vector, {7}, NOW, [talks, *others])
    specific_crowd = choose_story(vector, {8}, NOW, [talks, *others])
    assert common_crowd.shared_entities == (7,) and specific_crowd.shared_entities == (8,)
    rules = StoryRules()
    decay = 0.5 ** (timedelta(hours=1) / rules.half_life)  # the stories are an hour old
    assert common_alone.score == pytest.approx(specific_crowd.score)
    assert common_alone.score - common_crowd.score == pytest.approx(
        rules.entity_weight * (1 - math.log(2) / math.log(4)) * decay
    )


def test_stories_a_day_apart_do_not_merge() -> None:
    big, small = headline_story(7, CARNEY), headline_story(9, CARNEY_2, hours_ago=30)
    assert choose_merge(big, [small]) is None


def test_stories_stored_without_vectors_get_one_from_their_next_article() -> None:
    old = story(1, "Geneva trade summit", "", set())  # stored before stories had vectors
    assert old.meaning is None and choose_merge(old, []) is None
    meaning = headline_meaning("Geneva trade summit ends with a deal")
    grown = grow(old, terms("Geneva trade summit ends with a deal", ""), (), NOW, meaning)
    assert grown.meaning is not None and np.allclose(grown.meaning, meaning)  # type: ignore[arg-type]
    assert headline_meaning("... !") is None


def test_closeness_is_each_storys_cosine_and_zero_without_a_vector() -> None:
    # The one matrix product must give what one cosine per story gives (the decisions were
    # measured with those), in the stories' order, 0 for a story stored without a vector.
    headline = embed("Central bank raises interest rates again")
    others = [
        ("Interest rates go up at the central bank", True),
        ("Storm closes schools across the north", True),
        ("Older story without a vector", False),
        ("Bank lifts borrowing costs for a third time", True),
    ]
    stories = [
        start(i, title, terms(title, ""), (), NOW, embed(title) if has else None)
        for i, (title, has) in enumerate(others)
    ]
    got = closeness(headline, stories)
    assert got[2] == 0.0
    for i in (0, 1, 3):
        meaning = stories[i].meaning
        assert meaning is not None
        assert abs(got[i] - vector_cosine(headline, meaning)) < 1e-6
    assert got[0] > got[1] and got[3] > got[1]
    assert closeness(None, stories) == [0.0] * 4


# -- broad places (issue 28) -------------------------------------------------------------------

GENEVA, ASIA, EUROPE, ITALY, JAPAN, US, CHINA = range(101, 108)


def test_broad_places_alone_never_make_two_articles_one_story() -> None:
    summit = story(
        1,
        "Italian, Japanese leaders agree to cut car and wine tariffs in Geneva",
        "Leaders of Italy and Japan met in Geneva; trade in Asia and Europe will follow.",
        {GENEVA, ASIA, EUROPE, ITALY, JAPAN},
    )
    vector = terms(
        "US-China trade talks resume in Geneva",
        "Negotiators met in Geneva; markets in Asia and Europe watched the trade talks.",
    )
    mine = {US, CHINA, ASIA, EUROPE}
    counted = choose_story(vector, mine, NOW, [summit])
    assert set(counted.shared_entities) == {ASIA, EUROPE}  # the test has teeth
    decision = choose_story(vector, mine, NOW, [summit], broad={ASIA, EUROPE})
    alone = choose_story(vector, {US, CHINA}, NOW, [summit])
    assert decision.shared_entities == ()
    assert decision.score == alone.score < counted.score
    # A specific entity shared still counts, whatever broad places come with it.
    with_city = choose_story(vector, mine | {GENEVA}, NOW, [summit], broad={ASIA, EUROPE})
    assert with_city.shared_entities == (GENEVA,)


def test_broad_place_ids_are_continents_and_world_regions_only() -> None:
    pairs = [
        (("place", "Asia"), 1),
        (("place", "Europe"), 2),
        (("place", "Geneva"), 3),
        (("place", "Japan"), 4),
        (("organisation", "Europe"), 5),
    ]
    assert group.broad_place_ids(pairs) == {1, 2}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo site's publishers, ingested by ``tagwire ingest`` (as a user runs it)."""
    from tagwire.demo.site import PublisherSite, sources_toml

    tmp = tmp_path_factory.mktemp("demo-stories")
    db = tmp / "demo.db"
    with PublisherSite() as site:
        sources = tmp / "sources.toml"
        sources.write_text(sources_toml(site.base_url), encoding="utf-8")
        env = dict(
            os.environ,
            TAGWIRE_ALLOWED_HOSTS="127.0.0.1",
            TAGWIRE_HOST_DELAY="0",
            TAGWIRE_WORKERS="1",
        )
        tagwire = str(Path(sys.executable).with_name("tagwire"))
        done = subprocess.run(
            [tagwire, "ingest", "--sources", str(sources), "--db", f"sqlite:///{db}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    return db


def test_no_demo_story_joins_through_broad_places(demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as conn:
        names = dict(conn.execute("SELECT id, name FROM entities").fetchall())
        rows = conn.execute(
            "SELECT title, story_id, story_shared FROM articles"
            " WHERE listed AND NOT story_started AND story_shared IS NOT NULL"
        ).fetchall()
        story_of = dict(conn.execute("SELECT title, story_id FROM articles WHERE listed"))
    joined = [(title, [names[e] for e in json.loads(shared)]) for title, _, shared in rows]
    assert any(shared for _, shared in joined)  # the summit's articles join through names
    for title, shared in joined:
        assert not any(is_broad_place(name) for name in shared), (title, shared)
    trade = next(s for t, s in story_of.items() if "trade talks resume in Geneva" in t)
    summit = story_of["Marchetti and Nakamura strike tariff truce at Geneva summit"]
    assert trade != summit
