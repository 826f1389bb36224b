"""tagwire's HTTP protocol for uvicorn: TCP_NODELAY on every connection, also when the
listening socket was made as uvicorn's ``--workers`` mode makes it (protocol number 0)."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from tagwire.web.server import PROTOCOL, NoDelayH11Protocol, NoDelayHttpToolsProtocol


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
