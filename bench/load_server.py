"""The server bench/load.py measures: started as ``tagwire serve`` runs it, its priority,
its recorded request times, and the CPU it and the rest of the machine take."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.load_config import DB_ENV, HOLD_ENV, OVERLOAD_ENV, ROOT, SWITCH_ENV, TIMES_ENV

# -- the server ------------------------------------------------------------------------


class ServerTimes:
    """The server's own view (an ASGI wrapper outside the app): for each HTTP request, when
    the app got it (wall clock), how long until its last byte was handed to the protocol,
    and its status; appended to a file per process every FLUSH_SECONDS and at shutdown.
    What it cannot see: the time before the event loop got to the request (the kernel's
    buffers, the loop's queue), which the client's figures include."""

    FLUSH_SECONDS = 0.5

    def __init__(self, folder: str) -> None:
        self.app: Any = None
        self.path = Path(folder) / f"{os.getpid()}.txt"
        self.lines: list[str] = []
        self.flushed = time.monotonic()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wall, started = time.time(), time.perf_counter()
        status = 0

        async def note(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, note)
        finally:
            self.lines.append(f"{wall:.6f} {time.perf_counter() - started:.6f} {status}\n")
            if time.monotonic() - self.flushed > self.FLUSH_SECONDS:
                self.flush()

    def flush(self) -> None:
        self.flushed = time.monotonic()
        if self.lines:
            with self.path.open("a") as out:
                out.writelines(self.lines)
            self.lines.clear()


def read_server_times(folder: Path) -> list[tuple[float, float, int]]:
    """Every request ServerTimes wrote in ``folder``: (wall clock, seconds in the app, status)."""
    found = []
    for path in folder.glob("*.txt"):
        for line in path.read_text().splitlines():
            wall, seconds, status = line.split()
            found.append((float(wall), float(seconds), int(status)))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


PROTOCOLS = {
    "tagwire": "tagwire.web.server:PROTOCOL",  # what `tagwire serve` runs
    "aged": "tagwire.web.server:AgedHttpToolsProtocol",  # also sheds requests by their age
    "uvicorn": "httptools",  # uvicorn's own (no TCP_NODELAY on --workers sockets)
}


def start_server(
    url: str,
    workers: int,
    port: int,
    nodelay: bool = True,
    max_in_flight: int | None = None,
    protocol: str = "tagwire",
    uvicorn_args: Sequence[str] = (),
    queue_wait: float | None = None,
    hold: float | None = None,
    times: Path | None = None,
    overload_limit: int | None = None,
    switch: float | None = None,
) -> subprocess.Popen[bytes]:
    """uvicorn with tagwire's HTTP protocol (``tagwire serve``'s: httptools, TCP_NODELAY
    on every connection), another of PROTOCOLS, or (``nodelay``
    false) uvicorn's own httptools protocol; ``max_in_flight`` sets TAGWIRE_MAX_IN_FLIGHT
    (the load-shedding bound; None: its default) and ``queue_wait`` TAGWIRE_QUEUE_WAIT (how
    long a request past the bound waits for a slot); ``uvicorn_args`` such as --backlog."""
    http = PROTOCOLS[protocol if nodelay else "uvicorn"]
    command = [
        *(sys.executable, "-m", "uvicorn", "bench.load:make_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--log-level", "warning", "--no-access-log", "--http", http, *uvicorn_args),
    ]
    env = dict(os.environ, **{DB_ENV: url})
    if max_in_flight is not None:
        env["TAGWIRE_MAX_IN_FLIGHT"] = str(max_in_flight)
    if queue_wait is not None:
        env["TAGWIRE_QUEUE_WAIT"] = str(queue_wait)
    if hold is not None:
        env[HOLD_ENV] = str(hold)
    if overload_limit is not None:
        env[OVERLOAD_ENV] = str(overload_limit)
    if switch is not None:
        env[SWITCH_ENV] = str(switch)
    if times is not None:
        env[TIMES_ENV] = str(times)
    # The server's priority is its own (SERVER_NICE), whatever the load generator's.
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_server_priority
    )
    autogroup_nice(proc.pid, SERVER_NICE[0])
    return proc


SERVER_NICE = [0]  # --server-nice: the server's nice value (a list: set once by main)


def _server_priority() -> None:
    os.setpriority(os.PRIO_PROCESS, 0, SERVER_NICE[0])


def autogroup_nice(pid: int, nice: int) -> None:
    """With the kernel's autogroups (sched_autogroup_enabled), the cores are shared between
    sessions first and a process's nice value counts only inside its session: the server
    (a session of its own) gets its share against other sessions' processes by its group's
    nice value. Nothing where autogroups are off or the file cannot be written."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its worker processes (the process group it leads): SIGTERM,
    then SIGKILL after 3 s (a busy server would first answer all it has queued)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, user + system clock ticks) of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def tree_pids(pid: int) -> list[int]:
    table = _proc_table()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += [child for child, (parent, _) in table.items() if parent == current]
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its descendants."""
    table = _proc_table()
    pids = set(tree_pids(pid))
    return sum(table[p][1] for p in pids if p in table) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all processes have used since boot (user, nice, system, irq, steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
