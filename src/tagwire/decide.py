"""Which stored article a new one is a copy of, and which of the two is kept: the one
implementation that ingest (``pipeline.Pipeline.store_article``) and the import
(``backfill.run.Backfill``) both run.

Pure: the questions the rule asks of what is stored go through a small lookups protocol,
and each caller answers them its own way. Ingest asks the store's key tables inside the
article's transaction (any number of writers share them); the import asks its windows in
memory (one writer, an archive in time order). So the two paths agree by construction: the
order of the rules, the short-text exception and the survivor rule live here once, and the
lookups only say what is stored.

::

    a fingerprinted text (long enough for MinHash):
        the same text stored (all history)?              -> a copy of its survivor
        a near-same text within the dedup window?        -> a copy of its survivor
    the publisher's same title within dedup.TITLE_WINDOW, and the text too short to
    fingerprint or the other's shorter than neardup.MIN_WORDS? -> a copy of its survivor
    a copy replaces its survivor when dedup.new_copy_survives (fuller, or as full and earlier)

Story assignment (start, join, merge) is not here yet: both callers score through the same
``stories.StoryTable``, but each still carries the steps around it (issue 27).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from tagwire.dedup import new_copy_survives
from tagwire.neardup import MIN_WORDS

Copy = TypeVar("Copy")  # how a caller names a stored survivor (a row, an id)
Print = TypeVar("Print", contravariant=True)  # how a caller holds an article's fingerprint
C = TypeVar("C")
P = TypeVar("P")


class CopyLookups(Protocol[Copy, Print]):
    """What the rule asks of what is stored; every answer is a survivor (an article that is
    no copy itself), or None."""

    def by_text(self, content_hash: str) -> Copy | None:
        """The survivor of the first stored article with this normalised text."""

    def near_same(self, fingerprint: Print, at: datetime) -> Copy | None:
        """The survivor of the best near-duplicate (``neardup``'s rule) within the dedup
        window of ``at``."""

    def same_title(self, source_id: int, title_key: str, at: datetime) -> Copy | None:
        """The survivor of a stored article of this publisher with the same title key within
        ``dedup.TITLE_WINDOW`` of ``at``."""

    def words(self, copy: Copy) -> int:
        """How many words the survivor's text has."""

    def sort_at(self, copy: Copy) -> datetime:
        """The survivor's time (published, else first seen)."""


@dataclass(frozen=True, slots=True)
class Verdict(Generic[C]):
    """What becomes of a new article: new (``survivor`` None), or a copy of ``survivor`` that
    either folds under it or replaces it (``replaces``: the survivor folds under the new)."""

    survivor: C | None
    replaces: bool

    @property
    def listed(self) -> bool:
        """Whether the new article is shown (new, or the copy that survives)."""
        return self.survivor is None or self.replaces


def same_article(
    lookups: CopyLookups[C, P],
    fingerprint: P | None,
    content_hash: str,
    source_id: int,
    title_key: str,
    at: datetime,
) -> C | None:
    """The stored article a new one is a copy of: same text, near-same text within the
    window, or (when a text is too short to fingerprint) the publisher's same title."""
    if fingerprint is not None:
        same = lookups.by_text(content_hash)
        if same is not None:
            return same
        near = lookups.near_same(fingerprint, at)
        if near is not None:
            return near
    titled = lookups.same_title(source_id, title_key, at)
    if titled is not None and (fingerprint is None or lookups.words(titled) < MIN_WORDS):
        return titled
    return None


def decide(
    lookups: CopyLookups[C, P],
    fingerprint: P | None,
    content_hash: str,
    source_id: int,
    title_key: str,
    at: datetime,
    words: int,
) -> Verdict[C]:
    """A new article's verdict (``at``: its time, ``words``: its text's word count)."""
    survivor = same_article(lookups, fingerprint, content_hash, source_id, title_key, at)
    replaces = survivor is not None and new_copy_survives(
        at, words, lookups.sort_at(survivor), lookups.words(survivor)
    )
    return Verdict(survivor, replaces)
