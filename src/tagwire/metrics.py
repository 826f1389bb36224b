"""Prometheus metrics of one tagwire process (prometheus-client), served at /metrics.

The poller runs in the web process (``tagwire serve``), so one registry sees both the
ingest and the requests. Names follow Prometheus conventions: counters end in ``_total``,
durations are histograms in seconds.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

ARTICLES = Counter(
    "tagwire_articles_total",
    "Feed items processed, by outcome (new, duplicate, known, failed).",
    ["outcome"],
    registry=REGISTRY,
)
FEED_CHECKS = Counter(
    "tagwire_feed_checks_total",
    "Feed checks, by outcome (ok, not_modified, failed).",
    ["outcome"],
    registry=REGISTRY,
)
FETCH_ERRORS = Counter(
    "tagwire_fetch_errors_total",
    "Failed feed fetches, by reason (timeout, too_large, robots, http_status, ...).",
    ["reason"],
    registry=REGISTRY,
)
ANALYSIS_SECONDS = Histogram(
    "tagwire_analysis_seconds",
    "Fetching the page, extraction and NER of one item.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
STORE_SECONDS = Histogram(
    "tagwire_store_seconds",
    "Dedup, entities, story and the write of one article (one transaction).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "tagwire_analysis_queue_depth",
    "Items waiting for, or in, analysis.",
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "tagwire_http_request_seconds",
    "HTTP requests served, by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "tagwire_response_cache_total",
    "Cacheable GET requests by what the response cache did (hit, miss).",
    ["result"],
    registry=REGISTRY,
)
REQUESTS_SHED = Counter(
    "tagwire_http_requests_shed_total",
    "Requests answered 503 because TAGWIRE_MAX_IN_FLIGHT were in flight and no slot freed "
    "within TAGWIRE_QUEUE_WAIT.",
    registry=REGISTRY,
)
