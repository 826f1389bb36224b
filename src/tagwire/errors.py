"""One exception tree for tagwire, and the reasons an item can be dropped or a fetch fail.

::

    TagwireError
     ├── ConfigError (ValueError)           a setting or a sources file is wrong
     │    └── SourcesFileError              with the file's path
     ├── FetchError (OSError)               with the url and a Reason
     │    ├── BlockedAddressError           the url resolves to a refused address
     │    ├── TooLargeError                 the body passed the size cap
     │    ├── RobotsDisallowed              the site's robots.txt says no (or is unreachable)
     │    └── HTTPStatusError               the server answered 4xx/5xx (with Retry-After)
     ├── FeedError (ValueError)             with the feed url: not a feed we can read
     ├── ItemError (ValueError)             one feed item cannot be read (its feed can)
     ├── ExtractError (ValueError)          with the page url: no text found
     ├── ModelError (RuntimeError)          the NER model is missing
     ├── StoreError (RuntimeError)          the database refused
     │    └── NotFound (LookupError)        no such tag / article / story
     └── BadRequest (ValueError)            a caller's parameter is wrong (limit, cursor)

Every error carries the subject it concerns (``url``, ``path``) so that a log line or a
source's stored ``last_error`` says what failed and why in words a user understands.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a fetch failed; stored on the feed so the user sees it."""

    BLOCKED_ADDRESS = "blocked_address"
    BAD_SCHEME = "bad_scheme"
    DNS = "dns"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    HTTP_STATUS = "http_status"
    PROTOCOL = "protocol"
    NOT_A_FEED = "not_a_feed"
    ROBOTS = "robots"


class ItemReason(StrEnum):
    """Why one feed item was not stored; its feed's other items are."""

    BAD_LINK = "bad_link"  # no link, or one that is not a URL (``http://[::1/a``)
    NOT_HTTP = "not_http"  # javascript:, data:, file: links are never stored
    BAD_FIELD = "bad_field"  # a field of the wrong type (JSON Feed ``"authors": 5``)
    INTERNAL = "internal"  # a bug met while processing the item (may pass on a retry)


class Outcome(StrEnum):
    """What became of one feed item."""

    NEW = "new"
    DUPLICATE = "duplicate"  # folded under an existing article
    KNOWN = "known"  # the same URL was ingested before
    QUEUED = "queued"  # handed to a worker as a task (scale-out)
    FAILED = "failed"


class TagwireError(Exception):
    """Base of every error tagwire raises on purpose."""


class ConfigError(TagwireError, ValueError):
    pass


class SourcesFileError(ConfigError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class FetchError(TagwireError, OSError):
    def __init__(self, url: str, reason: Reason, message: str) -> None:
        super().__init__(f"{message} ({url})")
        self.url = url
        self.reason = reason
        self.message = message


class BlockedAddressError(FetchError):
    def __init__(self, url: str, message: str) -> None:
        super().__init__(url, Reason.BLOCKED_ADDRESS, message)


class TooLargeError(FetchError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, Reason.TOO_LARGE, f"response larger than {limit} bytes")


class RobotsDisallowed(FetchError):
    def __init__(self, url: str, message: str) -> None:
        super().__init__(url, Reason.ROBOTS, message)


_STATUS_WORDS = {
    401: "login required",
    403: "access refused",
    404: "not found",
    410: "gone for good",
    429: "too many requests: the server asks us to slow down",
    500: "server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int, retry_after: float | None = None) -> None:
        words = _STATUS_WORDS.get(status)
        message = f"server answered HTTP {status}" + (f" ({words})" if words else "")
        if retry_after is not None:
            message += f"; it asks to retry after {retry_after:.0f} s"
        super().__init__(url, Reason.HTTP_STATUS, message)
        self.status = status
        self.retry_after = retry_after  # seconds, from the server's Retry-After


class FeedError(TagwireError, ValueError):
    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{message} ({url})")
        self.url = url
        self.message = message


class ItemError(TagwireError, ValueError):
    """One item of a feed cannot be read; the feed's other items are."""

    def __init__(self, reason: ItemReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ExtractError(TagwireError, ValueError):
    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{message} ({url})")
        self.url = url


class ModelError(TagwireError, RuntimeError):
    pass


class StoreError(TagwireError, RuntimeError):
    pass


class NotFound(StoreError, LookupError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"no {what} {key!r}")
        self.what = what
        self.key = key


class BadRequest(TagwireError, ValueError):
    """A caller's parameter is wrong (an API 400)."""
