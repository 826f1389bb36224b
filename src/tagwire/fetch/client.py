"""The only module that touches the network.

Every request goes through :class:`Fetcher`: http(s) only, a redirect limit with each hop
checked again, connect/read/total timeouts, a cap on the decoded body size (streamed, never
buffered whole), conditional GET, a per-host concurrency limit and delay, and the address
rule of PRODUCT.md: a host's addresses are resolved *here*, each is checked with
``ipaddress.is_global`` (or ``TAGWIRE_ALLOWED_HOSTS``), and the connection goes to the
address that was checked, so a second DNS answer cannot send us elsewhere.
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import ipaddress
import re
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from charset_normalizer import from_bytes

from tagwire import __version__
from tagwire.config import Config
from tagwire.errors import (
    BlockedAddressError,
    FetchError,
    HTTPStatusError,
    Reason,
    RobotsDisallowed,
    TooLargeError,
)
from tagwire.fetch.politeness import Gate, HostGate
from tagwire.fetch.robots import RobotsCache
from tagwire.ingest.schedule import retry_after
from tagwire.types import Page, now_utc

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_REDIRECTS = {301, 302, 303, 307, 308}
ROBOTS_REDIRECTS = 5  # RFC 9309: follow at least five


class AddressPolicy:
    """Decides which addresses may be fetched (pure: no I/O)."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self._names: set[str] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allowed:
            try:
                self._networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self._names.add(entry.strip().lower().rstrip("."))

    def allows(self, host: str, address: str) -> bool:
        if host.lower().rstrip(".") in self._names:
            return True
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip in net for net in self._networks if net.version == ip.version):
            return True
        # is_global is False for private, loopback, link-local, CGNAT and unspecified
        # addresses. IPv4-mapped IPv6 ("::ffff:a.b.c.d") is refused outright: Python's answer
        # for it differs between versions, and it can smuggle a loopback past a check.
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return False
        return ip.is_global

    def choose(self, url: str, host: str, addresses: Iterable[str]) -> str:
        """The first allowed address, or :class:`BlockedAddressError` naming what was refused."""
        seen = list(dict.fromkeys(addresses))
        for address in seen:
            if self.allows(host, address):
                return address
        shown = ", ".join(seen) or "no address"
        raise BlockedAddressError(
            url,
            f"{host} resolves to {shown}, which is not a public address "
            "(add it to TAGWIRE_ALLOWED_HOSTS to allow it)",
        )


async def resolve(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects to the checked address (TLS still uses the host name)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        url = f"//{host}:{port}"
        try:
            addresses = await resolve(host, port)
        except OSError as exc:
            raise FetchError(url, Reason.DNS, f"cannot resolve host {host}: {exc}") from exc
        address = self._policy.choose(url, host, addresses)
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError(path, Reason.BAD_SCHEME, "unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs 20 to 70 ms, and a worker
    makes a Fetcher per task (it was a quarter of a page task's time)."""
    return httpx.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: AddressPolicy, limits: httpx.Limits) -> None:
        super().__init__(verify=_ssl_context(), limits=limits, retries=0, trust_env=False)
        # httpx takes no network backend argument; its pool does. The pool is rebuilt with the
        # same limits and our backend (httpx keeps this attribute stable since 0.18).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )


def make_gate(config: Config) -> Gate:
    local = HostGate(config.host_concurrency, config.host_delay)
    url = config["TAGWIRE_REDIS_URL"]
    if not url:
        return local
    # Imported here: Redis is an optional extra, needed only when it is configured.
    from tagwire.fetch.redis_politeness import RedisHostGate

    return RedisHostGate(
        str(url),
        str(config["TAGWIRE_REDIS_PREFIX"]),
        config.host_concurrency,
        config.host_delay,
        lease=float(config["TAGWIRE_TIMEOUT"]) + 5.0,
        fallback=local,
    )


@dataclass(frozen=True)
class Validators:
    """Conditional-GET validators stored per feed."""

    etag: str | None = None
    last_modified: str | None = None


class Fetcher:
    """Async HTTP for feeds and pages; use as ``async with Fetcher(config) as f``."""

    def __init__(self, config: Config, robots: RobotsCache | None = None) -> None:
        self.config = config
        # One cache for the process (the pipeline's), so robots.txt is read once a day.
        self.robots = robots if robots is not None else RobotsCache()
        self.obey_robots = bool(config["TAGWIRE_ROBOTS"])
        self.policy = AddressPolicy(config.allowed_hosts)
        self.max_bytes = int(config["TAGWIRE_MAX_BYTES"])
        self.max_redirects = int(config["TAGWIRE_MAX_REDIRECTS"])
        self.total_timeout = float(config["TAGWIRE_TIMEOUT"])
        self._gate = make_gate(config)
        limits = httpx.Limits(
            max_connections=int(config["TAGWIRE_CONCURRENCY"]),
            max_keepalive_connections=int(config["TAGWIRE_CONCURRENCY"]),
        )
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(self.policy, limits),
            timeout=httpx.Timeout(
                self.total_timeout, connect=float(config["TAGWIRE_CONNECT_TIMEOUT"])
            ),
            follow_redirects=False,
            # Only what _inflate decodes: it bounds the memory a compressed body can take.
            headers={"User-Agent": user_agent(config), "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._gate.aclose()

    async def get(
        self, url: str, validators: Validators | None = None, accept: str = "*/*"
    ) -> Page | None:
        """The resource at ``url``, or ``None`` when the server says it has not changed."""
        try:
            async with asyncio.timeout(self.total_timeout):
                return await self._follow(url, validators, accept)
        except TimeoutError as exc:
            raise FetchError(
                url, Reason.TIMEOUT, f"no complete answer within {self.total_timeout:g} s"
            ) from exc

    async def _follow(self, url: str, validators: Validators | None, accept: str) -> Page | None:
        seen: set[str] = set()
        current = url
        for _ in range(self.max_redirects + 1):
            check_scheme(current)
            if current in seen:
                raise FetchError(url, Reason.TOO_MANY_REDIRECTS, "redirect loop")
            seen.add(current)
            if self.obey_robots:
                await self._check_robots(current)
            result = await self._once(current, validators, accept)
            if isinstance(result, str):
                current = result
                continue
            return result
        raise FetchError(
            url, Reason.TOO_MANY_REDIRECTS, f"more than {self.max_redirects} redirects"
        )

    async def _check_robots(self, url: str) -> None:
        rules = await self.robots.rules(url, self._fetch_robots)
        host = urlsplit(url).hostname or ""
        self._gate.slow_down(host, rules.crawl_delay())
        if not rules.allows(url):
            why = rules.unreachable or "its robots.txt disallows this URL"
            raise RobotsDisallowed(url, f"not fetched: {why}")

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body`` (a webhook delivery); the status of the answer, redirects not
        followed. The address rule and the timeouts apply as to every request."""
        check_scheme(url)
        try:
            async with asyncio.timeout(self.total_timeout):
                response = await self._client.post(url, content=body, headers=headers)
                await response.aclose()
                return response.status_code
        except TimeoutError as exc:
            raise FetchError(url, Reason.TIMEOUT, "the receiver took too long to answer") from exc
        except httpx.ConnectError as exc:
            raise FetchError(url, Reason.CONNECT, f"cannot connect: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, Reason.PROTOCOL, f"HTTP error: {exc}") from exc

    async def sitemaps(self, url: str) -> tuple[str, ...]:
        """The sitemaps that the robots.txt of ``url``'s site names."""
        return (await self.robots.rules(url, self._fetch_robots)).sitemaps

    async def _fetch_robots(self, url: str) -> tuple[int, bytes]:
        current = url
        for _ in range(ROBOTS_REDIRECTS + 1):
            check_scheme(current)
            result = await self._once(current, None, "text/plain, */*;q=0.5", polite=False)
            if isinstance(result, str):
                current = result
                continue
            return (200, result.body) if result is not None else (404, b"")
        return 404, b""  # a redirect chain this long: treated as no robots.txt (RFC 9309)

    async def _once(
        self, url: str, validators: Validators | None, accept: str, polite: bool = True
    ) -> Page | str | None:
        headers = {"Accept": accept}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        host = urlsplit(url).hostname or ""
        async with self._gate.slot(host, polite):
            return await self._request(url, headers)

    async def _request(self, url: str, headers: dict[str, str]) -> Page | str | None:
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    return urljoin(url, response.headers["location"])
                if response.status_code == 304:
                    return None
                if response.status_code >= 400:
                    wait = retry_after(response.headers.get("retry-after"), now_utc())
                    raise HTTPStatusError(url, response.status_code, wait)
                body = await self._read_capped(url, response)
                media, charset = parse_content_type(response.headers.get("content-type", ""))
                return Page(
                    url=url,
                    status=response.status_code,
                    body=body,
                    content_type=media,
                    charset=charset,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
        except httpx.TimeoutException as exc:
            raise FetchError(url, Reason.TIMEOUT, "the server took too long to answer") from exc
        except httpx.ConnectError as exc:
            raise FetchError(url, Reason.CONNECT, f"cannot connect: {exc}") from exc
        except httpx.DecodingError as exc:
            raise FetchError(url, Reason.PROTOCOL, f"cannot decode the body: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, Reason.PROTOCOL, f"HTTP error: {exc}") from exc

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if declared.isdigit() and int(declared) > self.max_bytes and encoding in _PLAIN:
            raise TooLargeError(url, self.max_bytes)
        if encoding in _PLAIN:
            stream = response.aiter_raw()
        elif encoding in _INFLATED:
            stream = _inflate(url, response.aiter_raw())
        else:
            raise FetchError(url, Reason.PROTOCOL, f"unknown content encoding {encoding!r}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in stream:
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLargeError(url, self.max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)


_PLAIN = {"", "identity"}
_INFLATED = {"gzip", "x-gzip", "deflate"}
INFLATE_STEP = 256 * 1024


async def _inflate(url: str, raw: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Decompress gzip or deflate a bounded step at a time. httpx's own decoders inflate a
    whole network chunk at once, and 64 KB of a gzip bomb is 64 MB: here no step yields more
    than INFLATE_STEP, so the cap stops a bomb before it costs memory."""
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # a gzip or a zlib header
    started = False
    async for data in raw:
        while data:
            try:
                out = decoder.decompress(data, INFLATE_STEP)
            except zlib.error as exc:
                if started:
                    raise FetchError(
                        url, Reason.PROTOCOL, f"corrupt compressed body: {exc}"
                    ) from exc
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
                started = True
                continue
            started = True
            data = decoder.unconsumed_tail
            if decoder.eof and decoder.unused_data:  # a second gzip member follows
                data = decoder.unused_data + data
                decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)
            if out:
                yield out


def user_agent(config: Config) -> str:
    return f"tagwire/{__version__} (+{config['TAGWIRE_CONTACT_URL']})"


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(
            url, Reason.BAD_SCHEME, f"only http and https URLs are fetched, not {scheme or 'this'}:"
        )


def parse_content_type(value: str) -> tuple[str, str | None]:
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return media.strip().lower(), charset


_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")


def decode_body(body: bytes, header_charset: str | None = None) -> str:
    """Text of an HTML or XML body: BOM, then header charset, then the document's own
    declaration, then detection (charset-normalizer) as the last resort."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    head = body[:4096]
    declared: list[str | None] = [header_charset]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        match = pattern.search(head)
        if match:
            declared.append(match.group(1).decode("ascii").lower())
    for label in declared:
        if not label:
            continue
        try:
            return body.decode(_codec_name(label))
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(body).best()
        return str(best) if best is not None else body.decode("utf-8", errors="replace")


def _codec_name(name: str) -> str:
    # Browsers treat these labels as windows-1252 (WHATWG Encoding), and so do publishers.
    if name in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
        return "cp1252"
    return name
