"""Engines for the two backends: SQLite (WAL, one writer with BEGIN IMMEDIATE, busy wait)
and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import select
import time
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from tagwire.errors import ConfigError

WRITE = "tagwire_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
# PostgreSQL's default random_page_cost (4) models spinning disks: with it the planner joins
# the 120 tags of a page's 20 cards to entities by hashing the whole entities table (1 ms at
# 3,000 entities, growing with them) instead of 120 primary-key lookups (0.3 ms). 1.1 is
# PostgreSQL's own advice for solid-state or cached storage; set per session, so a server's
# other databases keep theirs. A URL's own ``options=-c random_page_cost=...`` wins.
PG_SESSION_OPTIONS = "-c random_page_cost=1.1"
# A pooled PostgreSQL connection idle for longer than this is pinged before use (see
# _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0


def _json_dumps(value: Any) -> str:
    """JSON columns by orjson: a story's terms (about 40 weighted words) took 29 us with
    ``json.dumps`` and 1.7 us with orjson, and an import writes one or two stories an
    article (bench/scale.py: a sixteenth of its store process). Non-string keys become
    strings (as with ``json.dumps``) and numpy scalars numbers; NaN becomes null
    (json's NaN is not JSON: PostgreSQL refuses it)."""
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_JSON: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options = str(parsed.query.get("options", ""))
        if "random_page_cost" not in options:
            options = f"{options} {PG_SESSION_OPTIONS}".lstrip()
            parsed = parsed.update_query_dict({"options": options})
        try:
            engine = create_engine(parsed, pool_size=5, max_overflow=10, **_JSON)
        except ModuleNotFoundError as error:
            raise ConfigError(
                "PostgreSQL needs psycopg 3: pip install 'tagwire[postgres]'"
            ) from error
        _ping_when_idle(engine)
        return engine
    raise ConfigError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


def read_engine(engine: Engine) -> Engine:
    """The engine the store reads through. On PostgreSQL, autocommit: under READ COMMITTED
    every statement takes its own snapshot anyway, so a read transaction bought nothing but
    a BEGIN and a ROLLBACK per connection, and psycopg forgets its prepared statements at
    every ROLLBACK; without them every query of a page was planned again (0.2-0.8 ms each,
    more than running it). On SQLite a read transaction is one snapshot: kept."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping`` for the connections that need it: those idle for a
    while, and those the server sent something while they were at rest. pre_ping cost a
    round trip at every checkout, two per tag page (10% of a page's time on PostgreSQL, and
    as many statements for the server as the page's own queries). A server that shuts down
    or ends a backend tells its clients (a FATAL message, then the end of the stream) and a
    dead peer's socket reads as closed, so a look at the socket (a microsecond) finds what
    the ping found, restarts within the second included."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("checked_in")
        if last is None:
            return  # a new connection
        if time.monotonic() - last < PING_AFTER_IDLE_SECONDS and not _signalled(
            dbapi_connection, engine.dialect.loaded_dbapi.Error
        ):
            return  # in use a moment ago, and the server has said nothing since
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error  # the pool connects anew
            raise


def _signalled(dbapi_connection: Any, driver_error: type[Exception]) -> bool:
    """Whether a connection at rest has something to read: the server owes an idle
    connection nothing, so it is a shutdown notice, the end of the stream or a notice that
    the ping will read."""
    poller = select.poll()  # not select.select: it refuses descriptors above 1023
    try:
        poller.register(dbapi_connection.fileno(), select.POLLIN)
    except (OSError, ValueError, driver_error):
        return True  # closed already: the ping says so
    return bool(poller.poll(0))


def _sqlite(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **_JSON)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (pysqlite's own transaction handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock at BEGIN, so two writers queue instead of failing
        # with "database is locked" when a read transaction tries to upgrade.
        immediate = conn.get_execution_options().get(WRITE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
