from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devstack.eventgrid.config import REAL_RETRY_DELAYS_SECONDS
from devstack.eventgrid.retry import (
    JITTER,
    DeadLetterReason,
    EndpointType,
    Outcome,
    base_delay,
    is_retried,
    no_retry_reason,
    outcome_for_status,
    retry_delay,
)


def test_the_real_schedule_then_every_12_hours() -> None:
    waits = [base_delay(n, REAL_RETRY_DELAYS_SECONDS) for n in range(1, 13)]
    assert waits[:10] == [10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200]
    assert waits[10:] == [43200, 43200]


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        base_delay(0, [1.0])


@given(
    failed=st.integers(1, 40),
    schedule=st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=12),
    seed=st.integers(),
)
def test_randomization_stays_within_a_few_percent(
    failed: int, schedule: list[float], seed: int
) -> None:
    delay = retry_delay(failed, schedule, random.Random(seed))
    base = base_delay(failed, schedule)
    assert base * (1 - JITTER) - 1e-9 <= delay <= base * (1 + JITTER) + 1e-9
    assert JITTER <= 0.05


def test_delays_are_actually_randomized() -> None:
    rng = random.Random(1)
    assert len({retry_delay(1, [10.0], rng) for _ in range(20)}) > 1


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_client_errors_are_not_retried_for_a_webhook(status: int) -> None:
    assert not is_retried(status)
    assert not is_retried(status, EndpointType.WEB_HOOK)


@pytest.mark.parametrize("status", [400, 403, 413])
def test_client_errors_are_not_retried_for_an_azure_function(status: int) -> None:
    assert not is_retried(status, EndpointType.AZURE_FUNCTION)


def test_an_azure_function_destination_retries_a_401() -> None:
    # Microsoft Learn lists 401 for webhooks only; Azure resources retry it.
    assert is_retried(401, EndpointType.AZURE_FUNCTION)


@pytest.mark.parametrize("endpoint_type", list(EndpointType))
@pytest.mark.parametrize("status", [None, 404, 408, 429, 500, 502, 503])
def test_other_failures_are_retried(status: int | None, endpoint_type: EndpointType) -> None:
    assert is_retried(status, endpoint_type)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SUCCEEDED),
        (204, Outcome.SUCCEEDED),
        (205, Outcome.GENERIC_ERROR),
        (400, Outcome.BAD_REQUEST),
        (401, Outcome.UNAUTHORIZED),
        (403, Outcome.FORBIDDEN),
        (404, Outcome.NOT_FOUND),
        (413, Outcome.PAYLOAD_TOO_LARGE),
        (503, Outcome.BUSY),
        (500, Outcome.GENERIC_ERROR),
    ],
)
def test_outcomes(status: int, outcome: Outcome) -> None:
    assert outcome_for_status(status) is outcome


def test_no_retry_reasons() -> None:
    assert no_retry_reason(400) is DeadLetterReason.BAD_REQUEST
    assert no_retry_reason(400) == "UndeliverableDueToHttpBadRequest"
    assert no_retry_reason(413) is DeadLetterReason.CLIENT_ERROR
