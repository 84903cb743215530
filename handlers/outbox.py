"""Publishing what the aggregates recorded: right after the save, and again by the relay.

Each context's events are written to its outbox in the same atomic write as its state, so the
state change is committed whether or not the publish that follows succeeds. ``publish_recorded``
is the fast path; ``relay_outbox`` (a timer) publishes whatever a crash or a failed publish left
behind. Consumers deduplicate on the CloudEvent id, so publishing twice is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from handlers.ports import OutboxEntry, Ports

log = logging.getLogger(__name__)


def publish_recorded(entries: Sequence[OutboxEntry], ports: Ports) -> None:
    """Publish freshly saved events and mark them; on failure log and carry on (the relay will)."""
    if not entries:
        return
    try:
        ports.publisher.publish([entry.cloudevent for entry in entries])
        ports.outbox.mark_published(entries)
    except Exception:
        log.warning(
            "publishing %d event(s) failed; the outbox relay will publish them",
            len(entries),
            exc_info=True,
        )


def relay_outbox(ports: Ports, *, limit: int = 100) -> int:
    """Publish up to ``limit`` unpublished events, oldest first, and mark them; returns how many.

    Errors propagate: the timer that runs the relay fails visibly and tries again next tick.
    """
    entries = ports.outbox.unpublished(limit)
    if not entries:
        return 0
    ports.publisher.publish([entry.cloudevent for entry in entries])
    ports.outbox.mark_published(entries)
    log.info("relayed %d outbox event(s)", len(entries))
    return len(entries)
