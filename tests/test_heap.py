"""tagwire.heap: the freed heap given back after a one-time load."""

from __future__ import annotations

import platform
import sys

import pytest

from tagwire import heap


def _resident_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim is glibc's",
)
def test_trim_gives_freed_heap_back() -> None:
    # Many small blocks come from the heap (not mmap); freeing all but the last leaves
    # them free in the process until malloc_trim returns them.
    blocks = [bytearray(2000) for _ in range(40_000)]
    keep = bytearray(2000)
    del blocks
    before = _resident_kb()
    assert heap.trim() is True
    assert _resident_kb() < before - 20_000  # most of the 80 MB went back
    assert len(keep) == 2000


def test_trim_without_malloc_trim_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    heap._malloc_trim.cache_clear()
    try:
        assert heap.trim() is False
    finally:
        monkeypatch.undo()
        heap._malloc_trim.cache_clear()
