"""The fetcher against real loopback servers, and the address rule on the function that
decides it."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from conftest import LoopbackServer, Reply
from tagwire import config
from tagwire.errors import BlockedAddressError, FetchError, HTTPStatusError, Reason, TooLargeError
from tagwire.fetch.client import AddressPolicy, Fetcher, Validators, decode_body
from tagwire.types import Page


def settings(**env: str) -> config.Config:
    base = {"TAGWIRE_HOST_DELAY": "0", "TAGWIRE_TIMEOUT": "5", "TAGWIRE_MAX_REDIRECTS": "3"}
    return config.load(base | env)


def fetch(url: str, cfg: config.Config, validators: Validators | None = None) -> Page | None:
    async def go() -> Page | None:
        async with Fetcher(cfg) as fetcher:
            return await fetcher.get(url, validators)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
    ],
)
def test_policy_refuses_addresses_that_are_not_global(address: str) -> None:
    assert not AddressPolicy().allows("example.test", address)
    with pytest.raises(BlockedAddressError, match="not a public address"):
        AddressPolicy().choose("http://example.test/", "example.test", [address])


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "93.184.216.34"])
def test_policy_allows_global_addresses(address: str) -> None:
    assert AddressPolicy().allows("example.test", address)


def test_policy_allow_list_by_cidr_address_and_name() -> None:
    policy = AddressPolicy(["127.0.0.0/8", "10.0.0.5", "intranet.example"])
    assert policy.allows("a", "127.3.4.5")
    assert policy.allows("a", "10.0.0.5")
    assert not policy.allows("a", "10.0.0.6")
    assert policy.allows("Intranet.Example.", "192.168.9.9")


def test_policy_picks_the_allowed_address_among_several() -> None:
    chosen = AddressPolicy().choose("u", "h", ["10.0.0.1", "8.8.4.4"])
    assert chosen == "8.8.4.4"


def test_loopback_server_not_in_the_allow_list_is_never_contacted(
    http_server: LoopbackServer,
) -> None:
    http_server.routes["/feed"] = Reply(200, b"<rss/>")
    with pytest.raises(BlockedAddressError):
        fetch(http_server.url("/feed"), settings(TAGWIRE_ALLOWED_HOSTS="127.0.0.2"))
    assert http_server.requests == []


def test_redirect_to_an_address_outside_the_allow_list_is_refused(
    http_server: LoopbackServer,
) -> None:
    other = LoopbackServer("127.0.0.2")
    try:
        other.routes["/secret"] = Reply(200, b"secret")
        http_server.routes["/go"] = Reply(302, headers={"Location": other.url("/secret")})
        with pytest.raises(BlockedAddressError):
            fetch(http_server.url("/go"), settings(TAGWIRE_ALLOWED_HOSTS="127.0.0.1"))
        assert other.requests == []
    finally:
        other.close()


def test_redirects_are_followed_and_loops_stopped(http_server: LoopbackServer) -> None:
    http_server.routes["/a"] = Reply(301, headers={"Location": "/b"})
    http_server.routes["/b"] = Reply(200, b"done", {"Content-Type": "text/plain"})
    http_server.routes["/loop1"] = Reply(302, headers={"Location": "/loop2"})
    http_server.routes["/loop2"] = Reply(302, headers={"Location": "/loop1"})
    cfg = settings(TAGWIRE_ALLOWED_HOSTS="127.0.0.1")
    page = fetch(http_server.url("/a"), cfg)
    assert page is not None and page.body == b"done" and page.url.endswith("/b")
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/loop1"), cfg)
    assert info.value.reason is Reason.TOO_MANY_REDIRECTS


def test_redirect_to_a_file_url_is_refused(http_server: LoopbackServer) -> None:
    http_server.routes["/f"] = Reply(302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/f"), settings(TAGWIRE_ALLOWED_HOSTS="127.0.0.1"))
    assert info.value.reason is Reason.BAD_SCHEME


def test_body_cap_applies_to_the_decompressed_size(http_server: LoopbackServer) -> None:
    bomb = gzip.compress(b"a" * 5_000_000)
    assert len(bomb) < 20_000
    http_server.routes["/bomb"] = Reply(200, bomb, {"Content-Encoding": "gzip"})
    cfg = settings(TAGWIRE_ALLOWED_HOSTS="127.0.0.1", TAGWIRE_MAX_BYTES="1000000")
    with pytest.raises(TooLargeError):
        fetch(http_server.url("/bomb"), cfg)


def test_conditional_get_sends_validators_and_understands_304(
    http_server: LoopbackServer,
) -> None:
    def feed(handler: object) -> Reply:
        headers = http_server.requests[-1][1]
        if headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, b"<rss/>", {"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025"})

    http_server.routes["/feed"] = feed
    cfg = settings(TAGWIRE_ALLOWED_HOSTS="127.0.0.1")
    first = fetch(http_server.url("/feed"), cfg)
    assert first is not None and first.etag == '"v1"'
    again = fetch(http_server.url("/feed"), cfg, Validators(first.etag, first.last_modified))
    assert again is None
    assert http_server.requests[-1][1]["If-Modified-Since"] == "Wed, 01 Jan 2025"


def test_http_errors_carry_their_status(http_server: LoopbackServer) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(http_server.url("/missing"), settings(TAGWIRE_ALLOWED_HOSTS="127.0.0.1"))
    assert info.value.status == 404 and "404" in str(info.value)


def test_user_agent_names_tagwire_and_the_contact(http_server: LoopbackServer) -> None:
    http_server.routes["/"] = Reply(200, b"ok")
    fetch(
        http_server.url("/"),
        settings(
            TAGWIRE_ALLOWED_HOSTS="127.0.0.1", TAGWIRE_CONTACT_URL="https://ops.example/contact"
        ),
    )
    agent = http_server.requests[0][1]["User-Agent"]
    assert agent.startswith("tagwire/") and "https://ops.example/contact" in agent


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        ("naïve café".encode("cp1252"), "iso-8859-1", "naïve café"),
        ("Цитата".encode("cp1251"), "windows-1251", "Цитата"),
        (
            b'<?xml version="1.0" encoding="windows-1251"?><t>' + "Привет".encode("cp1251"),
            None,
            "Привет",
        ),
        (b'<meta charset="iso-8859-1"><p>' + "Größe".encode("latin-1"), None, "Größe"),
        (b"\xef\xbb\xbfhello \xe2\x82\xac", "iso-8859-1", "hello €"),
        ("déjà vu".encode(), None, "déjà vu"),
    ],
)
def test_decode_body_charset_order(body: bytes, header: str | None, expected: str) -> None:
    assert expected in decode_body(body, header)
