"""Schemathesis over the served OpenAPI description: every GET operation of the API (event
streams aside: they never end; tests/test_live.py covers them), called with examples that
Schemathesis generates from the description, positive (valid by the description) and
negative (invalid), a bounded number per operation and mode, derandomized (the same
examples on every run). Each answer must be no server error, one of the statuses the
operation documents, of the documented media type and schema (the error shape included),
and a rejection (4xx) for the negative examples.

Schemathesis's pytest integration (``schema.parametrize()``) is not used: its lazy loader
(``schemathesis.pytest.from_fixture``) fails on pytest 9 (``Function._nodeid``), and the eager
one would build a store at import; its Hypothesis strategies (``APIOperation.as_strategy``)
are the same generation."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tagwire import config
from tagwire.web.app import create_app
from test_http import _store

EXAMPLES = 50  # per operation and mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _run(operation: Any, mode: GenerationMode, calls: list[int]) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def each(case: Any) -> None:
        response = case.call_and_validate(checks=CHECKS)
        calls.append(response.status_code)

    each()


def test_every_get_operation_answers_as_documented(tmp_path: Path) -> None:
    store = _store(str(tmp_path / "s.db"))
    # Writes need a token; without one in the request, /api/v1/webhooks answers its 401.
    app = create_app(store, settings=config.load({"TAGWIRE_ADMIN_TOKEN": "t0ken"}))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.include(method="GET").exclude(path_regex=r"/live$").get_all_operations():
        assert isinstance(result, Ok), result  # the description itself is valid OpenAPI
        operations.append(result.ok())
    assert len(operations) == 18, [op.label for op in operations]
    started = time.perf_counter()
    calls: list[int] = []
    failures: list[str] = []
    unsatisfiable: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run: Callable[[Any, GenerationMode, list[int]], None] = _run
            try:
                run(operation, mode, calls)
            except Unsatisfiable:
                # Nothing to negate: no parameter but a path string (any string is valid).
                assert mode is GenerationMode.NEGATIVE, operation.label
                unsatisfiable.append(operation.label)
            except (Exception, BaseExceptionGroup) as exc:  # every failure, not the first
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    seconds = time.perf_counter() - started
    print(f"schemathesis: {len(calls)} calls, {len(operations)} operations, {seconds:.1f} s")
    assert not failures, "\n\n".join(failures)
    assert {200, 400, 404} <= set(calls)
    assert len(unsatisfiable) <= 5, unsatisfiable
    store.close()
