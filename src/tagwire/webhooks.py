"""Webhooks per tag: a POST to the subscriber for each new article with the tag.

Body: ``{"event": "article", "tag": slug, "article": card}`` (JSON, the card of PRODUCT.md).
Headers: ``X-Tagwire-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's
secret>`` (compare it in constant time), ``X-Tagwire-Delivery: <id>`` (the same id on every
retry of one delivery, so a receiver can drop repeats), ``X-Tagwire-Event: article``.
A 2xx answer is a delivery; anything else (or no answer) is retried with exponential
back-off and jitter, 30 s doubling up to 6 hours, and given up after MAX_ATTEMPTS. The
receiver's address obeys the same private-address rule as every fetch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
from datetime import datetime, timedelta

from tagwire.config import Config
from tagwire.errors import BadRequest, FetchError
from tagwire.fetch.client import Fetcher, check_scheme
from tagwire.service import shapes
from tagwire.store import Store
from tagwire.store.records import Delivery
from tagwire.types import now_utc

log = logging.getLogger("tagwire.webhooks")
MAX_ATTEMPTS = 10
FIRST_RETRY = 30.0
MAX_RETRY = 6 * 3600.0


def new_secret() -> str:
    return secrets.token_hex(24)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 30 s, 1 min, 2 min ...
    up to 6 h, each between half and the whole of that."""
    ceiling = min(MAX_RETRY, FIRST_RETRY * 2.0 ** max(0, attempts - 1))
    return ceiling / 2 + float((rng or random).uniform(0, ceiling / 2))


def check_url(url: str) -> str:
    try:
        check_scheme(url)
    except FetchError:
        raise BadRequest("url: a webhook address must be an http(s) URL") from None
    return url


async def deliver_due(store: Store, fetcher: Fetcher, now: datetime | None = None) -> int:
    """Make every delivery that is due; returns how many succeeded."""
    delivered = 0
    for delivery in store.due_deliveries(now or now_utc()):
        delivered += await _deliver(store, fetcher, delivery)
    return delivered


async def deliver_round(store: Store, config: Config) -> None:
    """The due deliveries, with a fetcher of their own: what the poller of ``tagwire serve``
    and the leading scheduler of a scaled-out installation run between their rounds. A
    receiver's trouble (or the store's) is logged, never raised: it must not stop them."""
    try:
        async with Fetcher(config) as fetcher:
            await deliver_due(store, fetcher)
    except Exception:
        log.exception("webhook deliveries failed")


async def _deliver(store: Store, fetcher: Fetcher, delivery: Delivery) -> bool:
    try:
        card = shapes.card_json(store.article(delivery.article_id).card)
    except LookupError:
        store.record_delivery(delivery.id, error="the article is gone", next_attempt=None)
        return False
    body = json.dumps(
        {"event": "article", "tag": delivery.tag, "article": card}, ensure_ascii=False
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Tagwire-Event": "article",
        "X-Tagwire-Delivery": str(delivery.id),
        "X-Tagwire-Signature": sign(delivery.secret, body),
    }
    try:
        status = await fetcher.post(delivery.url, body, headers)
        error = None if 200 <= status < 300 else f"the receiver answered HTTP {status}"
    except FetchError as exc:
        error = exc.message
    if error is None:
        store.record_delivery(delivery.id, error=None, next_attempt=None)
        return True
    attempts = delivery.attempts + 1
    retry = None
    if attempts < MAX_ATTEMPTS:
        retry = now_utc() + timedelta(seconds=retry_delay(attempts))
    log.warning("webhook delivery %s failed (attempt %s): %s", delivery.id, attempts, error)
    store.record_delivery(delivery.id, error=error, next_attempt=retry)
    return False
