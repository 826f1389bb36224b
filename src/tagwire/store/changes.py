"""Reading the changes log (``schema.changes``) for the response caches of web processes.

A cache asks before every request it could answer, so the question must cost next to
nothing: the feed keeps a driver connection of its own (outside the pool) in autocommit
mode and sends one plain statement (10-17 µs on SQLite, against 550 µs through the pool,
whose checkout, BEGIN and ROLLBACK dominate). Used from one thread (the event loop).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

Change = tuple[int, tuple[int, ...] | None]  # id, the tags it touched (None: anything)


class ChangeFeed:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._conn: Any = None

    def last(self) -> int:
        rows = self._query("SELECT COALESCE(MAX(id), 0) FROM changes", [])
        return int(rows[0][0])

    def after(self, last_id: int, pending: Sequence[int] = ()) -> list[Change]:
        """Changes recorded after ``last_id``, and those of ``pending`` now visible; oldest
        first. Raises the driver's error when the database cannot answer (the connection
        is dropped, and the next call opens a new one)."""
        where = f"id > {self._mark}"
        if pending:
            where += f" OR id IN ({', '.join([self._mark] * len(pending))})"
        sql = f"SELECT id, entity_ids FROM changes WHERE {where} ORDER BY id"
        return [(int(i), _ids(ids)) for i, ids in self._query(sql, [last_id, *pending])]

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):  # a dead connection may fail to close
                conn.close()

    def __del__(self) -> None:  # a cache dropped without closing (tests, reloads)
        self.close()

    def _query(self, sql: str, params: list[int]) -> list[Any]:
        if self._conn is None:
            self._conn = self._connect()
        try:
            cursor = self._conn.cursor()
            try:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
            finally:
                cursor.close()
        except Exception:
            self.close()
            raise

    def _connect(self) -> Any:
        """A driver connection outside the engine's pool, so that caches never take the
        connections that pages need."""
        dialect = self.engine.dialect
        cargs, cparams = dialect.create_connect_args(self.engine.url)
        if dialect.name == "sqlite":
            cparams.update(check_same_thread=False, isolation_level=None, timeout=30)
        conn = dialect.connect(*cargs, **cparams)
        if dialect.name == "postgresql":
            conn.autocommit = True
        return conn


def _ids(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, str | bytes):  # SQLite returns JSON columns as text
        value = json.loads(value)  # and SQLAlchemy wrote None as JSON null
    return None if value is None else tuple(int(i) for i in value)
