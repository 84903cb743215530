"""One delivery (an event, or a batch) to one subscription, its attempt results and the
per-subscription counters the emulator reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.eventgrid.journal import JournaledDelivery
from devstack.eventgrid.retry import Outcome, is_success


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SubscriptionStats:
    matched: int = 0
    delivered: int = 0
    retried: int = 0
    dead_lettered: int = 0
    dropped: int = 0
    pending: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "matched": self.matched,
            "delivered": self.delivered,
            "retried": self.retried,
            "deadLettered": self.dead_lettered,
            "dropped": self.dropped,
            "pending": self.pending,
        }


@dataclass
class Delivery:
    """One unit of delivery to one subscription: an event, or a batch of events."""

    events: list[dict[str, Any]]
    publish_time: datetime  # wall clock: the time to live counts from it, across restarts
    due: float  # wall clock (epoch seconds) of the next attempt
    attempts: int = 0
    last_status: int | None = None
    last_outcome: Outcome | None = None
    last_attempt_time: datetime | None = None
    copy: int = field(default=0)
    journal_id: int | None = None

    @property
    def size(self) -> int:
        return len(self.events)

    def age_seconds(self) -> float:
        return (utcnow() - self.publish_time).total_seconds()

    @classmethod
    def from_journal(cls, row: JournaledDelivery) -> Delivery:
        try:
            outcome = Outcome(row.last_outcome) if row.last_outcome else None
        except ValueError:
            outcome = Outcome.GENERIC_ERROR
        return cls(
            events=row.events,
            publish_time=row.publish_time,
            due=row.due,
            attempts=row.attempts,
            last_status=row.last_status,
            last_outcome=outcome,
            last_attempt_time=row.last_attempt_time,
            copy=row.copy,
            journal_id=row.id,
        )


@dataclass(frozen=True)
class AttemptResult:
    status: int | None
    outcome: Outcome
    detail: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and is_success(self.status)
