"""One subscription's deliveries: which events it gets, its handshake, attempts and retries.

Every delivery is its own asyncio task; the subscription caps its in-flight HTTP requests at
``MAX_IN_FLIGHT_PER_SUBSCRIPTION`` so a slow subscriber only slows itself. Until the validation
handshake succeeds its deliveries wait (queued, never dropped).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import httpx

from devstack.eventgrid.config import InputSchema, SubscriptionConfig
from devstack.eventgrid.delivery import AttemptResult, Delivery, SubscriptionStats, utcnow
from devstack.eventgrid.filters import event_type_of, matches
from devstack.eventgrid.giving_up import give_up
from devstack.eventgrid.handshake import handshake
from devstack.eventgrid.retry import (
    DeadLetterReason,
    Outcome,
    is_retried,
    no_retry_reason,
    outcome_for_status,
    retry_delay,
)

if TYPE_CHECKING:
    from devstack.eventgrid.engine import DeliveryEngine

log = logging.getLogger("devstack.eventgrid")

MAX_IN_FLIGHT_PER_SUBSCRIPTION: Final = 16
_VALIDATION_RETRY_MAX_SECONDS: Final = 2.0
_VALIDATION_LOG_EVERY_SECONDS: Final = 30.0


class SubscriptionDispatcher:
    """Delivers one subscription's events."""

    def __init__(self, engine: DeliveryEngine, sub: SubscriptionConfig) -> None:
        self.engine = engine
        self.sub = sub
        self.name_header = sub.name.upper()
        self.stats = SubscriptionStats()
        self.validated = asyncio.Event()
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT_PER_SUBSCRIPTION)

    @property
    def schema(self) -> InputSchema:
        return self.engine.config.topic.input_schema

    # -- intake ---------------------------------------------------------------------------------

    def plan(
        self, events: list[dict[str, Any]], publish_time: datetime
    ) -> tuple[int, list[Delivery]]:
        """The matched event count and the deliveries (copies included) for one publish."""
        selected = [e for e in events if matches(self.sub.filter, e, self.schema)]
        if not selected:
            return 0, []
        engine = self.engine
        low, high = engine.config.multiplier_range
        published = publish_time.timestamp()
        size = self.sub.max_events_per_batch
        deliveries: list[Delivery] = []
        # The copy count is drawn per delivery unit: per event, or per batch when batching.
        for start in range(0, len(selected), size):
            batch = selected[start : start + size]
            copies = low if low == high else engine.rng.randint(low, high)
            for copy in range(copies):
                due = published + engine.initial_delay()
                deliveries.append(Delivery(batch, publish_time, due, copy=copy))
        return len(selected), deliveries

    def accept(self, matched: int, deliveries: list[Delivery]) -> None:
        """Start delivering what ``plan`` made (and the journal, if any, stored)."""
        self.stats.matched += matched
        for delivery in deliveries:
            self.resume(delivery)

    def resume(self, delivery: Delivery) -> None:
        self.stats.pending += delivery.size
        self.engine.spawn(self._run(delivery))

    # -- validation handshake ------------------------------------------------------------------

    async def validate_forever(self) -> None:
        """Run the handshake until the subscriber echoes the code; retried while it is down."""
        delay = 0.25
        last_reason = ""
        last_logged = -_VALIDATION_LOG_EVERY_SECONDS
        loop = asyncio.get_running_loop()
        while True:
            reason = await handshake(
                self.engine.client, self.sub, self.engine.config.topic.topic_id
            )
            if not reason:
                self.validated.set()
                log.info("subscription %s validated (%s)", self.sub.name, self.sub.endpoint)
                return
            if reason != last_reason or loop.time() - last_logged >= _VALIDATION_LOG_EVERY_SECONDS:
                log.warning(
                    "subscription %s NOT validated yet: %s; retrying, its events stay queued "
                    "(%d pending)",
                    self.sub.name,
                    reason,
                    self.stats.pending,
                )
                last_reason, last_logged = reason, loop.time()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _VALIDATION_RETRY_MAX_SECONDS)

    # -- delivery --------------------------------------------------------------------------------

    async def _run(self, delivery: Delivery) -> None:
        retry_policy = self.sub.retry_policy
        await self.validated.wait()
        while True:
            wait = delivery.due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if delivery.age_seconds() >= retry_policy.ttl_seconds:
                await give_up(self, delivery, DeadLetterReason.TIME_TO_LIVE_EXCEEDED)
                return
            async with self._in_flight:
                result = await self._attempt(delivery)
            delivery.attempts += 1
            delivery.last_status = result.status
            delivery.last_outcome = result.outcome
            if result.succeeded:
                self.engine.settled(delivery)
                self.stats.delivered += delivery.size
                self.stats.pending -= delivery.size
                self._log(logging.INFO, delivery, result, "delivered")
                return
            if not is_retried(result.status, self.sub.endpoint_type):
                assert result.status is not None
                self._log(logging.WARNING, delivery, result, "failed, not retried")
                await give_up(self, delivery, no_retry_reason(result.status))
                return
            if delivery.attempts >= retry_policy.max_delivery_attempts:
                self._log(logging.WARNING, delivery, result, "failed, no attempts left")
                await give_up(self, delivery, DeadLetterReason.MAX_DELIVERY_ATTEMPTS_EXCEEDED)
                return
            delay = retry_delay(
                delivery.attempts, self.engine.config.retry_delays_seconds, self.engine.rng
            )
            delivery.due = time.time() + delay
            self.engine.record_attempt(delivery)
            self.stats.retried += delivery.size
            self._log(logging.WARNING, delivery, result, f"failed, retry in {delay:.2f}s")

    async def _attempt(self, delivery: Delivery) -> AttemptResult:
        batched = self.sub.max_events_per_batch > 1
        payload: Any
        if self.schema is InputSchema.EVENT_GRID:
            payload, content_type = delivery.events, "application/json"
            data_version = str(delivery.events[0].get("dataVersion") or "")
        elif batched:
            payload, content_type = delivery.events, "application/cloudevents-batch+json"
            data_version = ""
        else:
            payload, content_type = delivery.events[0], "application/cloudevents+json"
            data_version = ""
        headers = {
            "content-type": f"{content_type}; charset=utf-8",
            "aeg-event-type": "Notification",
            "aeg-subscription-name": self.name_header,
            "aeg-delivery-count": str(delivery.attempts),
            "aeg-data-version": data_version,
            "aeg-metadata-version": "1",
        }
        delivery.last_attempt_time = utcnow()
        try:
            response = await self.engine.client.post(
                self.sub.endpoint, content=json.dumps(payload).encode(), headers=headers
            )
        except httpx.TimeoutException:
            timeout = self.engine.config.delivery_timeout_seconds
            return AttemptResult(None, Outcome.TIMED_OUT, f"no response within {timeout:g}s")
        except httpx.HTTPError as exc:
            return AttemptResult(None, Outcome.GENERIC_ERROR, f"{type(exc).__name__}: {exc}")
        return AttemptResult(response.status_code, outcome_for_status(response.status_code))

    def _log(self, level: int, delivery: Delivery, result: AttemptResult, verdict: str) -> None:
        log.log(
            level,
            "delivery %s: subscription=%s event=%s type=%s attempt=%d status=%s outcome=%s%s",
            verdict,
            self.sub.name,
            ",".join(str(e.get("id")) for e in delivery.events),
            ",".join(sorted({event_type_of(e, self.schema) for e in delivery.events})),
            delivery.attempts,
            result.status if result.status is not None else "-",
            result.outcome,
            f" ({result.detail})" if result.detail else "",
        )
