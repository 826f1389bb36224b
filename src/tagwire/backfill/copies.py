"""``decide.CopyLookups`` answered by the import's windows in memory, for one batch: the
same text from the store's answer (all history) or the batches not yet written, near-same
texts from the near-duplicate window, the publisher's same title from the titles seen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tagwire.backfill.near_index import NearDupIndex
from tagwire.backfill.prepare import Prepared, key_array
from tagwire.dedup import exact as dedup


class Known(Protocol):
    """An article the decisions may meet again, as ``run._Known`` keeps it."""

    @property
    def sort_at(self) -> datetime: ...

    @property
    def words(self) -> int: ...

    @property
    def duplicate_of(self) -> int | None: ...


def survivor_of(known: Mapping[int, Known], article_id: int) -> int:
    """The article a known one is a copy of, through copies of copies; itself if none."""
    while (up := known[article_id].duplicate_of) is not None:
        article_id = up
    return article_id


@dataclass(frozen=True, slots=True)
class WindowCopies:
    known: Mapping[int, Known]
    ensure_known: Callable[[int], int]  # an article stored before the import, read in
    hash_rows: dict[str, int]  # the store's: content hash -> the first article with it
    pending_hashes: dict[str, int]  # the batch before's, which the store may not have yet
    batch_hashes: dict[str, int]  # this batch's so far
    near: NearDupIndex
    titles: dict[tuple[int, str], tuple[int, datetime]]  # (source, title key) -> latest

    def by_text(self, content_hash: str) -> int | None:
        h = content_hash
        same = self.hash_rows.get(h) or self.pending_hashes.get(h) or self.batch_hashes.get(h)
        return None if same is None else survivor_of(self.known, self.ensure_known(same))

    def near_same(self, fingerprint: Prepared, at: datetime) -> int | None:
        """``fingerprint``: the prepared article (its packed fingerprint and band keys)."""
        assert fingerprint.fingerprint is not None and fingerprint.band_keys is not None
        # The matched article's survivor is found here: one walk, not one per candidate.
        keys = key_array(fingerprint.band_keys)
        match = self.near.best_match(fingerprint.fingerprint, keys, at)
        return None if match is None else survivor_of(self.known, match.survivor_id)

    def same_title(self, source_id: int, title_key: str, at: datetime) -> int | None:
        title = self.titles.get((source_id, title_key))
        if title is None or abs(title[1] - at) > dedup.TITLE_WINDOW:
            return None
        return survivor_of(self.known, title[0])

    def words(self, copy: int) -> int:
        return self.known[copy].words

    def sort_at(self, copy: int) -> datetime:
        return self.known[copy].sort_at
