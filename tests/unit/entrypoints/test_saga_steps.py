"""Every function the app serves counts its storage calls as its own saga step."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import pytest

from adapters.accounting import NO_STEP, current_step
from entrypoints import subscribers, timers, wiring
from entrypoints.http_edge import handle_errors, json_response
from handlers import dead_letters
from handlers.routing import SUBSCRIPTIONS
from tests.support.functions import FUNCTION_APP, indexed_functions


def test_an_http_route_runs_as_its_function() -> None:
    @handle_errors
    def create_reservation(req: func.HttpRequest) -> func.HttpResponse:
        return json_response({"step": current_step()})

    request = func.HttpRequest("POST", "http://localhost/api/reservations", body=b"")
    response = create_reservation(request)
    assert response.get_body() == b'{"step": "create_reservation"}'
    assert current_step() == NO_STEP


def test_subscribers_and_timers_run_as_their_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(wiring, "ports", lambda: None)
    monkeypatch.setattr(wiring, "dead_letter_store", lambda: None)
    monkeypatch.setattr(subscribers, "deliver", lambda *args: seen.append(current_step()))

    def relay(ports: object) -> int:
        seen.append(current_step())
        return 0

    monkeypatch.setattr(timers, "relay_outbox", relay)
    monkeypatch.setattr(
        dead_letters,
        "reprocess_dead_letters",
        lambda *args, **kwargs: seen.append(current_step()),
    )
    functions = {f.get_function_name(): f for f in indexed_functions(FUNCTION_APP)}
    event = func.CloudEvent(id="1", source="/test", type="Hotel.Test", specversion="1.0", data={})
    expected: list[str] = []
    for subscription in SUBSCRIPTIONS:
        user_function: Any = functions[subscription.function_name].get_user_function()
        user_function(event=event)
        expected.append(subscription.function_name)
    for name in (timers.RELAY_OUTBOX, timers.REPROCESS_DEAD_LETTERS):
        functions[name].get_user_function()(timer=None)
        expected.append(name)
    assert seen == expected
    assert current_step() == NO_STEP
