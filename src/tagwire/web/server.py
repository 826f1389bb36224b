"""What uvicorn needs from tagwire beyond the app: its HTTP protocol.

uvicorn's protocols with ``TCP_NODELAY`` set on every connection. asyncio sets it only on
sockets whose protocol number is ``IPPROTO_TCP``; uvicorn's ``--workers`` mode binds its
listening socket with protocol number 0, so the connections it accepts keep Nagle's
algorithm, which with the client's delayed ACKs holds the last segment of many responses
for ~40 ms (measured: median 46 ms against 11 ms at 20 requests/s, bench/load.py). Setting
the option where it is already set is harmless.

``PROTOCOL`` is the one to run: httptools' C parser when it is installed (a dependency;
h11 parses in pure Python), else h11.

``AgedHttpToolsProtocol`` also sheds requests by their age; tried, and not the one
``tagwire serve`` runs: on the overload benchmark it did not lower the admitted p99 beyond
the noise once TAGWIRE_MAX_IN_FLIGHT was 2 (docs/decisions.md, "Load shedding"); kept for
``bench/load.py --protocol aged``.

Shedding by age (CoDel, as servers use it: Facebook's "controlled delay" queues). The
in-flight bound of ``web.http.LoadShedding`` cannot see the wait that matters on saturated
cores: a request waits in the kernel's socket buffer until the event loop gets to it, then
in the loop's ready queue, before any middleware runs. Per event loop, ``Admission``
estimates that wait for each request: how late the loop runs (a probe timer every PROBE s:
how far past its due time it fired, or is overdue when the request is read) plus the time
from reading the request to starting its task. A request whose wait exceeds INTERVAL is
answered 503 with Retry-After at once, before the app; and when no request of the last
INTERVAL waited less than TARGET (a standing queue, not a burst), the limit is TARGET.
/healthz, /metrics and event streams are never shed.
"""

from __future__ import annotations

import asyncio
import math
import socket
import time
import weakref
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from tagwire.web.http import shed_outside_the_app, unshed

TARGET = 0.020  # seconds a request may wait before the app while a queue stands
INTERVAL = 0.100  # a queue stands when no request of this long waited less than TARGET
PROBE = 0.005  # seconds between two probes of the event loop's lateness
IDLE = 1.0  # no request for this long: the probe stops (no wake-ups of an idle server)


def _nodelay(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _nodelay(transport)
        super().connection_made(transport)


PROTOCOL: type[asyncio.Protocol] = NoDelayH11Protocol
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            _nodelay(transport)
            super().connection_made(transport)

    class AgedHttpToolsProtocol(NoDelayHttpToolsProtocol):
        """TCP_NODELAY, and requests shed by their age before the app (see the module's
        docstring). ``clock`` is the monotonic clock the ages are read on."""

        clock: Callable[[], float] = staticmethod(time.monotonic)

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.admission = Admission.of(self.loop, type(self).clock)
            self.received = 0.0
            self.behind = 0.0

        def data_received(self, data: bytes) -> None:
            self.received = now = self.admission.clock()
            self.behind = self.admission.behind(now)
            super().data_received(data)

        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            super()._start_asgi_task(cycle, self.admitting(app, self.received, self.behind))

        def admitting(self, app: ASGIApp, received: float, behind: float) -> Any:
            admission = self.admission

            async def admit(scope: Scope, receive: Receive, send: Send) -> None:
                if scope["type"] == "http" and not unshed(scope["path"]):
                    waited = behind + admission.clock() - received
                    if not admission.admit(waited):
                        await shed_outside_the_app(scope, send)
                        return
                await app(scope, receive, send)

            return admit

    PROTOCOL = NoDelayHttpToolsProtocol
except ImportError:  # httptools missing (an odd platform): h11 works, slower
    pass


class Admission:
    """One event loop's estimate of how long requests wait before the app, and the CoDel
    decision. ``behind(now)``: how late the loop runs, read as a request's bytes are read
    (the probe overdue now, or how late it fired if it fired within the last PROBE);
    ``admit(waited)``: False to shed a request that waited ``waited`` seconds."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], float] = time.monotonic,
        target: float = TARGET,
        interval: float = INTERVAL,
    ) -> None:
        self.loop = loop
        self.clock = clock
        self.target = target
        self.interval = interval
        self.due = math.inf  # when the probe should fire; inf: not running
        self.late = 0.0  # how late it fired last
        self.fired = -math.inf
        self.last_request = -math.inf
        self.window_end = -math.inf
        self.window_min = 0.0  # the shortest wait of the current interval
        self.standing = False  # the last interval's shortest wait was above target
        self.shed = 0

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop, clock: Callable[[], float]) -> Admission:
        found = _ADMISSIONS.get(loop)
        if found is None or found.clock is not clock:
            found = _ADMISSIONS[loop] = cls(loop, clock)
        return found

    def behind(self, now: float) -> float:
        self.last_request = now
        if self.due == math.inf:
            self._arm(now)
            return 0.0
        late = self.late if now - self.fired <= PROBE else 0.0
        return max(late, now - self.due)

    def _arm(self, now: float) -> None:
        self.due = now + PROBE
        self.loop.call_later(PROBE, self._probe)

    def _probe(self) -> None:
        now = self.clock()
        self.late, self.fired = max(0.0, now - self.due), now
        if now - self.last_request > IDLE:
            self.due = math.inf
            return
        self._arm(now)

    def admit(self, waited: float) -> bool:
        now = self.clock()
        if now >= self.window_end:
            # a window without requests (idle) ends any standing queue
            self.standing = now < self.window_end + self.interval and self.window_min > self.target
            self.window_min = waited
            self.window_end = now + self.interval
        else:
            self.window_min = min(self.window_min, waited)
        if waited <= (self.target if self.standing else self.interval):
            return True
        self.shed += 1
        return False


_ADMISSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Admission] = (
    weakref.WeakKeyDictionary()
)
