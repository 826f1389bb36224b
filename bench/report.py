"""What every benchmark script needs to write its results down: the measured revision, the
machine, and the replacement of one ``## `` section of a document in docs/."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def replace_section(doc: Path, heading: str, markdown: str, header: str | None = None) -> bool:
    """Replace (or append) the section starting at the line ``heading`` (it runs to the next
    ``## `` heading); other sections are kept. A missing doc is created from ``header``, or
    left alone (False) when no header is given."""
    if doc.is_file():
        text = doc.read_text(encoding="utf-8")
    elif header is not None:
        text = header
    else:
        return False
    lines = text.splitlines()
    new = markdown.rstrip("\n").splitlines()
    begin = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if begin is None:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *new]
    else:
        end = next(
            (i for i in range(begin + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        tail = lines[end:]
        lines = [*lines[:begin], *new, *([""] if tail else []), *tail]
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def revision() -> str:
    """The commit measured, and whether src/ had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "an unknown revision"
    if not head:
        return "an unknown revision"
    return f"commit `{head}`" + (" with uncommitted changes in src/" if dirty else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def machine() -> str:
    ram = "RAM unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError):
        pass
    return (
        f"nproc {len(os.sched_getaffinity(0))} ({cpu_model()}), {ram}, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )


QUIET_CORES = 0.15  # the machine is quiet below this many busy cores
_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds spent by all CPUs outside idle and iowait since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICK


def wait_for_quiet(limit: float) -> float:
    """Wait (at most ``limit`` s) until the whole machine has used less than QUIET_CORES
    cores for two seconds in a row (the benchmark is idle while it waits); the wait."""
    started = time.monotonic()
    calm = 0
    while calm < 2 and time.monotonic() - started < limit:
        before = machine_busy()
        time.sleep(1.0)
        calm = calm + 1 if machine_busy() - before < QUIET_CORES else 0
    return time.monotonic() - started
