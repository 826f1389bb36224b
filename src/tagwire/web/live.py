"""Live updates: new articles pushed to open pages as server-sent events.

The pipeline runs in the poller's thread, the web app in uvicorn's event loop; the
``Broadcaster`` is the bridge. ``publish`` (any thread) hands each new article to every
subscriber whose filter it passes, through ``call_soon_threadsafe`` into the subscriber's
own loop. A subscriber that falls behind loses the oldest events rather than growing
without bound (a reload shows everything).

With several processes (``TAGWIRE_REDIS_URL`` set: workers, several ``tagwire serve``), the
process that stores an article only announces its id on a Redis channel
(``tagwire.announce``), and every web process's :class:`RedisRelay` hands it to its own
broadcaster, which builds the card from the shared store. Pub/sub keeps nothing: an event
sent while a web process is reconnecting is not seen live there (a reload shows it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagwire.announce import LIVE_CHANNEL

if TYPE_CHECKING:
    from tagwire.store import Store

log = logging.getLogger("tagwire.live")
QUEUE_SIZE = 100
HEARTBEAT_SECONDS = 15.0
RECONNECT_SECONDS = (0.5, 10.0)  # first and longest wait before the relay reconnects


@dataclass(eq=False)
class Subscription:
    entity_id: int | None  # None: every new article
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    def offer(self, event: dict[str, Any]) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # drop the oldest: a slow reader must not hold memory
        self.queue.put_nowait(event)


class Broadcaster:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self, entity_id: int | None) -> Subscription:
        subscription = Subscription(entity_id, asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def publish(self, event: dict[str, Any], entity_ids: set[int]) -> None:
        """Called from any thread, once per new listed article."""
        with self._lock:
            targets = [
                s for s in self._subscriptions if s.entity_id is None or s.entity_id in entity_ids
            ]
        for subscription in targets:
            try:
                subscription.loop.call_soon_threadsafe(subscription.offer, event)
            except RuntimeError:  # its loop has closed: the client is gone
                self.unsubscribe(subscription)


async def event_stream(
    broadcaster: Broadcaster,
    entity_id: int | None,
    disconnected: Callable[[], Any],
    heartbeat: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """The text/event-stream of one client: an ``article`` event per new article, and a
    comment line as heartbeat so proxies keep the connection open."""
    subscription = broadcaster.subscribe(entity_id)
    try:
        yield "retry: 5000\n\n"
        while not await disconnected():
            try:
                event = await asyncio.wait_for(subscription.queue.get(), heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
            yield f"event: article\nid: {event['card']['id']}\ndata: {data}\n\n"
    finally:
        broadcaster.unsubscribe(subscription)


def article_publisher(store: Store, broadcaster: Broadcaster) -> Callable[[int], None]:
    """The pipeline's hook: each new listed article, as its card (JSON and the same HTML
    the pages render), to the subscribers of its tags and of the home page."""
    from tagwire.service import shapes
    from tagwire.web.pages.rendering import templates

    card_macro = templates.env.get_template("_card.html").module.card  # type: ignore[attr-defined]

    def publish(article_id: int) -> None:
        if not broadcaster.listeners:
            return  # no page open: no card to build
        card = store.article(article_id).card
        event = {"card": shapes.card_json(card), "html": str(card_macro(card))}
        broadcaster.publish(event, {t.id for t in card.tags})

    return publish


class RedisRelay:
    """In a web process: the articles announced on Redis, to ``on_article`` (this process's
    :func:`article_publisher`), from a thread that reconnects by itself."""

    def __init__(self, url: str, prefix: str, on_article: Callable[[int], None]) -> None:
        self._url = url
        self._channel = prefix + LIVE_CHANNEL
        self._on_article = on_article
        self._stop = threading.Event()
        self.subscribed = threading.Event()  # set while listening (tests wait on it)
        self._thread = threading.Thread(target=self._run, name="tagwire-live-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        import redis  # an optional extra, needed only with TAGWIRE_REDIS_URL

        wait = RECONNECT_SECONDS[0]
        while not self._stop.is_set():
            try:
                self._listen(redis.Redis.from_url(self._url, socket_connect_timeout=5))
                wait = RECONNECT_SECONDS[0]
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                self.subscribed.clear()
                log.warning("live relay lost redis, reconnecting in %.1f s: %s", wait, exc)
                self._stop.wait(wait)
                wait = min(wait * 2, RECONNECT_SECONDS[1])

    def _listen(self, client: Any) -> None:
        with client, client.pubsub(ignore_subscribe_messages=True) as pubsub:
            pubsub.subscribe(self._channel)
            self.subscribed.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None:
                    self._deliver(message["data"])

    def _deliver(self, data: bytes) -> None:
        try:
            article_id = int(json.loads(data)["article"])
            self._on_article(article_id)
        except Exception:  # one bad message or card must not stop the relay
            log.exception("live relay could not deliver %r", data[:200])
