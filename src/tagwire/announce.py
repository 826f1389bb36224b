"""A new article announced to the web processes of a scaled-out installation.

The process that stores an article (a worker, or ``tagwire serve`` beside others) publishes
its id on the Redis channel ``{TAGWIRE_REDIS_PREFIX}live``; each web process's
``web.live.RedisRelay`` builds the card from the shared store and hands it to its open
pages. A module of its own, apart from ``web/``, so that workers never import the web app.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

LIVE_CHANNEL = "live"  # after TAGWIRE_REDIS_PREFIX


def redis_announcer(client: Any, prefix: str) -> Callable[[int], None]:
    """The pipeline's hook in a process of many: each new listed article's id to every web
    process, on the Redis channel ``{prefix}live``. ``client`` is a redis.Redis."""
    channel = prefix + LIVE_CHANNEL

    def announce(article_id: int) -> None:
        client.publish(channel, json.dumps({"article": article_id}))

    return announce
