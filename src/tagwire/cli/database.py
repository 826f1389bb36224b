"""Opening the store for a command: a database that cannot be opened is one line that says
why, and a URL is printed without its password.
"""

from __future__ import annotations

import os

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from tagwire.cli.arguments import one_line
from tagwire.errors import StoreError, TagwireError
from tagwire.store import Store


def shown(url: str) -> str:
    """A database URL as it may be printed: without its password."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def db_reason(error: BaseException) -> str:
    """The driver's own words for a database error, on one line."""
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        text = str(error.orig)
    elif isinstance(error, sa_exc.SQLAlchemyError) and error.args:
        text = str(error.args[0])  # without SQLAlchemy's "(Background on this error ...)"
    else:
        text = str(error)
    return one_line(text) or type(error).__name__


def _sqlite_hint(url: str) -> str:
    """Why a SQLite file cannot be opened, when its directory tells: missing or read-only."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        return ""
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return ""
    if path.startswith("file:"):
        return ""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f" (no directory {folder})"
    if os.path.isdir(path):
        return f" ({path} is a directory)"
    if not os.access(folder, os.W_OK):
        return f" (directory {folder} is not writable)"
    return ""


def open_store(url: str) -> Store:
    """The store at ``url``, opened and migrated; a database that cannot be opened (a bad
    URL, a SQLite file in a missing or read-only directory, a PostgreSQL server that does
    not answer, a schema that cannot be migrated) is a ``StoreError`` of one line."""
    try:
        return Store(url)
    except StoreError:
        raise
    except TagwireError as error:  # make_engine's ConfigError: an unsupported URL
        raise StoreError(f"cannot open the database {shown(url)}: {error}") from error
    except ValueError as error:  # make_url: a port that is not a number, say
        raise StoreError(f"cannot open the database {url}: not a valid URL ({error})") from error
    except sa_exc.SQLAlchemyError as error:
        reason = db_reason(error) + _sqlite_hint(url)
        raise StoreError(f"cannot open the database {shown(url)}: {reason}") from error
