"""What passes between the import's decisions and its store process, batch by batch: what a
batch's lookups ask for (``Wanted``), what the store answers (``Lookups``), and the rows
and story changes the decisions made (``Batch``, ``Decided``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tagwire.backfill.prepare import Prepared
from tagwire.stories.rules import Merge
from tagwire.types import StoryCandidate


@dataclass
class Batch:
    articles: list[dict[str, Any]] = field(default_factory=list)
    urls: list[dict[str, Any]] = field(default_factory=list)
    story_keys: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    tag_counts: Counter[int] = field(default_factory=Counter)
    new_stories: set[int] = field(default_factory=set)
    touched_stories: set[int] = field(default_factory=set)
    merges: list[Merge] = field(default_factory=list)
    gone: dict[int, StoryCandidate] = field(default_factory=dict)  # started, then merged away
    folds: list[tuple[int, int]] = field(default_factory=list)  # (old survivor, new one)
    urls_seen: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lookups:
    """What a batch's decisions need from the store, read before them."""

    known_urls: set[str]
    hash_rows: dict[str, int]  # content hash -> the first article with it
    entity_ids: dict[tuple[str, str], int]  # (kind, name) -> id
    blocked: set[int]
    countries: dict[int, str]  # place entity -> its country
    sources: dict[str, tuple[int, str | None]]  # every source's site URL -> id, region


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a batch's lookups ask for, in the order of its articles."""

    urls: list[str]
    hashes: list[str]
    names: list[tuple[str, str]]  # (kind, name), first use first
    by_article: list[list[tuple[str, str]]]  # each article's (kind, name) pairs
    sources: dict[str, str]  # site URL -> the publisher's name, for sources maybe new


def wanted_for(prepared: list[Prepared]) -> Wanted:
    records = [p.record for p in prepared]
    by_article = [list(dict.fromkeys((m.kind.value, m.name) for m in p.mentions)) for p in prepared]
    return Wanted(
        urls=[r.url for r in records],
        hashes=[p.content_hash for p in prepared],
        # In the order ingest would meet them: which of two same-named entities is created
        # first decides which one keeps the plain slug.
        names=list(dict.fromkeys(n for names in by_article for n in names)),
        by_article=by_article,
        sources={
            r.source: r.source_name or urlsplit(r.source).hostname or r.source for r in records
        },
    )


@dataclass(frozen=True, slots=True)
class Decided:
    """A decided batch as the store's side writes it (nothing in it changes after)."""

    batch: Batch
    new_stories: list[StoryCandidate]
    moves: list[tuple[Merge, int]]  # a merge and the story its articles end in
    live_stories: list[StoryCandidate]  # every story the batch touched, as it is now
    # The import's last batch: then the near-duplicate keys of the articles since this time
    # that have none are written (complete_near_keys).
    keys_after: datetime | None = None
