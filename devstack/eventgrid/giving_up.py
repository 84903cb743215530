"""Giving up on a delivery: dead-letter it into its subscription's container, or drop it.

A delivery is given up when its time to live runs out, its attempts run out, or the subscriber
answers with a status Event Grid does not retry. The dead-letter blob is written until it is
stored (an event is never lost silently), and only then is the delivery settled.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from azure.core.exceptions import ResourceExistsError

from devstack.eventgrid.deadletter import DeadLetterWriter, dead_letter_event
from devstack.eventgrid.delivery import Delivery, utcnow
from devstack.eventgrid.retry import DeadLetterReason, Outcome
from handlers.dead_letters.blob_format import dead_letter_blob, dead_letter_name

if TYPE_CHECKING:
    from devstack.eventgrid.dispatcher import SubscriptionDispatcher

log = logging.getLogger("devstack.eventgrid")

_DEAD_LETTER_RETRY_MAX_SECONDS: Final = 30.0


async def give_up(
    dispatcher: SubscriptionDispatcher, delivery: Delivery, reason: DeadLetterReason
) -> None:
    """Dead-letter ``delivery`` (drop it if its subscription has no ``deadLetter``), settle it."""
    sub, stats, engine = dispatcher.sub, dispatcher.stats, dispatcher.engine
    ids = ",".join(str(e.get("id")) for e in delivery.events)
    if sub.dead_letter is None:
        engine.settled(delivery)
        stats.dropped += delivery.size
        stats.pending -= delivery.size
        log.warning(
            "DROPPED (no deadLetter configured): subscription=%s event=%s reason=%s attempts=%d",
            sub.name,
            ids,
            reason,
            delivery.attempts,
        )
        return
    container = sub.dead_letter.container
    events = [
        dead_letter_event(
            event,
            dispatcher.schema,
            reason=reason,
            attempts=delivery.attempts,
            outcome=delivery.last_outcome or Outcome.GENERIC_ERROR,
            status=delivery.last_status,
            publish_time=delivery.publish_time,
            last_attempt_time=delivery.last_attempt_time,
        )
        for event in delivery.events
    ]
    name = dead_letter_name(sub.name, utcnow())
    await engine.write_dead_letter(container, name, dead_letter_blob(events))
    # Only now: a crash before this line writes the blob again on the next start.
    engine.settled(delivery)
    stats.dead_lettered += delivery.size
    stats.pending -= delivery.size
    log.warning(
        "DEAD-LETTERED: subscription=%s event=%s reason=%s attempts=%d blob=%s/%s",
        sub.name,
        ids,
        reason,
        delivery.attempts,
        container,
        name,
    )


async def write_until_stored(
    writer: DeadLetterWriter, container: str, name: str, body: bytes
) -> None:
    """Write a dead-letter blob, retrying until it is stored (never lose an event silently)."""
    delay = 0.5
    while True:
        try:
            await asyncio.to_thread(writer.write, container, name, body)
            return
        except ResourceExistsError:
            return  # an earlier try stored it but its answer was lost
        except Exception as exc:
            log.error(
                "dead-letter write to %s/%s failed (%s: %s); retrying in %.1fs "
                "(does the container exist?)",
                container,
                name,
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "",
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, _DEAD_LETTER_RETRY_MAX_SECONDS)
