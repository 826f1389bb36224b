"""How the import's helper processes run: behind the decisions (a lower priority) and with
Python's garbage collector run between batches instead of by allocation counts.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

# The workers and the store process run at lower priorities: the decisions are one process,
# the others keep up with them on what is left of the cores (bench/scale.py: on 2 cores, the
# decisions were the critical path and lost a fifth of their time to the others' turns). The
# store before the workers: the decisions wait for its every job, the workers are batches ahead.
STORE_NICENESS = 3
WORKER_NICENESS = 10
FULL_COLLECTION = 50  # batches between the import's full garbage collections (see Collector)


class Collector:
    """Python's cyclic garbage collector, run by an import's processes between batches
    instead of by allocation counts (``_collected_by_batch``). The decisions' process holds
    millions of objects (the windows' articles and stories) and allocates millions more a
    batch, nearly all freed at once by their reference counts; the automatic collector
    still went through the whole heap every few batches: a seventh of that process's time
    at 100,000 articles, and more as the heap grows (bench/scale.py; a tenth of the store
    process's, a twentieth of the workers'). Here everything is collected every
    FULL_COLLECTION batches, so cyclic garbage cannot pile up: a batch leaves about 70
    objects of it (bench/scale.py, 20,000 articles), and collecting the young generations
    after every batch as well cost 34 ms a batch for them, five times what the full
    collections cost at 100,000 articles."""

    def __init__(self) -> None:
        self.batches = 0

    def __call__(self) -> None:
        self.batches += 1
        if self.batches % FULL_COLLECTION == 0:
            gc.collect()


@contextmanager
def _collected_by_batch() -> Iterator[Collector]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield Collector()
    finally:
        if enabled:
            gc.enable()


def start_helper(niceness: int = WORKER_NICENESS) -> None:
    """A worker's or the store process's start: behind the decisions (at a lower priority:
    STORE_NICENESS, WORKER_NICENESS), without the automatic garbage collector
    (``Collector``)."""
    with suppress(AttributeError, OSError):  # no os.nice (Windows), or not allowed
        os.nice(niceness)
    gc.disable()
