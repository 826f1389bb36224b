"""Webhooks per tag and their deliveries (queued by the writer in the article's
transaction, made by the poller)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update

from tagwire.errors import NotFound
from tagwire.store import schema as t
from tagwire.store.base import Base
from tagwire.store.records import Delivery, WebhookRecord
from tagwire.store.write_base import new_id as _new_id
from tagwire.types import now_utc


class Webhooks(Base):
    """Webhooks per tag and their deliveries."""

    # -- webhooks ------------------------------------------------------------------------

    def add_webhook(self, entity_id: int, url: str, secret: str) -> int:
        with self.rows() as w:
            return _new_id(
                w.conn.execute(
                    t.webhooks.insert().values(
                        entity_id=entity_id, url=url, secret=secret, created_at=now_utc()
                    )
                )
            )

    def remove_webhook(self, webhook_id: int) -> None:
        with self.rows() as w:
            d = t.webhook_deliveries
            w.conn.execute(d.delete().where(d.c.webhook_id == webhook_id))
            if (
                w.conn.execute(t.webhooks.delete().where(t.webhooks.c.id == webhook_id)).rowcount
                == 0
            ):
                raise NotFound("webhook", webhook_id)

    def webhooks(self) -> list[WebhookRecord]:
        d = t.webhook_deliveries.c
        pending = func.sum(case((d.next_attempt_at.is_not(None), 1), else_=0))
        delivered = func.sum(case((d.delivered_at.is_not(None), 1), else_=0))
        stats = (
            select(d.webhook_id, pending.label("pending"), delivered.label("delivered"))
            .group_by(d.webhook_id)
            .subquery()
        )
        last_error = (
            select(d.last_error)
            .where(d.webhook_id == t.webhooks.c.id, d.last_error.is_not(None))
            .order_by(d.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(
                t.webhooks,
                t.entities.c.slug,
                func.coalesce(stats.c.pending, 0).label("pending"),
                func.coalesce(stats.c.delivered, 0).label("delivered"),
                last_error.label("last_error"),
            )
            .join(t.entities, t.entities.c.id == t.webhooks.c.entity_id)
            .outerjoin(stats, stats.c.webhook_id == t.webhooks.c.id)
            .order_by(t.webhooks.c.id)
        )
        with self._read() as conn:
            return [
                WebhookRecord(
                    r.id,
                    r.slug,
                    r.url,
                    r.created_at,
                    int(r.pending),
                    int(r.delivered),
                    r.last_error,
                )
                for r in conn.execute(query)
            ]

    def due_deliveries(self, now: datetime, limit: int = 50) -> list[Delivery]:
        d, h = t.webhook_deliveries.c, t.webhooks.c
        query = (
            select(d.id, d.webhook_id, h.url, h.secret, t.entities.c.slug, d.article_id, d.attempts)
            .join(t.webhooks, h.id == d.webhook_id)
            .join(t.entities, t.entities.c.id == h.entity_id)
            .where(d.next_attempt_at.is_not(None), d.next_attempt_at <= now)
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [Delivery(*row) for row in conn.execute(query)]

    def next_delivery_at(self) -> datetime | None:
        d = t.webhook_deliveries.c
        with self._read() as conn:
            value: datetime | None = conn.execute(
                select(func.min(d.next_attempt_at)).where(d.next_attempt_at.is_not(None))
            ).scalar()
        return value

    def record_delivery(
        self, delivery_id: int, *, error: str | None, next_attempt: datetime | None
    ) -> None:
        """A 2xx (``error`` None), or a failure retried at ``next_attempt`` (None: given up)."""
        d = t.webhook_deliveries
        values: dict[str, Any] = {"attempts": d.c.attempts + 1, "last_error": error}
        if error is None:
            values.update(delivered_at=now_utc(), next_attempt_at=None)
        else:
            values["next_attempt_at"] = next_attempt
        with self.rows() as w:
            w.conn.execute(update(d).where(d.c.id == delivery_id).values(**values))
