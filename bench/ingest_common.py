"""Settings and names shared by bench/ingest.py and its modules: paths, the environment of
the runs, the publishers, the goals and the phases' names."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "article-extraction-aeb"
PROFILE_NOTES = ROOT / "bench" / "ingest_profile.md"  # written by hand from a profile
NICE = -10  # the run's session against other sessions' processes (see session_nice)
RUN_NICE = [0]  # the value this run set (a list: set once by main)
BENCH_DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SECTION = "## Ingest throughput"
COMMAND = ".venv/bin/python bench/ingest.py"
WORKERS = 2
ENVIRON = {
    "TAGWIRE_ALLOWED_HOSTS": "127.0.0.1",
    "TAGWIRE_HOST_DELAY": "0",
    "TAGWIRE_HOST_CONCURRENCY": "16",
    "TAGWIRE_WORKERS": str(WORKERS),
}
FEEDS = 6
PUBLISHERS = (  # name, country, region
    ("Bench Courier", "GB", "europe"),
    ("Bench Times", "US", "americas"),
    ("Bench Herald", "IN", "asia"),
    ("Bench Post", "AU", "oceania"),
    ("Bench Tribune", "ZA", "africa"),
    ("Bench Gazette", "IE", "europe"),
)
GOALS = {"articles_per_s": 20.0, "floor_ratio": 0.8, "second_pass_ratio": 0.10, "memory_mb": 1024}
DOC_HEADER = """\
# Benchmarks

Speed and memory of tagwire on this repository's benchmark scripts. Every `## ` section
belongs to one script under `bench/` and is rewritten whole by it (up to the next `## `
heading). Quality (precision, recall) is in [quality.md](quality.md).
"""

COLD, SECOND, REPARSE, WARM = "cold pass", "second pass", "re-parse pass", "warm pass"
WHOLE, WHOLE_AGAIN = "tagwire ingest, whole process", "tagwire ingest again, unchanged"
WHOLE_FLOOR = "floor, whole process"
FLOOR_COLD, FLOOR_WARM = "floor, cold", "floor, warm"
PHASES = (COLD, SECOND, REPARSE, WARM, FLOOR_COLD, FLOOR_WARM)
