"""The names of a worker's tasks and queues, and a typed way to queue the tasks.

Apart from the Celery app (``celery_app``), which registers the tasks (``tasks``): the
tasks queue their next step through :class:`TaskQueue` too, and an app that imports the
tasks which import the app was a cycle.
"""

from __future__ import annotations

from typing import Any

POLL_FEED = "tagwire.poll_feed"
FETCH_PAGE = "tagwire.fetch_page"
PROCESS_ARTICLE = "tagwire.process_article"
# Fetching waits on publishers, processing on the CPU: two queues, so that each kind can
# have workers of its own (threads for the first, one process per core for the second).
FETCH_QUEUE = "tagwire.fetch"
PROCESS_QUEUE = "tagwire.process"
QUEUES = (FETCH_QUEUE, PROCESS_QUEUE)


class TaskQueue:
    """Queues tagwire's tasks by name (a poll, a page fetch, an article to process)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def poll_feed(self, feed_id: int, source_id: int) -> None:
        self._app.send_task(POLL_FEED, args=[feed_id, source_id], queue=FETCH_QUEUE)

    def fetch_page(self, feed_id: int, source_id: int, item: dict[str, Any]) -> None:
        self._app.send_task(FETCH_PAGE, args=[feed_id, source_id, item], queue=FETCH_QUEUE)

    def process_article(
        self,
        feed_id: int,
        source_id: int,
        item: dict[str, Any],
        page: dict[str, Any] | None,
        problem: str | None,
    ) -> None:
        self._app.send_task(
            PROCESS_ARTICLE, args=[feed_id, source_id, item, page, problem], queue=PROCESS_QUEUE
        )
