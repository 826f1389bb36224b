"""Webhooks per tag: registered behind the admin token, queued in the article's own
transaction, delivered signed (HMAC-SHA256), retried with back-off, never to an address the
allow-list does not name."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
from datetime import timedelta
from pathlib import Path

import httpx

from conftest import LoopbackServer, Reply
from tagwire import config, webhooks
from tagwire.fetch.client import Fetcher
from tagwire.service import tag_queries
from tagwire.store import Store
from tagwire.types import Source, now_utc
from tagwire.web.app import create_app
from test_search import _add

TOKEN = "hook-admin"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def _settings() -> config.Config:
    return config.load(
        {"TAGWIRE_ALLOWED_HOSTS": "127.0.0.1", "TAGWIRE_ADMIN_TOKEN": TOKEN, "TAGWIRE_TIMEOUT": "5"}
    )


def _store(tmp_path: Path) -> tuple[Store, int]:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    (source,) = store.upsert_sources([Source("S", "https://s.example/", ("https://s.example/f",))])
    _add(store, 1, "Before the hook", "Text.", source=source, places=("Oslo",))
    return store, source


def _api(
    store: Store, calls: list[tuple[str, str, dict[str, object] | None, dict[str, str]]]
) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(store, settings=_settings()))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.request(m, p, json=b, headers=h) for m, p, b, h in calls]

    return asyncio.run(go())


def _deliver(store: Store, now_offset: float = 0) -> int:
    async def go() -> int:
        async with Fetcher(_settings()) as fetcher:
            return await webhooks.deliver_due(
                store, fetcher, now_utc() + timedelta(seconds=now_offset)
            )

    return asyncio.run(go())


def test_registering_needs_the_admin_token(tmp_path: Path, http_server: LoopbackServer) -> None:
    store, _ = _store(tmp_path)
    body: dict[str, object] = {"tag": "oslo", "url": http_server.url("/hook")}
    anonymous, added, listed, bad_url, no_tag, removed, missing = _api(
        store,
        [
            ("POST", "/api/v1/webhooks", body, {}),
            ("POST", "/api/v1/webhooks", body, ADMIN),
            ("GET", "/api/v1/webhooks", None, ADMIN),
            ("POST", "/api/v1/webhooks", {"tag": "Oslo", "url": "file:///etc/passwd"}, ADMIN),
            ("POST", "/api/v1/webhooks", {"tag": "Atlantis", "url": body["url"]}, ADMIN),
            ("DELETE", "/api/v1/webhooks/1", None, ADMIN),
            ("DELETE", "/api/v1/webhooks/1", None, ADMIN),
        ],
    )
    assert anonymous.status_code == 401
    assert added.status_code == 201 and len(added.json()["secret"]) == 48
    assert added.json()["webhook"]["tag"] == "Oslo"  # any alias, the canonical slug
    assert "secret" not in listed.json()["webhooks"][0]  # shown once, when registered
    assert bad_url.status_code == 400 and no_tag.status_code == 404
    assert removed.status_code == 200 and missing.status_code == 404


def test_new_articles_are_delivered_signed_and_retried(
    tmp_path: Path, http_server: LoopbackServer
) -> None:
    store, source = _store(tmp_path)
    answers = iter([Reply(500, b"busy"), Reply(204)])
    http_server.routes["/hook"] = lambda _handler: next(answers)
    (added,) = _api(
        store,
        [("POST", "/api/v1/webhooks", {"tag": "Oslo", "url": http_server.url("/hook")}, ADMIN)],
    )
    secret = added.json()["secret"]
    _add(store, 2, "After the hook", "Text about Oslo.", source=source, places=("Oslo",))
    _add(store, 3, "Elsewhere", "Text about Bergen.", source=source, places=("Bergen",))
    assert _deliver(store) == 0  # the receiver answered 500
    (hook,) = store.webhooks()
    assert hook.pending == 1 and hook.last_error == "the receiver answered HTTP 500"
    assert _deliver(store) == 0  # not due yet: backing off, nothing sent
    assert len(http_server.posts) == 1
    assert _deliver(store, now_offset=60) == 1
    first, second = http_server.posts
    for path, headers, body in (first, second):
        assert path == "/hook" and headers["X-Tagwire-Event"] == "article"
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Tagwire-Signature"], expected)
        payload = json.loads(body)
        assert payload["tag"] == "Oslo" and payload["article"]["title"] == "After the hook"
    assert first[1]["X-Tagwire-Delivery"] == second[1]["X-Tagwire-Delivery"]  # one delivery
    (hook,) = store.webhooks()
    assert (hook.pending, hook.delivered) == (0, 1)
    assert _deliver(store, now_offset=3600) == 0 and len(http_server.posts) == 2


def test_a_receiver_outside_the_allow_list_is_never_reached(tmp_path: Path) -> None:
    forbidden = LoopbackServer("127.0.0.2")
    try:
        store, source = _store(tmp_path)
        entity = tag_queries.find_tag(store, "Oslo")
        store.add_webhook(entity.id, forbidden.url("/hook"), webhooks.new_secret())
        _add(store, 2, "After the hook", "Text.", source=source, places=("Oslo",))
        assert _deliver(store) == 0
        (hook,) = store.webhooks()
        assert "not a public address" in (hook.last_error or "")
        assert forbidden.requests == [] and forbidden.posts == []
    finally:
        forbidden.close()


def test_retries_back_off_exponentially_with_jitter() -> None:
    rng = random.Random(3)
    for attempts in range(1, 12):
        ceiling = min(webhooks.MAX_RETRY, webhooks.FIRST_RETRY * 2 ** (attempts - 1))
        delays = [webhooks.retry_delay(attempts, rng) for _ in range(100)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
