"""robots.txt: read once per site and kept for a day (RFC 9309, parsed by protego).

What a site's robots.txt answer means (RFC 9309 section 2.3.1):
- 2xx: its rules apply to every URL of that site (scheme, host and port);
- 4xx (none there): everything may be fetched;
- 5xx: the site is "unreachable" and nothing is fetched from it until the next try (an
  hour later), so a struggling site is not loaded further;
- no answer at all (no connection, a timeout): the fetch fails with that error.
Redirects are followed up to five times. A Crawl-delay slows tagwire down for that host (up
to MAX_CRAWL_DELAY); the Sitemap lines lead to news sitemaps for sites without feeds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from tagwire.errors import HTTPStatusError

TTL = 86_400.0  # a day, as RFC 9309 suggests
UNREACHABLE_TTL = 3_600.0
MAX_CRAWL_DELAY = 60.0
MAX_BYTES = 500_000  # RFC 9309: crawlers must read at least 500 KiB; more is ignored
AGENT = "tagwire"

# Fetches one URL for the cache: returns (status, body) and raises FetchError when there is
# no usable answer. Redirects are the fetcher's business.
RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True)
class Rules:
    """What one site allows."""

    parser: Protego | None = None  # None: no rules, everything allowed
    unreachable: str | None = None  # why robots.txt could not be read
    sitemaps: tuple[str, ...] = field(default_factory=tuple)

    def allows(self, url: str) -> bool:
        if self.unreachable is not None:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, AGENT))

    def crawl_delay(self) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(AGENT)
        return min(MAX_CRAWL_DELAY, float(delay)) if delay else 0.0


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class RobotsCache:
    """Rules per site, shared by every pass of one process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._rules: dict[str, tuple[float, Rules]] = {}
        self._clock = clock

    async def rules(self, url: str, fetch: RobotsFetch) -> Rules:
        site = origin(url)
        cached = self._rules.get(site)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        rules = await self._read(site, fetch)
        ttl = UNREACHABLE_TTL if rules.unreachable else TTL
        self._rules[site] = (self._clock() + ttl, rules)
        return rules

    async def _read(self, site: str, fetch: RobotsFetch) -> Rules:
        try:
            status, body = await fetch(f"{site}/robots.txt")
        except HTTPStatusError as exc:
            status, body = exc.status, b""
        # Any other FetchError (no connection, a refused address, a timeout) propagates: the
        # site cannot be fetched at all, and that error says why better than "robots.txt".
        if 400 <= status < 500:
            return Rules()
        if status >= 500:
            return Rules(unreachable=f"its robots.txt answered HTTP {status}")
        text = body[:MAX_BYTES].decode("utf-8", errors="replace")
        parser = Protego.parse(text)
        return Rules(parser=parser, sitemaps=tuple(parser.sitemaps))
