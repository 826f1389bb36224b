"""The parameters of bench/load.py: the database it builds, the load it sends, the rate
search and the overload run (the method: the docstring of bench/load.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Tag pages under load"
SHED_SECTION = "## Tag pages above capacity: load shedding"
COMMAND = "python -m bench.load --write"
DEFAULT_DB = Path("/tmp/tagwire-bench-load-v1.db")
DB_ENV = "TAGWIRE_BENCH_LOAD_DB"
HOLD_ENV = "TAGWIRE_BENCH_SHED_HOLD"  # LoadShedding's hold for a --compare variant
OVERLOAD_ENV = "TAGWIRE_BENCH_SHED_OVERLOAD"  # LoadShedding's overload_limit, likewise
SWITCH_ENV = "TAGWIRE_BENCH_SWITCH_INTERVAL"  # sys.setswitchinterval in the server, likewise
TIMES_ENV = "TAGWIRE_BENCH_SERVER_TIMES"  # a folder: the server records each request's time
NODELAY_RATE = 20.0
SEED = 20261127

ARTICLES = 100_000
ENTITY_NAMES = 3_000
SOURCES = 40
DAYS = 90
TAG_OFFSET = 5  # Zipf-Mandelbrot: the tag of popularity rank r (from 0) weighs 1 / (r + 6)
MAX_AGE = timedelta(days=1)  # a cached database whose newest article is older is rebuilt
CHUNK = 5_000  # articles per batch of inserts

REQUEST_TAGS = 2_000
ZIPF_S = 1.1
HTML_SHARE = 0.5
CURSOR_SHARE = 0.2
GOAL_RATE = 300.0
GOAL_P99 = 0.050
TIMEOUT = 10.0
MAX_CONNECTIONS = 256
IDLE_SECONDS = 4.0  # a keep-alive connection idle this long is not reused (uvicorn: 5 s)
BACKLOG_SECONDS = 2.0  # more requests in flight than this many seconds' worth: run stopped
# Nice values (of the process and of its session's autogroup): the load generator ahead of
# the server for the cores, as a client on another machine would be, so that its timestamps
# are not the server's queueing; the server ahead of other sessions' processes on a shared
# machine, as on a machine of its own (docs/benchmarks.md, "the load generator").
CLIENT_NICE = -15
SERVER_NICE_DEFAULT = -10
OVERLOAD_FACTOR = 3.0  # the overload run: this many times the highest passing rate
HEALTH_EVERY = 0.5  # seconds between two /healthz probes during the overload run
STEP = 1.25  # rate search: up by this factor (down by halves), then bisections
BISECTIONS = 4
MIN_RATE = 2
SEARCH_REQUESTS = 300  # at least this many requests in a run of the search (up to 60 s)

HTML_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
}
API_HEADERS = {"Accept": "application/json"}
BBC_LABELS = {
    "business": "Business & Economy",
    "entertainment": "Arts & Entertainment",
    "politics": "Politics",
    "sport": "Sport",
    "tech": "Science & Technology",
}
CONLL_KINDS = {"PER": "person", "ORG": "organization", "LOC": "place", "MISC": "other"}
