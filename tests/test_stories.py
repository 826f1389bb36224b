from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tagwire.stories import StoryRules, choose_story, cosine, merge_terms, terms, threshold_for
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
