"""The import's story window: the story keys of the last story window, and the ranking of the
stories an article meets (compiled).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import chain

import numba
import numpy as np

from tagwire.store.write_stories import MAX_STORY_CANDIDATES


class StoryIndex:
    """The story keys of the last story window: key -> story -> time (POSIX seconds) of its
    latest article with that key.

    Entries leave as the archive's clock passes them (``forget_before``), in the order they
    came, through a queue: while the articles came in time order, every entry left is within
    the window of an article at the clock, and ``find`` counts the stories of a key as they
    are, in C. Filtering them by time in Python instead (the index kept until a periodic
    sweep) was a seventh of the decisions' time at a million articles (bench/scale.py). An
    article out of order (later than the window of the clock, or behind an entry that came
    out of order and is still queued) is searched with that filter. One dict for the window,
    not one per segment of it: an article's ~11 keys were looked up in every segment and a
    story's hits merged across them, which cost twice what the search does."""

    def __init__(self, window: timedelta) -> None:
        self.window = window.total_seconds()
        self.index: dict[str, dict[int, float]] = {}
        self.queue: deque[tuple[float, str, int]] = deque()  # (time, key, story) as added
        self.newest = float("-inf")  # the latest time added
        self.added = 0  # entries queued so far
        self.left = 0  # entries taken off the queue so far
        self.disorder = -1  # the number of the last entry queued behind a later one

    def add(self, keys: Iterable[str], story_id: int, at: datetime) -> None:
        when = at.timestamp()
        for key in keys:
            stories = self.index.setdefault(key, {})
            stories[story_id] = max(when, stories.get(story_id, when))
            self.queue.append((when, key, story_id))
            if when < self.newest:
                self.disorder = self.added
            self.added += 1
        self.newest = max(self.newest, when)

    def forget_before(self, at: datetime) -> None:
        """Drop the entries older than ``at - window`` (``at``: the archive's clock)."""
        horizon = at.timestamp() - self.window
        queue, index = self.queue, self.index
        while queue and queue[0][0] < horizon:
            when, key, story_id = queue.popleft()
            self.left += 1
            stories = index[key]
            if stories.get(story_id) == when:  # not since renewed by a later article
                del stories[story_id]
                if not stories:
                    del index[key]

    def __len__(self) -> int:
        return sum(map(len, self.index.values()))

    def find(self, keys: Iterable[str], at: datetime) -> list[int]:
        """Stories with an article within the window sharing a key, most shared distinct
        keys first, then the newest story (as ``Writer.story_rows``)."""
        when = at.timestamp()
        low, high = when - self.window, when + self.window
        found = [stories for key in set(keys) if (stories := self.index.get(key))]
        in_order = self.left > self.disorder  # the queue is in time order: so is the index
        if in_order and self.newest <= high and (not self.queue or self.queue[0][0] >= low):
            met: Iterable[int] = chain.from_iterable(found)  # every entry is within the window
            count = sum(map(len, found))
        else:
            within = [s for stories in found for s, last in stories.items() if low <= last <= high]
            met, count = within, len(within)
        return most_shared(np.fromiter(met, np.int64, count), MAX_STORY_CANDIDATES)


_ID_BITS = 40  # story ids below 2^40, shared-key counts below 2^23: both in one int64


def most_shared(met: np.ndarray, n: int) -> list[int]:
    """The ``n`` story ids met most often in ``met`` (int64: a story once per key it
    shares), then the highest ids, best first."""
    ids: list[int] = _most_shared(met, n).tolist()
    return ids


@numba.njit(cache=True, nogil=True)
def _most_shared(met: np.ndarray, n: int) -> np.ndarray:
    """Compiled, on (count, id) packed into one integer: counting the ~300 stories an
    article meets in a Counter and ranking them in numpy was a tenth of the decisions' time
    (bench/scale.py), sorting them in Python (by a key function, or heapq's loop) more."""
    met = np.sort(met)
    packed = np.empty(len(met), np.int64)
    m = i = 0
    while i < len(met):
        j = i + 1
        while j < len(met) and met[j] == met[i]:
            j += 1
        packed[m] = ((j - i) << _ID_BITS) | met[i]
        m += 1
        i = j
    best = np.sort(packed[:m])[::-1][:n]
    return best & ((1 << _ID_BITS) - 1)
