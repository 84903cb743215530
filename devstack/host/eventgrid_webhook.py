"""The Event Grid webhook (``/runtime/webhooks/eventgrid?functionName=NAME``).

It answers both handshakes (the Event Grid schema's ``SubscriptionValidation`` and the
CloudEvents ``OPTIONS`` abuse protection) and invokes the function once per event of a
``Notification``, where devstack faults may fail the delivery before or after the invocation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstack.host.bindings import decode_event
from devstack.host.faults import FaultInjector
from devstack.host.indexing import EVENT_GRID_TRIGGER, FunctionInfo
from devstack.host.invoker import Invoker, Outcome
from devstack.host.web import empty, text

log = logging.getLogger("devstack.host")

EVENTGRID_WEBHOOK = "/runtime/webhooks/eventgrid"
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"


class EventGridWebhook:
    """Delivers Event Grid requests to the app's Event Grid-triggered functions."""

    def __init__(
        self,
        function: Callable[[str], FunctionInfo | None],
        invoker: Invoker,
        faults: FaultInjector,
    ) -> None:
        self._function = function
        self._invoker = invoker
        self._faults = faults

    async def handle(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            # CloudEvents webhook abuse protection (the CloudEvents-schema handshake).
            origin = request.headers.get("webhook-request-origin")
            if origin is None:
                return text(400, "missing WebHook-Request-Origin header")
            return empty(200, {"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*"})
        if request.method != "POST":
            return empty(405, {"Allow": "POST, OPTIONS"})
        name = request.query_params.get("functionName", "")
        info = self._function(name)
        if info is None or info.trigger_type != EVENT_GRID_TRIGGER:
            return text(404, f"cannot find an Event Grid function named '{name}'")
        kind = request.headers.get("aeg-event-type", "")
        if kind not in ("SubscriptionValidation", "Notification"):
            return text(400, f"unsupported or missing aeg-event-type header: {kind!r}")
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return text(400, "the body is not valid JSON")
        events = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(event, dict) for event in events):
            return text(400, "the body must be an event object or an array of event objects")
        if kind == "SubscriptionValidation":
            return validation_response(events)
        return await self._notify(info, events)

    async def _notify(self, info: FunctionInfo, events: list[dict[str, Any]]) -> Response:
        injected = self._faults.decide(info.name)
        if injected is not None and not injected.after:
            self._invoker.count(info.name).faulted += 1
            log.warning(
                "Functions.%s: devstack fault injected, answering %d without invoking",
                info.name,
                injected.status,
            )
            return text(injected.status, f"devstack fault injected for '{info.name}'")
        failures: list[Outcome] = []
        for event in events:
            outcome = await invoke_event(self._invoker, info, event)
            if not outcome.succeeded:
                failures.append(outcome)
        if injected is not None:
            # The function ran (its effects stand) but the ack is lost: Event Grid redelivers.
            self._invoker.count(info.name).faulted += 1
            log.warning(
                "Functions.%s: devstack fault injected, answering %d after invoking",
                info.name,
                injected.status,
            )
            return text(injected.status, f"devstack fault injected for '{info.name}' (after)")
        if failures:
            return text(500, failures[0].error_message())
        return empty(202)


def validation_response(events: list[dict[str, Any]]) -> Response:
    """Echo the ``validationCode`` of the handshake event, as the real host does."""
    for event in events:
        if event.get("eventType", event.get("type")) == VALIDATION_EVENT:
            data = event.get("data")
            code = data.get("validationCode") if isinstance(data, dict) else None
            if isinstance(code, str):
                return JSONResponse({"validationResponse": code})
    return text(400, f"no {VALIDATION_EVENT} with data.validationCode in the body")


async def invoke_event(invoker: Invoker, info: FunctionInfo, event: Mapping[str, Any]) -> Outcome:
    """Invoke an Event Grid function with one event, continuing the event's trace."""
    trace_parent = event.get("traceparent")
    return await invoker.invoke(
        info,
        lambda: decode_event(event),
        trace_parent=trace_parent if isinstance(trace_parent, str) else "",
    )
