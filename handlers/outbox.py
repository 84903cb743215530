"""Publishing what commands committed: right after the commit, and again by the relay.

A reaction to an event needs no relay: it publishes after its commit and a failure fails the
delivery, so Event Grid's retry finishes the job (handlers/unit_of_work.py). An HTTP command has
no such retry behind it, so it writes a pending-publish intent before its commit
(``Outbox.intend``), publishes after it, and settles the intent once published. Whatever a crash
or a failed publish leaves behind, ``relay_outbox`` (a timer) finds in the pending index: it reads
only the intents, never the history, and drains as many as its time budget allows, oldest first.
Consumers deduplicate on the CloudEvent id, so publishing twice is harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Final

from handlers.ports import PendingPublish, Ports

log = logging.getLogger(__name__)

# The fast path normally settles an intent within milliseconds; the relay leaves younger ones
# alone so it does not publish what the fast path is publishing right now.
SETTLE_AFTER: Final = timedelta(seconds=5)
# An intent whose commit never happened (a lost race, a crash before the commit) is forgotten
# after this long: far beyond any invocation's lifetime, so its commit cannot still come.
ABANDON_AFTER: Final = timedelta(hours=1)
RELAY_BUDGET_SECONDS: Final = 20.0  # within the timer's shortest period (30 s locally)
RELAY_BATCH: Final = 100


def publish_command(
    intent: PendingPublish, cloudevents: Sequence[dict[str, Any]], ports: Ports
) -> None:
    """Publish a command's freshly committed events and settle its intent; on failure log and
    carry on: the command succeeded, and the relay will publish them."""
    try:
        if cloudevents:
            ports.publisher.publish(list(cloudevents))
        ports.outbox.settle(intent)
    except Exception:
        log.warning(
            "publishing %d event(s) of reservation %s failed; the outbox relay will publish them",
            len(cloudevents),
            intent.reservation_id,
            exc_info=True,
        )


def relay_outbox(
    ports: Ports,
    *,
    batch: int = RELAY_BATCH,
    budget_seconds: float = RELAY_BUDGET_SECONDS,
    settle_after: timedelta = SETTLE_AFTER,
    abandon_after: timedelta = ABANDON_AFTER,
    monotonic: Callable[[], float] = time.monotonic,
) -> int:
    """Publish the events of every pending intent whose commit exists, oldest first, in batches,
    until none is left or the time budget is spent; returns how many events it published.

    Errors propagate: the timer that runs the relay fails visibly and tries again next tick.
    """
    deadline = monotonic() + budget_seconds
    now = ports.clock()
    after = ""
    published = 0
    while monotonic() < deadline:
        intents = ports.outbox.pending(created_before=now - settle_after, after=after, limit=batch)
        if not intents:
            break
        ready: list[tuple[PendingPublish, list[dict[str, Any]]]] = []
        for intent in intents:
            after = intent.row_key
            events = ports.outbox.committed_events(intent)
            if events is not None:
                ready.append((intent, events))
            elif intent.created_at <= now - abandon_after:
                log.info("relay: no commit behind intent %s; forgetting it", intent.row_key)
                ports.outbox.settle(intent)
        if ready:
            ports.publisher.publish([event for _, events in ready for event in events])
            for intent, events in ready:
                ports.outbox.settle(intent)
                published += len(events)
    if published:
        log.info("relayed %d outbox event(s)", published)
    return published
