"""What one reprocessing run found and did: per blob, in totals, and as the operator's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.dead_letters.blob_format import iso
from handlers.dead_letters.metadata import ARCHIVED, POISONED, RETRYING, SKIPPED


@dataclass
class BlobOutcome:
    """What one run did with one blob."""

    name: str
    subscription: str
    outcome: str  # archived | poisoned | retrying | skipped
    events: int = 0
    replayed: int = 0
    failed: int = 0
    poisoned: int = 0
    attempts: int = 0
    reason: str = ""
    # The events that can never succeed: index in the blob, id, type and error.
    poison_events: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "blob": self.name,
            "subscription": self.subscription,
            "outcome": self.outcome,
            "events": self.events,
            "replayed": self.replayed,
            "failed": self.failed,
            "poisoned": self.poisoned,
            "attempts": self.attempts,
            "reason": self.reason,
            "poisonEvents": self.poison_events,
        }


@dataclass
class ReprocessReport:
    """What one run found and did; ``as_json`` is the operator endpoint's answer."""

    trigger: str
    started_at: datetime
    blobs: list[BlobOutcome] = field(default_factory=list)
    blobs_found: int = 0

    def _count(self, outcome: str) -> int:
        return sum(1 for blob in self.blobs if blob.outcome == outcome)

    @property
    def blobs_archived(self) -> int:
        return self._count(ARCHIVED)

    @property
    def blobs_poisoned(self) -> int:
        return self._count(POISONED)

    @property
    def blobs_retrying(self) -> int:
        return self._count(RETRYING)

    @property
    def blobs_skipped(self) -> int:
        return self._count(SKIPPED)

    @property
    def events_found(self) -> int:
        return sum(blob.events for blob in self.blobs)

    @property
    def events_replayed(self) -> int:
        return sum(blob.replayed for blob in self.blobs)

    @property
    def events_failed(self) -> int:
        return sum(blob.failed for blob in self.blobs)

    @property
    def events_poisoned(self) -> int:
        return sum(blob.poisoned for blob in self.blobs)

    @property
    def events_archived(self) -> int:
        return sum(blob.events for blob in self.blobs if blob.outcome == ARCHIVED)

    def counts(self) -> dict[str, dict[str, int]]:
        """Blobs and events by outcome: the log summary, the metrics and the JSON's totals."""
        return {
            "blobs": {
                "found": self.blobs_found,
                "archived": self.blobs_archived,
                "poisoned": self.blobs_poisoned,
                "retrying": self.blobs_retrying,
                "skipped": self.blobs_skipped,
            },
            "events": {
                "found": self.events_found,
                "replayed": self.events_replayed,
                "archived": self.events_archived,
                "failed": self.events_failed,
                "poisoned": self.events_poisoned,
            },
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "startedAt": iso(self.started_at),
            **self.counts(),
            "items": [blob.as_json() for blob in self.blobs if blob.outcome != SKIPPED],
            "skipped": [
                {"blob": blob.name, "reason": blob.reason}
                for blob in self.blobs
                if blob.outcome == SKIPPED
            ],
        }
