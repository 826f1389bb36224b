"""decide.py, the copy rule ingest and import share, on lookups made of plain dicts: the
order of the rules, the short-text exception, and which copy survives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tagwire.dedup.near import MIN_WORDS
from tagwire.ingest.decide import Verdict, decide, same_article

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@dataclass
class Stored:
    """What is stored, as a caller's lookups see it: survivors by id."""

    texts: dict[str, int] = field(default_factory=dict)  # content hash -> survivor
    near: dict[str, int] = field(default_factory=dict)  # fingerprint -> survivor
    titles: dict[tuple[int, str], int] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)  # survivor -> words
    times: dict[int, datetime] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def by_text(self, content_hash: str) -> int | None:
        self.asked.append("text")
        return self.texts.get(content_hash)

    def near_same(self, fingerprint: str, at: datetime) -> int | None:
        self.asked.append("near")
        return self.near.get(fingerprint)

    def same_title(self, source_id: int, title_key: str, at: datetime) -> int | None:
        self.asked.append("title")
        return self.titles.get((source_id, title_key))

    def words(self, copy: int) -> int:
        return self.sizes[copy]

    def sort_at(self, copy: int) -> datetime:
        return self.times[copy]


def test_nothing_stored_is_new() -> None:
    stored = Stored()
    verdict = decide(stored, "fp", "h", 1, "title", T0, 300)
    assert verdict == Verdict(None, False) and verdict.listed
    assert stored.asked == ["text", "near", "title"]


def test_the_same_text_is_asked_first_and_ends_the_search() -> None:
    stored = Stored(texts={"h": 7}, near={"fp": 8}, sizes={7: 300}, times={7: T0})
    assert same_article(stored, "fp", "h", 1, "title", T0) == 7
    assert stored.asked == ["text"]


def test_a_near_same_text_before_the_title() -> None:
    stored = Stored(near={"fp": 8}, titles={(1, "title"): 9}, sizes={8: 300, 9: 300})
    assert same_article(stored, "fp", "h", 1, "title", T0) == 8
    assert stored.asked == ["text", "near"]


def test_the_same_title_counts_only_for_short_texts() -> None:
    long_one = Stored(titles={(1, "title"): 9}, sizes={9: MIN_WORDS})
    assert same_article(long_one, "fp", "h", 1, "title", T0) is None
    short_one = Stored(titles={(1, "title"): 9}, sizes={9: MIN_WORDS - 1})
    assert same_article(short_one, "fp", "h", 1, "title", T0) == 9
    # A text too short to fingerprint: the publisher's same title is the copy, whatever
    # the other's length, and the text rules are not asked.
    unprinted = Stored(titles={(1, "title"): 9}, sizes={9: 5000})
    assert same_article(unprinted, None, "h", 1, "title", T0) == 9
    assert unprinted.asked == ["title"]
    assert same_article(Stored(titles={(2, "title"): 9}), None, "h", 1, "title", T0) is None


def test_a_fuller_or_earlier_copy_replaces_its_survivor() -> None:
    stored = Stored(texts={"h": 7}, sizes={7: 300}, times={7: T0})
    fuller = decide(stored, "fp", "h", 1, "t", T0 + timedelta(hours=1), 600)
    assert fuller == Verdict(7, True) and fuller.listed
    later = decide(stored, "fp", "h", 1, "t", T0 + timedelta(hours=1), 300)
    assert later == Verdict(7, False) and not later.listed
    earlier = decide(stored, "fp", "h", 1, "t", T0 - timedelta(hours=1), 300)
    assert earlier == Verdict(7, True)
