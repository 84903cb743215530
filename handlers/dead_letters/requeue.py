"""The operator's requeue: poison (or archived) blobs back to ``deadletter`` for the reprocessor."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.dead_letters.blob_format import iso, meta, optional_int
from handlers.dead_letters.metadata import (
    NEXT_ATTEMPT_AT,
    OUTCOME,
    REASON,
    REPROCESS_ATTEMPTS,
    REQUEUE_COUNT,
    REQUEUED,
    REQUEUED_AT,
    REQUEUED_FROM,
    SKIPPED,
    reprocess_attempts,
    subscription_or_folder,
)
from handlers.ports import ClaimLostError, DeadLetterState, DeadLetterStore, Ports

log = logging.getLogger(__name__)


@dataclass
class RequeueReport:
    """What an operator's requeue did; ``as_json`` is the endpoint's answer."""

    source: DeadLetterState
    requeued_at: datetime
    items: list[dict[str, Any]] = field(default_factory=list)

    def _count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item["outcome"] == outcome)

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.source.value,
            "requeuedAt": iso(self.requeued_at),
            "counts": {
                "found": len(self.items),
                "requeued": self._count(REQUEUED),
                "skipped": self._count(SKIPPED),
            },
            "items": self.items,
        }


def requeue_dead_letters(
    store: DeadLetterStore,
    ports: Ports,
    *,
    source: DeadLetterState = DeadLetterState.POISON,
    subscription: str | None = None,
    name: str | None = None,
    limit: int = 100,
) -> RequeueReport:
    """Move poison (or archived) blobs back to ``deadletter`` for the reprocessor: one blob by
    ``name``, or up to ``limit`` under the ``subscription`` folder (both: that blob, if it is in
    that folder). The attempt count restarts at 0 and the back-off is cleared, so the next run
    replays it; ``requeuedAt``/``requeuedFrom``/``requeueCount`` and the last ``reason`` stay on
    the blob as its audit trail. For after the cause is fixed: a blob still poison goes back.
    """
    if source is DeadLetterState.PENDING:
        raise ValueError("requeue from the archive or from poison")
    now = ports.clock()
    report = RequeueReport(source=source, requeued_at=now)
    folder = f"{subscription.upper()}/" if subscription else ""
    if name is not None:
        # Listing by the exact name as prefix: the metadata comes with it, in one call.
        chosen = [
            letter
            for letter in store.letters(source, prefix=name)
            if letter.name == name and letter.name.upper().startswith(folder)
        ]
    else:
        chosen = store.letters(source, prefix=folder, limit=limit)
    for letter in chosen:
        item: dict[str, Any] = {
            "blob": letter.name,
            "subscription": subscription_or_folder(letter.name),
            "outcome": REQUEUED,
            "attempts": reprocess_attempts(letter.metadata),
            "reason": meta(letter.metadata, REASON) or "",
        }
        requeues = optional_int(meta(letter.metadata, REQUEUE_COUNT)) or 0
        try:
            moved = store.requeue(
                source,
                letter.name,
                {
                    REPROCESS_ATTEMPTS: "0",
                    NEXT_ATTEMPT_AT: "",
                    OUTCOME: REQUEUED,
                    REQUEUED_AT: iso(now),
                    REQUEUED_FROM: source.value,
                    REQUEUE_COUNT: str(requeues + 1),
                },
            )
        except ClaimLostError:
            item["outcome"], item["reason"] = SKIPPED, "a pending copy is being replayed now"
        else:
            if not moved:
                item["outcome"], item["reason"] = SKIPPED, "gone (requeued meanwhile?)"
        report.items.append(item)
    counts = report.as_json()["counts"]
    log.warning(
        "dead letters: requeued %d of %d blob(s) from %s (subscription %s, name %s)",
        counts["requeued"],
        counts["found"],
        source.value,
        subscription,
        name,
        extra={"deadLetterRequeue": counts},
    )
    return report
