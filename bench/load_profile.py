"""Where the server's time goes (bench/load.py --profile): each stage timed in one process,
and py-spy samples of the server sorted into packages and stages."""

from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import re
import shutil
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import httpx

from bench.load_client import Item
from tagwire.store import Store

# -- where the time goes ---------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


class Stages:
    """Exclusive wall time of chosen functions (a function's time without the time of the
    other chosen functions it calls), per thread, summed over requests."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._local = threading.local()

    def wrap(self, name: str, fn: F) -> F:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack: list[float] = self._local.__dict__.setdefault("stack", [])
            stack.append(0.0)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                inner = stack.pop()
                self.seconds[name] += elapsed - inner
                self.calls[name] += 1
                if stack:
                    stack[-1] += elapsed

        return timed  # type: ignore[return-value]


STAGE_NAMES = {
    "find_tag": "tag lookup (`service.find_tag`, SQL by alias key)",
    "list_cards": "tag list query (`Store.list_cards` without its cards)",
    "_cards": "cards (`Store._cards`: articles + sources, tags, copies: 3 queries)",
    "timeline": "timeline SQL (`Store.timeline`, 30 days of sort times)",
    "timeline_json": "timeline in Python (`timeline_json`: Counter, 30 days)",
    "related_entities": "related tags SQL (`Store.related_entities`, 14-day self-join)",
    "related_json": "related tags in Python (`related_json`)",
    "render": "Jinja2 rendering (`Template.render`, without the date filters)",
    "relative": "Babel `format_timedelta` (filter `relative`)",
    "exact": "Babel `format_datetime` (filter `exact`)",
    "negotiate_locale": "Accept-Language (`negotiate_locale`, Babel)",
    "validate": "pydantic validation (query parameters; response model of the API)",
    "serialize_json": "JSON serialisation of the response model (pydantic)",
    "blake2b": "ETag middleware: BLAKE2b of the body",
}


def run_stage_times(db: Path, plan: list[Item], n: int) -> dict[str, Any]:
    return asyncio.run(stage_times(db, plan, n))


async def stage_times(db: Path, plan: list[Item], n: int) -> dict[str, Any]:
    """Time the stages of ``n`` requests of the plan, one at a time, in this process, through
    the real app (httpx.ASGITransport): handlers run in the thread pool as under uvicorn."""
    import fastapi._compat.v2 as compat
    import jinja2

    from tagwire.service import tag_queries
    from tagwire.web import http as web_http
    from tagwire.web.app import create_app
    from tagwire.web.pages import rendering as pages

    stages = Stages()
    patched: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, attr: str, name: str) -> None:
        patched.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, stages.wrap(name, getattr(owner, attr)))

    patch(tag_queries, "find_tag", "find_tag")
    patch(Store, "list_cards", "list_cards")
    patch(Store, "_cards", "_cards")
    patch(Store, "timeline", "timeline")
    patch(tag_queries, "timeline_json", "timeline_json")
    patch(Store, "related_entities", "related_entities")
    patch(tag_queries, "related_json", "related_json")
    patch(jinja2.Template, "render", "render")
    patch(pages, "negotiate_locale", "negotiate_locale")
    patch(compat.ModelField, "validate", "validate")
    patch(compat.ModelField, "serialize_json", "serialize_json")
    filters = pages.templates.env.filters
    old_filters = dict(filters)
    filters["relative"] = stages.wrap("relative", filters["relative"])
    filters["exact"] = stages.wrap("exact", filters["exact"])
    module = vars(web_http)  # its `hashlib`, to time the ETag's hashing
    old_hashlib = module["hashlib"]
    module["hashlib"] = SimpleNamespace(blake2b=stages.wrap("blake2b", hashlib.blake2b))
    store = Store(f"sqlite:///{db}")
    collections: list[tuple[int, float]] = []  # (generation, seconds) of each GC run
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif counting[0]:
            collections.append((int(info["generation"]), time.perf_counter() - gc_started[0]))

    counting = [False]
    gc.callbacks.append(on_gc)
    wall: dict[str, list[float]] = {"html": [], "api": []}
    per_kind: dict[str, defaultdict[str, float]] = {
        "html": defaultdict(float),
        "api": defaultdict(float),
    }
    try:
        app = create_app(store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for index, item in enumerate(plan[: n + 50]):  # the first 50 warm up
                before = dict(stages.seconds)
                started = time.perf_counter()
                response = await client.get(item.path, headers=item.headers)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{item.path}: {response.status_code}")
                counting[0] = index >= 49
                if index >= 50:
                    wall[item.kind].append(elapsed)
                    for key, value in stages.seconds.items():
                        per_kind[item.kind][key] += value - before.get(key, 0.0)
    finally:
        gc.callbacks.remove(on_gc)
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)
        filters.clear()
        filters.update(old_filters)
        module["hashlib"] = old_hashlib
        store.close()
    return {"wall": wall, "stages": per_kind, "gc": collections}


# -- py-spy ----------------------------------------------------------------------------

SPY_PACKAGES = (  # the innermost Python frame of a sample names what the CPU was doing
    (("babel/",), "Babel (date formatting, locale negotiation)"),
    (("sqlalchemy/",), "SQLAlchemy (statements, result rows, pool)"),
    (("tagwire/store/",), "tagwire store code (rows to records, UTC datetimes)"),
    (("jinja2/", "markupsafe/"), "Jinja2 rendering"),
    (("pydantic", "json/", "fastapi/encoders", "fastapi/_compat"), "pydantic and JSON"),
    (("h11/", "httptools/", "uvicorn/"), "uvicorn + httptools (HTTP parsing and writing)"),
    (("starlette/", "fastapi/", "anyio/"), "Starlette, FastAPI, anyio (routing, middlewares)"),
    (
        ("asyncio/", "uvloop/", "threading.py", "concurrent/", "selectors.py"),
        "asyncio/uvloop loop and threads",
    ),
    (("tagwire/",), "tagwire other code (service, pages, middlewares)"),
)
IDLE_FRAMES = {("EpollSelector.select", "selectors.py"), ("Condition.wait", "threading.py")}
SQLITE_CALLS = ("do_execute", "_fetchall_impl", "_fetchone_impl", "_fetchmany_impl")
SQLITE = "SQLite itself (sqlite3: executing statements, stepping rows)"
SPY_STAGES = {  # a sample is in a stage when a frame on its stack is that function
    "HTML handler `pages.tag_page`": ("tag_page", "tagwire/web/pages/news.py"),
    "API handler `api.tag`": ("tag", "tagwire/web/api.py"),
    "`service.related_json`": ("related_json", "tagwire/service/tag_queries.py"),
    "`service.timeline_json`": ("timeline_json", "tagwire/service/tag_queries.py"),
    "`Store.list_cards`": ("Store.list_cards", "tagwire/store/__init__.py"),
    "`Store._cards`": ("Store._cards", "tagwire/store/__init__.py"),
    "`service.find_tag`": ("find_tag", "tagwire/service/tag_queries.py"),
    "Jinja2 `Template.render`": ("Template.render", "jinja2/environment.py"),
    "Babel `format_timedelta`, `format_datetime`": ("", "babel/dates.py"),
    "`UTCDateTime.process_result_value`": (
        "UTCDateTime.process_result_value",
        "tagwire/store/schema.py",
    ),
}
_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^()]*):\d+\)$")


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def read_spy(out: Path, err: bytes) -> str:
    """py-spy's raw output (then removed)."""
    if not out.is_file():
        raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
    raw = out.read_text(encoding="utf-8", errors="replace")
    out.unlink()
    return raw


def spy_categories(raw: str) -> tuple[int, Counter[str], Counter[str]]:
    """(samples, samples by innermost package, samples by stage) of py-spy's raw output."""
    by_package: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [(m["func"], m["path"]) for f in stack.split(";") if (m := _FRAME.match(f))]
        if frames and frames[-1] in IDLE_FRAMES:
            continue  # a thread waiting (epoll, the thread pool's queue), not on CPU
        n = int(count)
        total += n
        category = "other (stdlib, C calls outside these)"
        leaf_func, leaf_path = frames[-1] if frames else ("", "")
        if leaf_path.startswith("sqlalchemy/engine/") and leaf_func.endswith(SQLITE_CALLS):
            category = SQLITE
        else:
            for _, path in reversed(frames):
                hit = next((name for parts, name in SPY_PACKAGES if path.startswith(parts)), None)
                if hit or path.endswith(".html"):
                    category = hit or "Jinja2 rendering"
                    break
        by_package[category] += n
        for stage, (func_name, path) in SPY_STAGES.items():
            if any(p == path and (not func_name or f == func_name) for f, p in frames):
                by_stage[stage] += n
    return total, by_package, by_stage
