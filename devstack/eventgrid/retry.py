"""Delivery outcomes and the retry schedule (pure functions, unit-tested without I/O).

After a failed attempt Event Grid either retries on its schedule (10 s, 30 s, 1 min, ... then
every 12 h, with a little randomization), or, for errors retrying cannot fix, stops at once and
dead-letters (or drops) the event. Which errors those are depends on the subscription's endpoint
type (Microsoft Learn, "Event Grid message delivery and retry"): 400, 401, 403 and 413 for a
``WebHook``; 400, 403 and 413 for an Azure resource such as an ``AzureFunction`` destination,
which therefore retries a 401. Delivery also stops when
``maxDeliveryAttempts`` is reached or, at the next scheduled attempt, when the event's time to
live has run out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from enum import StrEnum
from typing import Final

# Relative randomization added to each retry delay (Azure: "small randomization").
JITTER: Final = 0.03


class EndpointType(StrEnum):
    """A subscription's ``destination.endpointType`` (the ones the emulator delivers to)."""

    WEB_HOOK = "WebHook"
    AZURE_FUNCTION = "AzureFunction"


NOT_RETRIED: Final[dict[EndpointType, frozenset[int]]] = {
    EndpointType.WEB_HOOK: frozenset({400, 401, 403, 413}),
    EndpointType.AZURE_FUNCTION: frozenset({400, 403, 413}),
}


class Outcome(StrEnum):
    """``lastDeliveryOutcome`` values."""

    SUCCEEDED = "Succeeded"
    BAD_REQUEST = "BadRequest"
    UNAUTHORIZED = "Unauthorized"
    FORBIDDEN = "Forbidden"
    NOT_FOUND = "NotFound"
    TIMED_OUT = "TimedOut"
    PAYLOAD_TOO_LARGE = "PayloadTooLarge"
    BUSY = "Busy"
    GENERIC_ERROR = "GenericError"


class DeadLetterReason(StrEnum):
    MAX_DELIVERY_ATTEMPTS_EXCEEDED = "MaxDeliveryAttemptsExceeded"  # documented
    TIME_TO_LIVE_EXCEEDED = "TimeToLiveExceeded"  # emulator's name; Azure's is undocumented
    BAD_REQUEST = "UndeliverableDueToHttpBadRequest"  # seen from Azure on a 400
    CLIENT_ERROR = "UndeliverableDueToClientError"  # emulator's name for 401/403/413


_OUTCOMES: Final[dict[int, Outcome]] = {
    400: Outcome.BAD_REQUEST,
    401: Outcome.UNAUTHORIZED,
    403: Outcome.FORBIDDEN,
    404: Outcome.NOT_FOUND,
    408: Outcome.TIMED_OUT,
    413: Outcome.PAYLOAD_TOO_LARGE,
    429: Outcome.BUSY,
    503: Outcome.BUSY,
    504: Outcome.TIMED_OUT,
}


def is_success(status: int) -> bool:
    return 200 <= status <= 204


def outcome_for_status(status: int) -> Outcome:
    if is_success(status):
        return Outcome.SUCCEEDED
    return _OUTCOMES.get(status, Outcome.GENERIC_ERROR)


def is_retried(status: int | None, endpoint_type: EndpointType = EndpointType.WEB_HOOK) -> bool:
    """Whether a failed attempt (HTTP status, or None for no response) may be retried."""
    return status not in NOT_RETRIED[endpoint_type]


def no_retry_reason(status: int) -> DeadLetterReason:
    return DeadLetterReason.BAD_REQUEST if status == 400 else DeadLetterReason.CLIENT_ERROR


def base_delay(failed_attempts: int, schedule: Sequence[float]) -> float:
    """The configured wait after the n-th failed attempt (n >= 1); the last value repeats."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts starts at 1")
    return float(schedule[min(failed_attempts, len(schedule)) - 1])


def retry_delay(
    failed_attempts: int, schedule: Sequence[float], rng: random.Random | None = None
) -> float:
    """The wait before the next attempt: the scheduled delay within +-JITTER of it."""
    delay = base_delay(failed_attempts, schedule)
    factor = 1.0 + (rng or random).uniform(-JITTER, JITTER)
    return max(0.0, delay * factor)
