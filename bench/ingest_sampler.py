"""What bench/ingest.py measures while a phase runs: VmRSS and CPU time of the benchmark
process and all its descendants (/proc), and the machine's busy CPU time, to tell other
load apart."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import machine_busy, wait_for_quiet

# -- memory -----------------------------------------------------------------------------


@dataclass
class Phase:
    """What the sampler saw during one phase of the run."""

    wall: float = 0.0
    peak_total_kb: int = 0  # VmRSS summed over the family at one instant
    root: int = 0  # a subprocess whose own family is also summed (peak_root_kb)
    peak_root_kb: int = 0
    root_family: set[int] = field(default_factory=set)  # every pid seen in it
    peak_kb: dict[int, int] = field(default_factory=dict)  # per pid
    cpu_start: dict[int, float] = field(default_factory=dict)  # per pid, seconds
    cpu_last: dict[int, float] = field(default_factory=dict)
    busy_start: float = 0.0  # CPU seconds of the whole machine (/proc/stat)
    busy: float = 0.0

    def cpu(self, pid: int) -> float:
        return self.cpu_last.get(pid, 0.0) - self.cpu_start.get(pid, 0.0)

    def family_cpu(self) -> float:
        return sum(self.cpu(pid) for pid in self.cpu_last)

    def others_cpu(self) -> float:
        """CPU seconds used on this machine by processes outside the benchmark."""
        return max(0.0, self.busy - self.family_cpu())

    @property
    def others_cores(self) -> float:
        return self.others_cpu() / self.wall if self.wall else 0.0

    @property
    def disturbed(self) -> bool:
        """Other processes took a noticeable share of the CPU during the phase."""
        return self.others_cpu() > max(0.05, DISTURBED_CORES * self.wall)

    def better_than(self, other: Phase) -> bool:
        return (self.disturbed, self.wall) < (other.disturbed, other.wall)


class Sampler:
    """Every ``interval`` s: VmRSS and CPU time of this process and all its descendants
    (/proc), per phase; plus the machine's busy CPU time, to tell other load apart."""

    def __init__(self, interval: float = 0.2, quiet_wait: float = 0.0) -> None:
        self.interval = interval
        self.quiet_wait = quiet_wait  # seconds to wait for a quiet machine before a phase
        self.main = os.getpid()
        self.phases: dict[str, Phase] = {}
        self._current: Phase | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @contextmanager
    def during(self, name: str) -> Iterator[Phase]:
        if self.quiet_wait > 0:
            waited = wait_for_quiet(self.quiet_wait)
            if waited > 3:
                print(f"  (waited {waited:.0f} s for other processes to calm down)")
        phase = Phase()
        with self._lock:
            pids = _family(self.main)
            phase.cpu_start = {pid: _cpu_seconds(pid) for pid in pids}
            phase.busy_start = machine_busy()
            self._current = phase
        started = time.perf_counter()
        try:
            yield phase
        finally:
            phase.wall = time.perf_counter() - started
            self.sample()
            with self._lock:
                phase.busy = machine_busy() - phase.busy_start
                self._current = None
            # Over several rounds, the least disturbed (then fastest) measurement is kept.
            kept = self.phases.get(name)
            if kept is None or phase.better_than(kept):
                self.phases[name] = phase

    def kept(self, name: str, phase: Phase) -> bool:
        return self.phases.get(name) is phase

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            phase = self._current
            if phase is None:
                return
            total = 0
            inside = set(_family(phase.root)) if phase.root else set()
            phase.root_family |= inside
            root_total = 0
            for pid in _family(self.main):
                rss = _rss_kb(pid)
                total += rss
                root_total += rss if pid in inside else 0
                phase.peak_kb[pid] = max(phase.peak_kb.get(pid, 0), rss)
                cpu = _cpu_seconds(pid)
                if cpu:  # 0.0: the process is gone
                    phase.cpu_last[pid] = cpu
            phase.peak_total_kb = max(phase.peak_total_kb, total)
            phase.peak_root_kb = max(phase.peak_root_kb, root_total)


DISTURBED_CORES = 0.1  # a phase is disturbed when others took this many cores on average


def _family(root: int) -> list[int]:
    """``root`` and all its descendants (the kernel's per-thread children lists)."""
    family, frontier = [root], [root]
    while frontier:
        children: list[int] = []
        for pid in frontier:
            try:
                for task in os.scandir(f"/proc/{pid}/task"):
                    children += [int(c) for c in Path(task.path, "children").read_text().split()]
            except OSError:
                continue
        family += children
        frontier = children
    return family


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (its threads included), else 0.0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK
