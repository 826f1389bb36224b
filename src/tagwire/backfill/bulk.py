"""The import's rows: its stories as the store keeps them, and the near-duplicate keys
written at the import's end. The SQL is the store's (``store.bulk``); what is re-exported
here keeps ``tagwire.backfill.insert_many`` and the like answering.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection

from tagwire.dedup.near import band_key_array
from tagwire.embeddings import to_blob
from tagwire.store import bulk
from tagwire.store.bulk import (
    countries_of,
    first_by_hash,
    insert_columns,
    insert_many,
    known_urls_of,
    reserve_ids,
)
from tagwire.types import StoryCandidate

__all__ = [
    "complete_near_keys",
    "countries_of",
    "first_by_hash",
    "insert_columns",
    "insert_many",
    "known_urls_of",
    "reserve_ids",
    "story_row",
    "update_stories",
]


def story_row(s: StoryCandidate) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "first_seen": s.first_seen,
        "last_seen": s.last_seen,
        "article_count": s.size,
        "publishers": 1,
        "terms": s.terms,
        "entity_ids": sorted(s.entity_ids),
        "meaning": None if s.meaning is None else to_blob(s.meaning),
    }


def update_stories(conn: Connection, stories: list[StoryCandidate], inserted: set[int]) -> None:
    """Each touched story's state (but those just ``inserted`` as they are now), and its
    counts from its listed articles."""
    if not stories:
        return
    changed = [
        {
            "sid": st.id,
            "first": st.first_seen,
            "last": st.last_seen,
            "terms": st.terms,
            "entities": sorted(st.entity_ids),
            "blob": None if st.meaning is None else to_blob(st.meaning),
        }
        for st in stories
        if st.id not in inserted
    ]
    bulk.update_stories(conn, changed, [st.id for st in stories])


def complete_near_keys(conn: Connection, after: datetime, chunk: int = 200_000) -> int:
    """Write the LSH band keys of the articles since ``after`` that have none, derived from
    their stored fingerprints (as ingest's ``ArticleWriter.insert_article`` writes them), in key
    order; return how many articles got keys.

    An import writes these keys at its end, not batch by batch: a batch's 64 keys an
    article land at random places in the key index, so every commit rewrote most of the
    index's pages, and over an archive's last 30 days the keys cost the store more than
    everything else the batches wrote (bench/scale.py). Derived data, so an import cut
    short loses nothing: its next run writes what is missing."""
    rows = bulk.fingerprinted_since(conn, after)
    keys = [np.unique(band_key_array(bytes(r.fingerprint))) for r in rows]
    # An article's keys are written in one transaction: it has them all if it has its least.
    have = bulk.keyed(conn, [(int(each[0]), r.id) for each, r in zip(keys, rows, strict=True)])
    wanted = [i for i, r in enumerate(rows) if r.id not in have]
    if not wanted:
        return 0
    of_row = np.repeat(wanted, [len(keys[i]) for i in wanted])
    all_keys = np.concatenate([keys[i] for i in wanted])
    ids = np.array([r.id for r in rows])
    bulk.insert_near_keys(conn, all_keys, of_row, ids, [r.sort_at for r in rows], chunk)
    return len(wanted)
