"""The rows of an article and its story, made the same way by ingest and the import: what
each column holds is decided once here, and the store only writes what it is given."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from tagwire.embeddings import from_blob, to_blob
from tagwire.entities.ner import salience
from tagwire.entities.places import region_of
from tagwire.store.records import StoryRow
from tagwire.store.writer import Writer
from tagwire.stories.rules import Decision
from tagwire.types import Mention, StoryCandidate


class RowStore(Protocol):
    """What the writers here need of ``tagwire.store.Store``: its row transactions. (The
    store's package is not imported: its ``writer()`` imports ``ingest.writer``.)"""

    def rows(self) -> AbstractContextManager[Writer]: ...


def entity_scores(
    mentions: tuple[Mention, ...], ids: Mapping[tuple[str, str], int], blocked: set[int]
) -> dict[int, float]:
    """An article's tags and their salience: each resolved name's score added to its
    entity's, blocked entities left out; in the order of first mention (``salience``'s)."""
    scores: dict[int, float] = {}
    for key, score in salience(mentions).items():
        entity_id = ids[key]
        if entity_id not in blocked:
            scores[entity_id] = scores.get(entity_id, 0.0) + score
    return scores


def tag_rows(
    article_id: int, sort_at: datetime, scores: Mapping[int, float]
) -> list[dict[str, Any]]:
    """``article_tags`` rows, most salient first; equal scores keep the order of first
    mention (the order of ``scores``), so a card's tags do not depend on entity ids."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return [
        {
            "entity_id": entity_id,
            "article_id": article_id,
            "sort_at": sort_at,
            "salience": score,
            "rank": rank,
        }
        for rank, (entity_id, score) in enumerate(ranked)
    ]


def regions(source_region: str | None, countries: Iterable[str | None]) -> list[str]:
    """The editions of a listed article: its publisher's region and the regions of the
    countries of the places among its tags."""
    return sorted({r for r in (source_region, *(region_of(c) for c in countries)) if r})


def article_row(
    *,
    source_id: int,
    feed_id: int | None,
    url: str,
    title: str,
    summary: str,
    text: str,
    author: str | None,
    image: str | None,
    category: str | None,
    language: str | None,
    published_at: datetime | None,
    first_seen_at: datetime,
    content_hash: str,
    extraction: str | None,
    words: int,
    title_key: str,
    fingerprint: bytes | None,
    story_id: int | None,
    decision: Decision | None,
    duplicate_of: int | None,
) -> dict[str, Any]:
    """An ``articles`` row: listed unless it is a copy; the story decision kept so that a
    grouping can be explained (``story_origin``: the story it first joined)."""
    return {
        "source_id": source_id,
        "feed_id": feed_id,
        "url": url,
        "title": title,
        "summary": summary,
        "text": text,
        "author": author,
        "image": image,
        "category": category,
        "language": language,
        "published_at": published_at,
        "first_seen_at": first_seen_at,
        "sort_at": published_at or first_seen_at,
        "content_hash": content_hash,
        "extraction": extraction,
        "story_id": story_id,
        "story_score": decision.score if decision else None,
        "story_shared": list(decision.shared_entities) if decision else None,
        "duplicate_of": duplicate_of,
        "listed": duplicate_of is None,
        "words": words,
        "story_text": decision.text_similarity if decision else None,
        "story_meaning": decision.meaning_similarity if decision else None,
        "story_origin": story_id,
        "story_started": decision.story_id is None if decision else None,
        "title_key": title_key,
        "fingerprint": fingerprint,
    }


def story_row(story: StoryCandidate, publishers: int = 1) -> StoryRow:
    """A story as the store keeps it (its mean vector as float16 bytes)."""
    return StoryRow(
        id=story.id,
        title=story.title,
        terms=story.terms,
        entity_ids=story.entity_ids,
        last_seen=story.last_seen,
        first_seen=story.first_seen,
        size=story.size,
        meaning=None if story.meaning is None else to_blob(story.meaning),
        publishers=publishers,
    )


def story_candidate(row: StoryRow) -> StoryCandidate:
    """A stored story as the story stage sees it."""
    return StoryCandidate(
        id=row.id,
        title=row.title,
        terms=dict(row.terms),
        entity_ids=frozenset(row.entity_ids),
        last_seen=row.last_seen,
        first_seen=row.first_seen,
        size=row.size,
        meaning=from_blob(row.meaning) if row.meaning is not None else None,
    )
