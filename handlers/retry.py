"""Optimistic concurrency: reload and retry a unit of work a bounded number of times."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final, TypeVar

from domain.errors import ConcurrencyError

T = TypeVar("T")

MAX_ATTEMPTS: Final = 5

log = logging.getLogger(__name__)


def retry_on_conflict(action: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``action`` (which must load what it needs afresh each time) until it does not raise
    ConcurrencyError; after ``attempts`` tries the last ConcurrencyError propagates (a trigger
    then fails and Event Grid redelivers later; the HTTP edge answers 503 with Retry-After)."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    attempt = 1
    while True:
        try:
            return action()
        except ConcurrencyError as exc:
            if attempt >= attempts:
                raise
            log.info("concurrency conflict (attempt %d of %d): %s", attempt, attempts, exc)
            attempt += 1
