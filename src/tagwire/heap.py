"""Giving the memory a one-time load freed back to the system.

Loading a model or a table once a process (the sentence-embedding session, the cities
table, numba's compiled functions) allocates far more than it keeps, and glibc keeps the
freed pages in the process's heap: they count in its resident memory for the rest of the
run. ``malloc_trim(0)`` returns them; it is called once after each such load, not per
article. Elsewhere than glibc (musl, macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # a C library without it (musl)
        return None


def trim() -> bool:
    """Return the heap's free pages to the system; True when some were."""
    function = _malloc_trim()
    return bool(function(0)) if function is not None else False
