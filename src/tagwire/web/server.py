"""What uvicorn needs from tagwire beyond the app: its HTTP protocol.

uvicorn's protocols with ``TCP_NODELAY`` set on every connection. asyncio sets it only on
sockets whose protocol number is ``IPPROTO_TCP``; uvicorn's ``--workers`` mode binds its
listening socket with protocol number 0, so the connections it accepts keep Nagle's
algorithm, which with the client's delayed ACKs holds the last segment of many responses
for ~40 ms (measured: median 46 ms against 11 ms at 20 requests/s, bench/load.py). Setting
the option where it is already set is harmless.

``PROTOCOL`` is the one to run: httptools' C parser when it is installed (a dependency;
h11 parses in pure Python), else h11.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


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

    PROTOCOL = NoDelayHttpToolsProtocol
except ImportError:  # httptools missing (an odd platform): h11 works, slower
    pass
