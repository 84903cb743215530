"""Property-based fuzzing of openapi.yaml against the running stack: whatever schemathesis
generates, the API never answers 500 and its answers conform to the spec.

Driven by hypothesis directly (schemathesis' own pytest plugin does not support pytest 9 yet).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from devstack.stack import LocalStack

pytestmark = pytest.mark.e2e

# Business rules (dates, capacity, catalog) reject many schema-valid bodies with a 400 on purpose,
# so "schema-valid data must be accepted" is not checked; everything about the answers is.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(SPEC)


def _operations() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for result in SCHEMA.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # Err raises: the spec is broken
        found[operation.label] = operation
    return found


OPERATIONS = _operations()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_never_fails_and_matches_its_spec(label: str, stack: LocalStack) -> None:
    operation = OPERATIONS[label]
    headers = {"x-functions-key": stack.function_key or ""}

    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(base_url=f"{stack.host_url}/api", headers=headers, checks=CHECKS)

    check()
