"""The Event Grid webhook (``/runtime/webhooks/eventgrid?functionName=NAME``).

What the Event Grid extension does, after Azure/azure-sdk-for-net
``sdk/eventgrid/Microsoft.Azure.WebJobs.Extensions.EventGrid/src/TriggerBinding/
HttpRequestProcessor.cs`` and ``.../src/Config/EventGridExtensionConfigProvider.cs``:

- ``functionName`` is looked up case-sensitively (a ``Dictionary`` with the default comparer):
  unknown, 404 ``cannot find function: 'NAME'``;
- ``OPTIONS`` (the CloudEvents handshake): 200 with ``Webhook-Allowed-Origin``, the request's
  ``WebHook-Request-Origin`` if it is an Event Grid cloud's, else ``eventgrid.azure.net``;
- ``aeg-event-type`` compared ignoring case: ``SubscriptionValidation`` echoes the first event's
  ``data.validationCode``; ``Notification`` invokes the function once per element (a body that
  is not JSON, or neither an object nor an array, throws: 500, which Event Grid retries);
  ``Unsubscribe`` is 202; anything else, or none, 400 with an empty body;
- a failed invocation is 500 with the exception's message.

Devstack faults may fail a delivery before or after the invocation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from devstack.host.bindings import event_datum
from devstack.host.faults import FaultInjector
from devstack.host.indexing import EVENT_GRID_TRIGGER, FunctionInfo
from devstack.host.invoker import Invoker, Outcome
from devstack.host.web import empty, text

log = logging.getLogger("devstack.host")

EVENTGRID_WEBHOOK = "/runtime/webhooks/eventgrid"
# The verbs the host's ExtensionWebHookHandler accepts (Azure/azure-functions-host,
# Controllers/HostController.cs); any other is 405 before the extension sees it.
WEBHOOK_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS")
PUBLIC_CLOUD_ORIGIN = "eventgrid.azure.net"
CLOUD_ORIGINS = frozenset(
    {
        PUBLIC_CLOUD_ORIGIN,
        "eventgrid.azure.us",
        "eventgrid.azure.eaglex.ic.gov",
        "eventgrid.azure.microsoft.scloud",
        "eventgrid.azure.cn",
    }
)


class MalformedRequestError(Exception):
    """The extension throws on this body; the host answers 500 (and Event Grid retries)."""


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
        if request.method not in WEBHOOK_METHODS:
            return empty(405, {"Allow": ", ".join(WEBHOOK_METHODS)})
        name = request.query_params.get("functionName", "")
        info = self._function(name)
        if info is None or info.trigger_type != EVENT_GRID_TRIGGER:
            return text(404, f"cannot find function: '{name}'")
        if request.method == "OPTIONS":
            origin = request.headers.get("webhook-request-origin", "")
            allowed = origin if origin in CLOUD_ORIGINS else PUBLIC_CLOUD_ORIGIN
            return empty(200, {"Webhook-Allowed-Origin": allowed})
        kind = request.headers.get("aeg-event-type", "").lower()
        try:
            if kind == "subscriptionvalidation":
                return validation_response(await request.body())
            if kind == "notification":
                return await self._notify(info, parse_events(await request.body()))
        except MalformedRequestError as exc:
            log.error("Event Grid webhook for %s: %s", name, exc)
            return text(500, str(exc))
        if kind == "unsubscribe":
            return empty(202)
        return empty(400)

    async def _notify(self, info: FunctionInfo, events: list[Any]) -> Response:
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


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise MalformedRequestError(f"the request content is not valid JSON: {exc}") from None


def parse_events(body: bytes) -> list[Any]:
    """A Notification's events: an array as it is, an object as a one-element array."""
    token = _parse(body)
    if isinstance(token, list):
        return token
    if isinstance(token, dict):
        return [token]
    raise MalformedRequestError(
        "The request content should be parseable into a JSON object or array, "
        f"but was {type(token).__name__}."
    )


def validation_response(body: bytes) -> Response:
    """Echo ``validationCode``: of the first element of an array, or of an object's ``data``
    (which a CloudEvent may carry double-encoded, as a JSON string)."""
    token = _parse(body)
    try:
        if isinstance(token, list):
            code = token[0]["data"]["validationCode"]
        elif isinstance(token, dict):
            data = token["data"]
            code = (json.loads(data) if isinstance(data, str) else data)["validationCode"]
        else:
            raise MalformedRequestError(
                "The request content should be parseable into a JSON object or array, "
                f"but was {type(token).__name__}."
            )
    except (LookupError, TypeError, ValueError) as exc:
        raise MalformedRequestError(f"no data.validationCode in the handshake: {exc!r}") from None
    if code is None or isinstance(code, (dict, list)):
        raise MalformedRequestError("no data.validationCode in the handshake")
    # StringContent: text/plain, a JSON body (System.Text.Json).
    body_text = json.dumps({"validationResponse": code if isinstance(code, str) else str(code)})
    return text(200, body_text)


async def invoke_event(invoker: Invoker, info: FunctionInfo, event: Any) -> Outcome:
    """Invoke an Event Grid function with one event, continuing the event's trace."""
    trace_parent = event.get("traceparent") if isinstance(event, Mapping) else None
    return await invoker.invoke(
        info,
        lambda: event_datum(event),
        trace_parent=trace_parent if isinstance(trace_parent, str) else "",
    )
