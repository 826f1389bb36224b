"""Every setting, declared once: name, type, default, help.

Read from ``TAGWIRE_*`` environment variables, else from the optional TOML config file named
by ``TAGWIRE_CONFIG`` (keys are the setting names in lower case without the prefix, e.g.
``host_delay = 0.5``), else the default. ``tagwire config`` prints the effective values.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagwire.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Setting:
    name: str  # environment variable
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def key(self) -> str:
        return self.name.removeprefix("TAGWIRE_").lower()


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _bool(value: str) -> bool:
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TAGWIRE_DATABASE_URL",
        "sqlite:///tagwire.db",
        "Database URL: sqlite:///path or postgresql://user@host/db (psycopg 3).",
    ),
    Setting(
        "TAGWIRE_ALLOWED_HOSTS",
        (),
        "Comma-separated host names, addresses or CIDR ranges that may be fetched although "
        "they are not public (everything not globally routable is refused otherwise).",
        _csv,
    ),
    Setting("TAGWIRE_HOST_DELAY", 1.0, "Seconds between two requests to one host.", float),
    Setting("TAGWIRE_HOST_CONCURRENCY", 2, "Requests at once to one host.", int),
    Setting("TAGWIRE_CONCURRENCY", 16, "Requests at once over all hosts.", int),
    Setting(
        "TAGWIRE_ADMIN_TOKEN",
        None,
        "Bearer token required by every write in the API; writes are disabled without it.",
    ),
    Setting(
        "TAGWIRE_CONTACT_URL",
        "https://github.com/tagwire/tagwire",
        "Contact URL put in the User-Agent so publishers can reach the operator.",
    ),
    Setting(
        "TAGWIRE_BROKER_URL",
        None,
        "Celery broker URL for `tagwire worker` (default: TAGWIRE_REDIS_URL; amqp://... works).",
    ),
    Setting(
        "TAGWIRE_REDIS_URL",
        None,
        "Redis URL: per-host politeness shared by every process, the scheduler's lock, "
        "live-update fan-out between web processes, and the default Celery broker.",
    ),
    Setting(
        "TAGWIRE_REDIS_PREFIX",
        "tagwire:",
        "Prefix of every Redis key and channel tagwire uses (the broker's too), so that "
        "installations can share one Redis.",
    ),
    Setting(
        "TAGWIRE_VISIBILITY_TIMEOUT",
        3600.0,
        "Seconds after which a task taken by a worker that died is handed to another (Redis "
        "broker); keep it longer than the longest task.",
        float,
    ),
    Setting("TAGWIRE_TIMEOUT", 20.0, "Seconds allowed for one whole HTTP request.", float),
    Setting("TAGWIRE_CONNECT_TIMEOUT", 10.0, "Seconds allowed to connect to a server.", float),
    Setting(
        "TAGWIRE_MAX_BYTES",
        10_000_000,
        "Largest response body read, in bytes (after decompression).",
        int,
    ),
    Setting("TAGWIRE_MAX_REDIRECTS", 5, "Redirects followed for one request.", int),
    Setting(
        "TAGWIRE_ROBOTS",
        True,
        "Obey each site's robots.txt (read once a day per site); false only for your own sites.",
        _bool,
    ),
    Setting(
        "TAGWIRE_PAUSE_AFTER_DAYS",
        7.0,
        "A source whose feeds fail this many days in a row is paused until resumed (0: never).",
        float,
    ),
    Setting(
        "TAGWIRE_POLL_INTERVAL",
        900.0,
        "Seconds between two checks of a feed at first; then each feed's interval follows how "
        "often it publishes, between 5 minutes and a day.",
        float,
    ),
    Setting("TAGWIRE_WORKERS", 0, "Processes for extraction and NER (0: one per core).", int),
    Setting("TAGWIRE_MAX_ITEMS_PER_FEED", 200, "Newest items read from one feed per pass.", int),
    Setting(
        "TAGWIRE_STORY_WINDOW_HOURS",
        72.0,
        "Hours during which a story can still take new articles.",
        float,
    ),
    Setting(
        "TAGWIRE_DEDUP_WINDOW_DAYS",
        30.0,
        "Days back (and forward) in which near-duplicates are searched.",
        float,
    ),
    Setting("TAGWIRE_NER", True, "Run named-entity recognition (false: no tags).", _bool),
    Setting(
        "TAGWIRE_CORS_ORIGINS",
        (),
        "Comma-separated origins allowed to read the API from a browser (CORS); none by default.",
        _csv,
    ),
    Setting(
        "TAGWIRE_LOCALE",
        "en",
        "Locale of the pages (words, dates, numbers) when the browser's Accept-Language names "
        "none of the interface's languages (English, French, German, Spanish: en_GB, fr, "
        "de_CH...); a locale of another language means English.",
    ),
    Setting(
        "TAGWIRE_TAG_AUTHORITY",
        "",
        "The host name (or e-mail address) in the Atom ids of articles, RFC 4151 tag: URIs "
        "such as tag:news.example.org,2026-11-20:article:12: a name this instance is known by "
        "for good. Default: the host name each request names.",
    ),
    Setting(
        "TAGWIRE_CACHE_SECONDS",
        30.0,
        "Longest time a web process keeps a page or API answer (new articles replace them at "
        "once); 0 turns the response cache off.",
        float,
    ),
    Setting(
        "TAGWIRE_MAX_IN_FLIGHT",
        2,
        "Requests a web process computes at once (answers from the response cache, /healthz "
        "and /metrics aside); past it a request waits up to TAGWIRE_QUEUE_WAIT for a slot, "
        "then is answered 503 with Retry-After. 0: no limit.",
        int,
    ),
    Setting(
        "TAGWIRE_QUEUE_WAIT",
        0.02,
        "Longest time in seconds a request waits, first come first served, for one of the "
        "TAGWIRE_MAX_IN_FLIGHT slots before it is answered 503 with Retry-After; 0: at once.",
        float,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    values: Mapping[str, Any] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)  # name -> env | file | default

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def database_url(self) -> str:
        return str(self.values["TAGWIRE_DATABASE_URL"])

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        return tuple(self.values["TAGWIRE_ALLOWED_HOSTS"])

    @property
    def host_delay(self) -> float:
        return float(self.values["TAGWIRE_HOST_DELAY"])

    @property
    def host_concurrency(self) -> int:
        return max(1, int(self.values["TAGWIRE_HOST_CONCURRENCY"]))

    def replace(self, **changes: Any) -> Config:
        values = dict(self.values)
        origins = dict(self.origins)
        for key, value in changes.items():
            name = "TAGWIRE_" + key.upper()
            if name not in _BY_NAME:
                raise ConfigError(f"unknown setting {name}")
            values[name] = value
            origins[name] = "argument"
        return Config(values, origins)


def load(environ: Mapping[str, str] | None = None) -> Config:
    """The effective settings: environment, then ``TAGWIRE_CONFIG`` file, then defaults."""
    env = os.environ if environ is None else environ
    file_values: dict[str, Any] = {}
    path = env.get("TAGWIRE_CONFIG")
    if path:
        try:
            file_values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        unknown = set(file_values) - {s.key for s in SETTINGS}
        if unknown:
            raise ConfigError(f"{path}: unknown settings {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for setting in SETTINGS:
        if setting.name in env:
            raw: Any = env[setting.name]
            origins[setting.name] = "env"
        elif setting.key in file_values:
            raw = file_values[setting.key]
            origins[setting.name] = "file"
        else:
            values[setting.name] = setting.default
            origins[setting.name] = "default"
            continue
        values[setting.name] = _coerce(setting, raw)
    return Config(values, origins)


def _coerce(setting: Setting, raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.name}: {exc}") from exc
    if isinstance(raw, list) and setting.parse is _csv:
        return tuple(str(v) for v in raw)
    return raw
