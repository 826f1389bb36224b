"""tagwire's HTTP protocol for uvicorn: TCP_NODELAY on every connection, also when the
listening socket was made as uvicorn's ``--workers`` mode makes it (protocol number 0); and
requests shed by the time they waited before the app (CoDel), with a real server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from typing import Any
from unittest.mock import ANY

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from tagwire.web.server import (
    INTERVAL,
    PROTOCOL,
    TARGET,
    Admission,
    AgedHttpToolsProtocol,
    NoDelayH11Protocol,
    NoDelayHttpToolsProtocol,
)


async def _nodelay_of_accepted(protocol: type[H11Protocol]) -> int:
    """Serve one loopback connection through ``protocol`` on a socket bound with protocol
    number 0; the TCP_NODELAY of the accepted socket once the protocol has it."""
    config = uvicorn.Config(app=lambda *_: None, http=protocol)
    config.load()
    state = ServerState()
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Spy(protocol):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Spy(config=config, server_state=state, app_state={}), sock=listening
    )
    try:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        return value
    finally:
        server.close()


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        (H11Protocol, 0),
        (NoDelayH11Protocol, 1),
        (HttpToolsProtocol, 0),
        (NoDelayHttpToolsProtocol, 1),
    ],
)
def test_tcp_nodelay_on_sockets_uvicorn_binds_for_workers(
    protocol: type[H11Protocol], expected: int
) -> None:
    assert bool(asyncio.run(_nodelay_of_accepted(protocol))) == bool(expected)


def test_serve_runs_the_httptools_protocol() -> None:
    assert PROTOCOL is NoDelayHttpToolsProtocol


# -- shedding by age ---------------------------------------------------------------------


class FakeClock:
    """The clock the protocol reads ages on, moved by the test only."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _reply(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        body += chunk
    return int(lines[0].split()[1]), headers, body


def _get(sock: socket.socket, path: str, accept: str = "application/json") -> None:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nAccept: {accept}\r\n\r\n".encode())


class _Held:
    """An app whose /hold request blocks the event loop (as a saturated core would) until
    the test releases it; every other request answers 200 "ok"."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.seen: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            self.started.set()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.seen.append(scope["path"])
        if scope["path"] == "/hold":
            self.holding.set()
            self.release.wait()  # blocks the loop: requests queue in the kernel meanwhile
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"2")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})


def test_requests_that_waited_too_long_before_the_app_are_shed_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    probed = threading.Event()  # the loop's lateness probe has run
    probe = Admission._probe

    def noted(self: Admission) -> None:
        probe(self)
        probed.set()

    monkeypatch.setattr(Admission, "_probe", noted)

    class Aged(AgedHttpToolsProtocol):
        pass

    Aged.clock = staticmethod(clock)
    app = _Held()
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    address = listening.getsockname()
    server = uvicorn.Server(uvicorn.Config(app, http=Aged, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]})
    thread.start()
    try:
        assert app.started.wait(30)
        held = socket.create_connection(address)
        _get(held, "/hold")
        assert app.holding.wait(30)
        # while the loop is held: an API request, a browser's page, a monitor's probe
        api, page, health = (socket.create_connection(address) for _ in range(3))
        _get(api, "/api/v1/tags/Oslo")
        _get(page, "/tags/Oslo", accept="text/html,*/*;q=0.8")
        _get(health, "/healthz")
        clock.now += 0.5  # they wait half a second (more than INTERVAL) before the app
        app.release.set()
        assert _reply(held)[0] == 200  # the held request itself was admitted before

        status, headers, body = _reply(api)
        assert status == 503 and headers["retry-after"] == "1"
        assert json.loads(body)["error"]["status"] == 503
        assert headers["content-type"] == "application/json"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        status, headers, body = _reply(page)
        assert status == 503 and headers["retry-after"] == "1"
        assert headers["content-type"].startswith("text/html") and b"tagwire is busy" in body
        assert _reply(health)[0] == 200  # never shed
        assert app.seen == ["/hold", "/healthz"]  # the shed requests never reached the app

        # live: once the loop has caught up (its probe ran on time again), a request that
        # did not wait is admitted, on the connection that was shed
        probed.clear()
        assert probed.wait(30)
        clock.now += 0.05
        _get(api, "/api/v1/tags/Oslo")
        assert _reply(api) == (200, ANY, b"ok")
        for sock in (held, api, page, health):
            sock.close()
    finally:
        app.release.set()
        server.should_exit = True
        thread.join(30)


def test_a_standing_queue_lowers_the_age_limit_to_the_target() -> None:
    """CoDel: a burst may wait up to INTERVAL; once no request of a whole INTERVAL waited
    less than TARGET, requests that waited past TARGET are shed, until one waits less."""
    clock = FakeClock()
    loop = asyncio.new_event_loop()
    loop.close()  # admit() decides alone; only the probe uses the loop
    admission = Admission(loop, clock)
    between = (TARGET + INTERVAL) / 2
    assert admission.admit(between)  # a burst: within INTERVAL
    assert not admission.admit(INTERVAL * 1.5)
    clock.now += INTERVAL  # a whole interval in which every request waited past TARGET
    assert not admission.admit(between)
    assert not admission.admit(between)
    assert admission.admit(TARGET / 2)
    clock.now += INTERVAL  # this interval had a short wait: no standing queue
    assert admission.admit(between)
    clock.now += 10 * INTERVAL  # idle: a new start
    assert admission.admit(between)
    assert admission.shed == 3
