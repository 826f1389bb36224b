"""Which stored article a new one is a copy of, and which of the two is kept: the one
implementation that ingest (``storing.write_item``, for ``Pipeline.store_article``) and the import
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
    the publisher's same title within dedup.exact.TITLE_WINDOW, and the text too short to
    fingerprint or the other's shorter than dedup.near.MIN_WORDS? -> a copy of its survivor
    a copy replaces its survivor when dedup.exact.new_copy_survives (fuller, or as full and
    earlier)

Then the story an article joins, by one function for both too (``story_step``), behind a
second small protocol (``StoryLookups``: the candidates an article's keys find, the
scoring, a story's id after merges)::

    a new article (no copy):   its keys (strongest terms, entities) -> candidate stories
                               in the story window -> choose one, or start a story
    a copy that replaces its survivor: joins the survivor's story (as merged since)
    a copy that folds:          no story decision (it is shown in its survivor's)
    after the write, the story joined merges with a candidate it has grown close to
    (``converged``)

What each caller does with a decision (the store's rows; the import's table in memory and
its batch's rows) stays the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from tagwire.dedup.exact import new_copy_survives
from tagwire.dedup.near import MIN_WORDS
from tagwire.embeddings import Vector
from tagwire.stories.group import entity_keys
from tagwire.stories.rules import Decision, Merge

Copy = TypeVar("Copy")  # how a caller names a stored survivor (a row, an id)
Print = TypeVar("Print", contravariant=True)  # how a caller holds an article's fingerprint
C = TypeVar("C")
P = TypeVar("P")
Story = TypeVar("Story")  # how a caller names a candidate story (a row, an id)


class CopyLookups(Protocol[Copy, Print]):
    """What the rule asks of what is stored; every answer is a survivor (an article that is
    no copy itself), or None."""

    def by_text(self, content_hash: str) -> Copy | None:
        """The survivor of the first stored article with this normalised text."""

    def near_same(self, fingerprint: Print, at: datetime) -> Copy | None:
        """The survivor of the best near-duplicate (``dedup.near``'s rule) within the dedup
        window of ``at``."""

    def same_title(self, source_id: int, title_key: str, at: datetime) -> Copy | None:
        """The survivor of a stored article of this publisher with the same title key within
        ``dedup.exact.TITLE_WINDOW`` of ``at``."""

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


class StoryLookups(Protocol[Story]):
    """What the story steps ask of the stories known: the store's (ingest) or the import's
    window in memory."""

    def candidates(self, keys: list[str], at: datetime) -> list[Story]:
        """The stories within the story window of ``at`` that share most of these keys."""

    def choose(
        self,
        vector: dict[str, float],
        scores: dict[int, float],
        at: datetime,
        candidates: list[Story],
        meaning: Vector | None,
        broad: frozenset[int],
    ) -> Decision:
        """``stories.group.choose_story`` over these candidates."""

    def final(self, story_id: int) -> int:
        """The story a story is part of now (merges can chain)."""

    def converged(self, story_id: int, candidates: list[Story]) -> Merge | None:
        """``stories.group.choose_merge`` of the story an article joined with its candidates."""


@dataclass(frozen=True, slots=True)
class StoryStep(Generic[C]):
    """An article's story decision (None: a folded copy has none), the candidates it was
    scored against (for ``converged`` after the write) and the keys it is found by."""

    decision: Decision | None
    candidates: list[C]
    keys: list[str]


def story_step(
    lookups: StoryLookups[C],
    verdict: Verdict[Any],
    survivor_story: int | None,
    term_keys: list[str],
    vector: dict[str, float],
    scores: dict[int, float],
    at: datetime,
    meaning: Vector | None,
    broad: frozenset[int],
) -> StoryStep[C]:
    """Which story an article joins (``survivor_story``: the story of the copy it is of, if
    any; ``term_keys``: ``stories.group.term_keys`` of its terms)."""
    if verdict.survivor is None:
        keys = term_keys + entity_keys(scores)  # stories.group.index_keys
        candidates = lookups.candidates(keys, at)
        decision = lookups.choose(vector, scores, at, candidates, meaning, broad)
        return StoryStep(decision, candidates, keys)
    if verdict.replaces and survivor_story is not None:
        return StoryStep(Decision(lookups.final(survivor_story), 1.0, 1.0, ()), [], [])
    return StoryStep(None, [], [])
