"""The delivery machinery: validation handshakes, push delivery, retries, dead-lettering.

Every delivery (one event, or a batch when ``maxEventsPerBatch`` > 1) is its own asyncio task, so
deliveries are concurrent across subscriptions and events; each subscription caps its in-flight
HTTP requests at ``MAX_IN_FLIGHT_PER_SUBSCRIPTION`` so a slow subscriber only slows itself.
Until a subscription's validation handshake succeeds its events wait (queued, never dropped) and
the handshake is retried in the background.

With a ``journal`` configured, every accepted delivery is stored before the publish is answered,
its attempts and next due time are recorded after each failure, and it is removed once settled;
``start()`` resumes whatever a previous run (or crash) left behind. Times that must survive a
restart (publish time, next due time) are wall-clock times.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import sqlite3
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from azure.core.exceptions import ResourceExistsError

from devstack.eventgrid.config import EmulatorConfig, InputSchema, SubscriptionConfig
from devstack.eventgrid.deadletter import DeadLetterWriter, dead_letter_event
from devstack.eventgrid.filters import event_type_of, matches
from devstack.eventgrid.journal import Journal, JournaledDelivery, NewDelivery
from devstack.eventgrid.retry import (
    DeadLetterReason,
    Outcome,
    is_retried,
    is_success,
    no_retry_reason,
    outcome_for_status,
    retry_delay,
)
from handlers.dead_letters.blob_format import dead_letter_blob, dead_letter_name, iso

log = logging.getLogger("devstack.eventgrid")

MAX_IN_FLIGHT_PER_SUBSCRIPTION: Final = 16
VALIDATION_EVENT_TYPE: Final = "Microsoft.EventGrid.SubscriptionValidationEvent"
_VALIDATION_RETRY_MAX_SECONDS: Final = 2.0
_VALIDATION_LOG_EVERY_SECONDS: Final = 30.0
_DEAD_LETTER_RETRY_MAX_SECONDS: Final = 30.0


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
            reason = await self._validate_once()
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

    async def _validate_once(self) -> str:
        """An empty string when validated, else why not."""
        code = secrets.token_hex(16)
        event = {
            "id": str(uuid.uuid4()),
            "topic": self.engine.config.topic.topic_id,
            "subject": "",
            "data": {"validationCode": code, "validationUrl": None},
            "eventType": VALIDATION_EVENT_TYPE,
            "eventTime": iso(utcnow()),
            "metadataVersion": "1",
            "dataVersion": "2",
        }
        headers = {
            "content-type": "application/json",
            "aeg-event-type": "SubscriptionValidation",
            "aeg-subscription-name": self.name_header,
            "aeg-delivery-count": "0",
            "aeg-data-version": "2",
            "aeg-metadata-version": "1",
        }
        try:
            response = await self.engine.client.post(
                self.sub.endpoint, content=json.dumps([event]).encode(), headers=headers
            )
        except httpx.HTTPError as exc:
            return f"endpoint {self.sub.endpoint} unreachable ({type(exc).__name__}: {exc})"
        if response.status_code != 200:
            return f"{self.sub.endpoint} answered the handshake with {response.status_code}"
        try:
            answer = response.json()
        except ValueError:
            return "the handshake response is not JSON"
        echoed = answer.get("validationResponse") if isinstance(answer, dict) else None
        if echoed != code:
            return f"the handshake response did not echo the validationCode (got {echoed!r})"
        return ""

    # -- delivery --------------------------------------------------------------------------------

    async def _run(self, delivery: Delivery) -> None:
        retry_policy = self.sub.retry_policy
        await self.validated.wait()
        while True:
            wait = delivery.due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if delivery.age_seconds() >= retry_policy.ttl_seconds:
                await self._give_up(delivery, DeadLetterReason.TIME_TO_LIVE_EXCEEDED)
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
            if not is_retried(result.status):
                assert result.status is not None
                self._log(logging.WARNING, delivery, result, "failed, not retried")
                await self._give_up(delivery, no_retry_reason(result.status))
                return
            if delivery.attempts >= retry_policy.max_delivery_attempts:
                self._log(logging.WARNING, delivery, result, "failed, no attempts left")
                await self._give_up(delivery, DeadLetterReason.MAX_DELIVERY_ATTEMPTS_EXCEEDED)
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

    # -- giving up ------------------------------------------------------------------------------

    async def _give_up(self, delivery: Delivery, reason: DeadLetterReason) -> None:
        ids = ",".join(str(e.get("id")) for e in delivery.events)
        if self.sub.dead_letter is None:
            self.engine.settled(delivery)
            self.stats.dropped += delivery.size
            self.stats.pending -= delivery.size
            log.warning(
                "DROPPED (no deadLetter configured): subscription=%s event=%s reason=%s "
                "attempts=%d",
                self.sub.name,
                ids,
                reason,
                delivery.attempts,
            )
            return
        container = self.sub.dead_letter.container
        events = [
            dead_letter_event(
                event,
                self.schema,
                reason=reason,
                attempts=delivery.attempts,
                outcome=delivery.last_outcome or Outcome.GENERIC_ERROR,
                status=delivery.last_status,
                publish_time=delivery.publish_time,
                last_attempt_time=delivery.last_attempt_time,
            )
            for event in delivery.events
        ]
        name = dead_letter_name(self.sub.name, utcnow())
        await self.engine.write_dead_letter(container, name, dead_letter_blob(events))
        # Only now: a crash before this line writes the blob again on the next start.
        self.engine.settled(delivery)
        self.stats.dead_lettered += delivery.size
        self.stats.pending -= delivery.size
        log.warning(
            "DEAD-LETTERED: subscription=%s event=%s reason=%s attempts=%d blob=%s/%s",
            self.sub.name,
            ids,
            reason,
            delivery.attempts,
            container,
            name,
        )


class DeliveryEngine:
    """All subscriptions of one topic; start() and stop() run inside the serving event loop."""

    def __init__(self, config: EmulatorConfig, *, rng: random.Random | None = None) -> None:
        self.config = config
        # One generator for jitter, copy counts and delays, so ``seed`` makes a run repeatable.
        self.rng = rng or random.Random(config.seed)
        self.published = 0
        self.dispatchers = [SubscriptionDispatcher(self, sub) for sub in config.subscriptions]
        self.journal: Journal | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._writer: DeadLetterWriter | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the delivery engine is not started")
        return self._client

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.config.delivery_timeout_seconds),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            trust_env=False,
            follow_redirects=False,
        )
        if any(sub.dead_letter for sub in self.config.subscriptions):
            self._writer = DeadLetterWriter(self.config.storage)
        if self.config.journal is not None:
            self.journal = Journal.open(self.config.journal)
            self._resume(self.journal)
        for dispatcher in self.dispatchers:
            self.spawn(dispatcher.validate_forever())

    def _resume(self, journal: Journal) -> None:
        """Restart every journaled delivery whose subscription is still configured."""
        by_name = {d.sub.name.upper(): d for d in self.dispatchers}
        resumed = 0
        unknown: Counter[str] = Counter()
        for row in journal.pending():
            dispatcher = by_name.get(row.subscription.upper())
            if dispatcher is None:
                unknown[row.subscription] += 1
                continue
            dispatcher.resume(Delivery.from_journal(row))
            resumed += 1
        if resumed:
            log.info("resumed %d pending delivery(ies) from the journal %s", resumed, journal.path)
        for name, count in sorted(unknown.items()):
            # Kept, not deleted: the subscription may be configured again on the next start.
            log.warning(
                "journal %s holds %d delivery(ies) for subscription %s, which is not configured: "
                "kept in the journal, not delivered",
                journal.path,
                count,
                name,
            )

    async def stop(self) -> None:
        pending = sum(d.stats.pending for d in self.dispatchers)
        if pending and self.journal is not None:
            log.info(
                "stopping with %d undelivered event(s): kept in the journal %s for the next start",
                pending,
                self.journal.path,
            )
        elif pending:
            log.warning("stopping with %d undelivered event(s) in memory: they are lost", pending)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task crashed", exc_info=task.exception())

    def initial_delay(self) -> float:
        """The random wait before a copy's first attempt (``deliveryDelayMaxSeconds``)."""
        limit = self.config.delivery_delay_max_seconds
        return self.rng.uniform(0.0, limit) if limit > 0 else 0.0

    def publish(self, events: list[dict[str, Any]]) -> None:
        """Fan accepted events out to every matching subscription (returns at once).

        With a journal, every delivery is committed before this returns (one transaction), so
        the caller may answer 200; if the journal write fails nothing is accepted (sqlite3.Error).
        """
        publish_time = utcnow()
        planned = [(d, *d.plan(events, publish_time)) for d in self.dispatchers]
        if self.journal is not None:
            new = [
                (delivery, dispatcher.sub.name)
                for dispatcher, _, deliveries in planned
                for delivery in deliveries
            ]
            ids = self.journal.add(
                NewDelivery(name, d.events, d.publish_time, d.due, d.copy) for d, name in new
            )
            for (delivery, _), journal_id in zip(new, ids, strict=True):
                delivery.journal_id = journal_id
        self.published += len(events)
        for dispatcher, matched, deliveries in planned:
            dispatcher.accept(matched, deliveries)

    def record_attempt(self, delivery: Delivery) -> None:
        """Journal a failed attempt that will be retried (its count and next due time)."""
        if self.journal is None or delivery.journal_id is None:
            return
        try:
            self.journal.record_attempt(
                delivery.journal_id,
                attempts=delivery.attempts,
                last_status=delivery.last_status,
                last_outcome=delivery.last_outcome,
                last_attempt_time=delivery.last_attempt_time,
                due=delivery.due,
            )
        except sqlite3.Error as exc:
            # Not fatal: after a restart the delivery resumes with an older attempt count.
            log.error("journal update failed for delivery %s: %s", delivery.journal_id, exc)

    def settled(self, delivery: Delivery) -> None:
        """Forget a delivered, dead-lettered or dropped delivery."""
        if self.journal is None or delivery.journal_id is None:
            return
        try:
            self.journal.remove(delivery.journal_id)
        except sqlite3.Error as exc:
            # At-least-once: the worst case is one more delivery after the next start.
            log.error("journal delete failed for delivery %s: %s", delivery.journal_id, exc)

    async def write_dead_letter(self, container: str, name: str, body: bytes) -> None:
        """Write a dead-letter blob, retrying until it is stored (never lose an event silently)."""
        if self._writer is None:
            raise RuntimeError("the delivery engine is not started")
        delay = 0.5
        while True:
            try:
                await asyncio.to_thread(self._writer.write, container, name, body)
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

    def stats(self) -> dict[str, Any]:
        return {
            "topic": self.config.topic.name,
            "published": self.published,
            "pending": sum(d.stats.pending for d in self.dispatchers),
            "subscriptions": {
                d.sub.name: {"validated": d.validated.is_set(), **d.stats.as_json()}
                for d in self.dispatchers
            },
        }
