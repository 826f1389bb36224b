"""The load generator of bench/load.py: an HTTP/1.1 client on raw keep-alive connections,
the open-loop schedule of requests, its run record and the checks of the answers."""

from __future__ import annotations

import asyncio
import bisect
import gc
import itertools
import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from bench.load_config import (
    API_HEADERS,
    BACKLOG_SECONDS,
    CURSOR_SHARE,
    GOAL_P99,
    HTML_HEADERS,
    HTML_SHARE,
    IDLE_SECONDS,
    MAX_CONNECTIONS,
    SEED,
    TIMEOUT,
    ZIPF_S,
)
from bench.load_server import machine_busy, tree_cpu

# -- the client ------------------------------------------------------------------------

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Http:
    """GETs over a pool of HTTP/1.1 keep-alive connections to 127.0.0.1 (asyncio streams):
    at most ``limit`` at once, opened as needed, reused most recent first, and never once
    idle for IDLE_SECONDS (uvicorn closes them after 5 s). A reused connection that the
    server closed before answering is replaced by a new one, once, as browsers do."""

    def __init__(self, port: int, limit: int = MAX_CONNECTIONS) -> None:
        self.port = port
        self.idle: list[tuple[Conn, float]] = []  # (connection, idle since), oldest first
        self.slots = asyncio.Semaphore(limit)
        self.opened = 0
        self.hits = 0  # answers the server's response cache gave (X-Cache: hit)

    def request(self, path: str, headers: dict[str, str]) -> bytes:
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "User-Agent: bench"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")

    async def get(self, request: bytes) -> tuple[int, bytes]:
        status, body, _ = await self.get_marked(request)
        return status, body

    async def get_marked(self, request: bytes) -> tuple[int, bytes, bool]:
        """The status, the body, and whether the server's response cache answered."""
        async with self.slots:
            for attempt in (0, 1):
                conn = self._reuse() if attempt == 0 else None
                reused = conn is not None
                if conn is None:
                    conn = await self._open()
                try:
                    status, body, keep, hit = await self._exchange(conn, request)
                except (ConnectionResetError, asyncio.IncompleteReadError) as exc:
                    conn[1].close()
                    nothing = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
                    if reused and nothing and attempt == 0:
                        continue  # the server had closed this idle connection: a new one
                    raise
                except BaseException:
                    conn[1].close()
                    raise
                if keep:
                    self.idle.append((conn, time.monotonic()))
                else:
                    conn[1].close()
                return status, body, hit
        raise AssertionError("unreachable")

    def _reuse(self) -> Conn | None:
        """The most recently used idle connection, if it has not been idle too long (the
        older ones are closed then)."""
        if not self.idle:
            return None
        conn, since = self.idle.pop()
        if time.monotonic() - since < IDLE_SECONDS:
            return conn
        self.idle.append((conn, since))
        self.close_idle()
        return None

    async def _open(self) -> Conn:
        conn = await asyncio.open_connection("127.0.0.1", self.port)
        self.opened += 1
        return conn

    async def _exchange(self, conn: Conn, request: bytes) -> tuple[int, bytes, bool, bool]:
        reader, writer = conn
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        hit = b"\r\nx-cache: hit" in lower
        self.hits += hit
        keep = b"\r\nconnection: close" not in lower
        if b"\r\ntransfer-encoding: chunked" in lower:
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size + 2))
            await reader.readuntil(b"\r\n")
            return status, b"".join(c[:-2] for c in chunks), keep, hit
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            return status, await reader.read(), False, hit
        length = int(lower[at + 17 : lower.index(b"\r\n", at + 2)])
        return status, await reader.readexactly(length), keep, hit

    def close_idle(self) -> None:
        for (_, writer), _ in self.idle:
            writer.close()
        self.idle.clear()


@dataclass(frozen=True)
class Item:
    kind: str  # "html" or "api"
    tag: int  # popularity rank of the tag
    cursor: bool
    path: str
    headers: dict[str, str]
    raw: bytes


def build_plan(
    http: Http, tags: list[str], cursors: dict[str, str], n: int, html_share: float = HTML_SHARE
) -> list[Item]:
    """The request sequence (the same for every run): see the module docstring."""
    rng = random.Random(SEED + 1)
    weight = [1.0 / (rank + 1) ** ZIPF_S for rank in range(len(tags))]
    every = list(itertools.accumulate(weight))
    paged = [rank for rank, slug in enumerate(tags) if slug in cursors]
    paged_cum = list(itertools.accumulate(weight[rank] for rank in paged))
    plan = []
    for _ in range(n):
        html = rng.random() < html_share
        cursor = rng.random() < CURSOR_SHARE and bool(paged)
        if cursor:
            rank = paged[bisect.bisect(paged_cum, rng.random() * paged_cum[-1])]
        else:
            rank = bisect.bisect(every, rng.random() * every[-1])
        slug = tags[rank]
        path = ("/tags/" if html else "/api/v1/tags/") + quote(slug, safe="")
        if cursor:
            path += f"?cursor={cursors[slug]}"
        headers = HTML_HEADERS if html else API_HEADERS
        raw = http.request(path, headers)
        plan.append(Item("html" if html else "api", rank, cursor, path, headers, raw))
    return plan


@dataclass
class Run:
    rate: float
    duration: float
    sent: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"html": [], "api": []})
    errors: dict[str, Counter[str]] = field(
        default_factory=lambda: {"html": Counter(), "api": Counter()}
    )
    lag: list[float] = field(default_factory=list)  # actual send time - scheduled time
    tags: set[int] = field(default_factory=set)
    cursors: int = 0
    elapsed: float = 0.0  # first scheduled send to last response
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    other_cpu: float = 0.0
    peak_in_flight: int = 0
    aborted: bool = False
    slow: Counter[str] = field(default_factory=Counter)  # path -> answers over GOAL_P99
    hits: int = 0  # answers from the server's response cache
    shed: Counter[str] = field(default_factory=Counter)  # kind -> 503s (load shed)
    shed_latencies: list[float] = field(default_factory=list)
    # admitted answers from the moment the client got to send (its own lateness left out)
    from_send: list[float] = field(default_factory=list)
    # admitted answers the server computed (not from its response cache), from the due time
    misses: list[float] = field(default_factory=list)
    wall: tuple[float, float] = (0.0, 0.0)  # wall clock of the first send and the last answer
    # admitted answers' time in the server's app (ServerTimes), once the server has stopped
    in_app: list[float] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / max(1, len(self.all()))

    def all(self) -> list[float]:
        return self.latencies["html"] + self.latencies["api"]

    def shed_count(self) -> int:
        return sum(self.shed.values())

    def error_count(self, kind: str | None = None) -> int:
        kinds = [kind] if kind else ["html", "api"]
        return sum(sum(self.errors[k].values()) for k in kinds)

    def p(self, q: float, kind: str | None = None) -> float:
        return percentile(self.latencies[kind] if kind else self.all(), q)

    @property
    def passed(self) -> bool:
        return (
            not self.aborted
            and self.error_count() == 0
            and self.shed_count() == 0
            and self.p(99) <= GOAL_P99
        )

    @property
    def answered(self) -> int:
        return len(self.all()) + self.error_count() + self.shed_count()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank; inf for an empty list."""
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(len(ordered) * q / 100 + 0.999999) - 1))]


Fetch = Callable[[Item], Awaitable[tuple[int, bool]]]  # (status, from the response cache)


async def open_loop(
    fetch: Fetch, plan: list[Item], rate: float, duration: float, pid: int, abort: bool = True
) -> Run:
    """Send plan[i] at t0 + i / rate, whatever the state of earlier requests; with ``abort``,
    stop once more than BACKLOG_SECONDS of requests are in flight."""
    loop = asyncio.get_running_loop()
    run = Run(rate, duration)
    total = round(rate * duration)
    backlog = max(50.0, rate * BACKLOG_SECONDS)
    in_flight = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(item: Item, due: float) -> None:
        nonlocal in_flight
        started = loop.time()
        run.lag.append(started - due)
        error = None
        shed = hit = False
        try:
            async with asyncio.timeout(TIMEOUT):
                status, hit = await fetch(item)
            if status == 503:
                shed = True  # load shed: answered at once, counted apart from errors
            elif status != 200:
                error = f"HTTP {status}"
        except TimeoutError:
            error = "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            error = type(exc).__name__
        end = loop.time()
        in_flight -= 1
        if shed:
            run.shed[item.kind] += 1
            run.shed_latencies.append(end - due)
        elif error:
            run.errors[item.kind][error] += 1
        else:
            run.latencies[item.kind].append(end - due)
            run.from_send.append(end - started)
            if not hit:
                run.misses.append(end - due)
            if end - due > GOAL_P99:
                run.slow[item.path.partition("?")[0] + ("?cursor" if item.cursor else "")] += 1
        run.elapsed = max(run.elapsed, end - t0)

    # No collection during the run: a full one over the plan and the results stopped the
    # generator for tens of ms (its lateness to send was its own pauses, not the server).
    gc.collect()
    gc.freeze()
    gc.disable()
    cpu = time.process_time(), tree_cpu(pid), machine_busy()
    t0 = loop.time() + 0.05
    wall = time.time() + 0.05
    for i in range(total):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if abort and in_flight > backlog:
            run.aborted = True
            break
        item = plan[i % len(plan)]
        in_flight += 1
        run.peak_in_flight = max(run.peak_in_flight, in_flight)
        run.sent += 1
        run.tags.add(item.tag)
        run.cursors += item.cursor
        task = loop.create_task(one(item, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(set(tasks))
    gc.enable()
    run.wall = (wall, time.time())
    run.client_cpu = time.process_time() - cpu[0]
    run.server_cpu = tree_cpu(pid) - cpu[1]
    run.other_cpu = max(0.0, machine_busy() - cpu[2] - run.client_cpu - run.server_cpu)
    return run


# -- warm-up and checks ----------------------------------------------------------------


async def wait_ready(http: Http, proc: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            status, _ = await http.get(http.request("/api/v1/editions", API_HEADERS))
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


@dataclass
class Checks:
    api_pages: int = 0
    api_cards: int = 0
    html_pages: int = 0
    html_cards: int = 0
    problems: list[str] = field(default_factory=list)


async def checked_get(http: Http, request: bytes) -> tuple[int, bytes]:
    """A GET of the checks, asked again after a 503 (load shed: the server's bound is
    smaller than the checks' concurrency on a cold cache), up to 100 times."""
    for _ in range(100):
        status, body = await http.get(request)
        if status != 503:
            break
        await asyncio.sleep(0.05)
    return status, body


async def first_pages(http: Http, tags: list[str], checks: Checks) -> dict[str, str]:
    """The API's first page of every tag (8 at a time): checked, and their cursors kept."""
    cursors: dict[str, str] = {}
    queue = list(reversed(tags))

    async def worker() -> None:
        while queue:
            slug = queue.pop()
            path = f"/api/v1/tags/{quote(slug, safe='')}"
            status, body = await checked_get(http, http.request(path, API_HEADERS))
            data = json.loads(body) if status == 200 else {}
            cards = len(data.get("articles", []))
            if status != 200 or not cards or data["tag"]["slug"] != slug:
                checks.problems.append(f"{path}: {status}, {cards} cards")
                continue
            checks.api_pages += 1
            checks.api_cards += cards
            if data.get("next"):
                cursors[slug] = str(data["next"])

    await asyncio.gather(*(worker() for _ in range(8)))
    return cursors


async def check_html(http: Http, tags: list[str], cursors: dict[str, str], checks: Checks) -> None:
    """HTML first and second pages of the 25 largest tags: 200, cards, the tag's heading."""
    for slug in tags[:25]:
        for query in ("", f"?cursor={cursors[slug]}" if slug in cursors else None):
            if query is None:
                continue
            path = f"/tags/{quote(slug, safe='')}{query}"
            status, body = await checked_get(http, http.request(path, HTML_HEADERS))
            cards = body.count(b'<article class="card"')
            if status != 200 or not cards or f"#{slug}</h1>".encode() not in body:
                checks.problems.append(f"{path}: {status}, {cards} cards")
                continue
            checks.html_pages += 1
            checks.html_cards += cards
