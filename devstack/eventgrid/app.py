"""The Event Grid topic emulator as an ASGI app: publish API, delivery machinery, stats.

Routes:
- ``POST /api/events`` (``api-version`` accepted and ignored): publish, as Azure's topic endpoint.
- ``GET /devstack/stats``: counters per subscription (``matched``, ``delivered``, ``retried``,
  ``deadLettered``, ``dropped``, ``pending``, ``validated``) and the topic's ``published`` and
  total ``pending``. Poll it to wait for quiescence (``pending == 0``).

Deliberate deviations from Azure (also in ``devstack/eventgrid/README.md``):
- Pending deliveries live in memory unless a ``journal`` file is configured; with one, a publish
  is answered 200 only once its deliveries are committed, and they resume after a restart/crash.
- The validation handshake (``SubscriptionValidationEvent``, Event Grid schema, also for
  CloudEvents topics) is retried in the background until it succeeds, instead of failing the
  subscription's creation; events for an unvalidated subscription wait.
- Dead-letter blobs are written at once (Azure: about 5 minutes later); writes that fail are
  retried forever (Azure drops after 4 hours).
- ``maxEventsPerBatch`` batches events of the same publish request only.
- Dead-letter reasons ``UndeliverableDueToClientError`` (401/403/413) and ``TimeToLiveExceeded``
  are the emulator's names (Azure documents only ``MaxDeliveryAttemptsExceeded``; a 400 gives
  ``UndeliverableDueToHttpBadRequest`` as seen in Azure); ``lastHttpStatusCode`` is 0 when no
  HTTP response came back.
- SAS tokens: the resource host is not checked; non-base64 keys sign with their UTF-8 bytes.
- Advanced filters on array values are not supported.
- Emulator-only settings: ``retryDelaysSeconds``, ``deliveryMultiplier``,
  ``deliveryMultiplierMax``, ``deliveryDelayMaxSeconds``, ``seed``, ``deliveryTimeoutSeconds``,
  ``journal``, ``retryPolicy.eventTimeToLiveSeconds``, ``topic.resourceId``.
- No Entra ID auth, no ``disableLocalAuth``, no probation, no ingress throttling, no system topics.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.eventgrid.auth import authorize
from devstack.eventgrid.config import EmulatorConfig
from devstack.eventgrid.engine import DeliveryEngine
from devstack.eventgrid.publish import PublishError, parse_events

log = logging.getLogger("devstack.eventgrid")


class EventGridEmulator:
    """One Event Grid topic with its subscriptions; serve ``asgi`` with any ASGI server."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.engine = DeliveryEngine(config)
        self.asgi = Starlette(
            routes=[
                Route("/api/events", self._publish, methods=["POST"]),
                Route("/devstack/stats", self._stats, methods=["GET"]),
            ],
            lifespan=self._lifespan,
        )

    def stats(self) -> dict[str, object]:
        return self.engine.stats()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.engine.start()
        log.info(
            "Event Grid emulator: topic %s (%s), %d subscription(s), %s",
            self.config.topic.name,
            self.config.topic.input_schema,
            len(self.config.subscriptions),
            f"journal {self.config.journal}" if self.config.journal else "no journal (in memory)",
        )
        try:
            yield
        finally:
            await self.engine.stop()

    async def _publish(self, request: Request) -> Response:
        topic = self.config.topic
        try:
            authorize(
                request.headers,
                request.query_params,
                topic.key,
                now=datetime.now(UTC),
                topic=topic.name,
            )
            body = await request.body()
            events = parse_events(body, request.headers.get("content-type"), topic)
        except PublishError as exc:
            log.info("publish rejected with %d: %s", exc.status, exc.message)
            return JSONResponse(exc.body(), status_code=exc.status)
        try:
            self.engine.publish(events)
        except sqlite3.Error as exc:
            # Nothing was accepted: a 500 makes the publisher retry, as Azure's would.
            log.error("publish failed: the journal write failed: %s", exc)
            error = PublishError(500, "InternalServerError", "the delivery journal write failed")
            return JSONResponse(error.body(), status_code=500)
        log.debug("published %d event(s)", len(events))
        return Response(status_code=200)

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(self.stats())
