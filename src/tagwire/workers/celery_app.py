"""The Celery application behind ``tagwire worker``.

Celery ships no type information, so it stays behind this module: the rest of tagwire
queues work through :class:`tagwire.workers.queue.TaskQueue` and never touches a Celery
object.

Delivery is at least once: a task is acknowledged only when it has finished
(``acks_late``), and a task whose worker died is handed to another (at once when a pool
child dies, after ``TAGWIRE_VISIBILITY_TIMEOUT`` when the whole worker does). Every task is
idempotent, so a second delivery changes nothing.
"""

from __future__ import annotations

from typing import Any

from celery import Celery  # type: ignore[import-untyped]

from tagwire.config import Config
from tagwire.errors import ConfigError
from tagwire.workers.queue import FETCH_QUEUE, PROCESS_ARTICLE, PROCESS_QUEUE
from tagwire.workers.tasks import register


def broker_url(config: Config) -> str:
    url = config["TAGWIRE_BROKER_URL"] or config["TAGWIRE_REDIS_URL"]
    if not url:
        raise ConfigError(
            "workers need a broker: set TAGWIRE_REDIS_URL (redis://host:6379/0) "
            "or TAGWIRE_BROKER_URL"
        )
    return str(url)


def make_app(config: Config) -> Any:
    """A Celery app with tagwire's tasks registered (``Any``: Celery is untyped)."""
    app = Celery("tagwire", broker=broker_url(config), set_as_current=False)
    visibility = float(config["TAGWIRE_VISIBILITY_TIMEOUT"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # a pool child killed mid-task: the task goes back
        worker_prefetch_multiplier=1,  # a worker holds no more than it runs
        task_ignore_result=True,  # outcomes are in the store; no result backend
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=FETCH_QUEUE,
        task_routes={PROCESS_ARTICLE: {"queue": PROCESS_QUEUE}},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker restart is waited for, not fatal
        broker_transport_options={
            "visibility_timeout": visibility,
            "global_keyprefix": str(config["TAGWIRE_REDIS_PREFIX"]),
            # Unacknowledged tasks are looked for every 10 s x 10 by default: with a short
            # visibility timeout (tests) that would be the real delay of a redelivery.
            "unacked_restore_interval": max(1.0, min(10.0, visibility / 2)),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    register(app)
    return app
