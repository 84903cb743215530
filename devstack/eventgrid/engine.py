"""The delivery engine: every subscription of one topic, the journal, and the shared client.

The machinery around it: ``dispatcher`` (one subscription: matching, handshake, attempts,
retries), ``giving_up`` (dead-lettering or dropping), ``delivery`` (what one delivery is).
Every delivery (one event, or a batch when ``maxEventsPerBatch`` > 1) is its own asyncio task,
so deliveries are concurrent across subscriptions and events.

With a ``journal`` configured, every accepted delivery is stored before the publish is answered,
its attempts and next due time are recorded after each failure, and it is removed once settled;
``start()`` resumes whatever a previous run (or crash) left behind. Times that must survive a
restart (publish time, next due time) are wall-clock times.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections import Counter
from typing import Any

import httpx

from devstack.eventgrid.config import EmulatorConfig
from devstack.eventgrid.deadletter import DeadLetterWriter
from devstack.eventgrid.delivery import Delivery, utcnow
from devstack.eventgrid.dispatcher import SubscriptionDispatcher
from devstack.eventgrid.giving_up import write_until_stored
from devstack.eventgrid.journal import Journal, NewDelivery

log = logging.getLogger("devstack.eventgrid")


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
        await write_until_stored(self._writer, container, name, body)

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
