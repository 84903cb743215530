"""Every Event Grid-triggered function in function_app.py has exactly one subscription in
infra/routing.json, and every subscription delivers to such a function.

Until function_app.py declares the Event Grid triggers (`reservations`, `rooms`, `billing`,
`loyalty`), this test fails on purpose: a subscription to a missing function cannot be deployed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Final

from infra import generate
from tests.support.functions import FUNCTION_APP, indexed_functions

EVENT_GRID_TRIGGER: Final = "eventGridTrigger"


def _event_grid_function_names(path: Path) -> set[str]:
    names = set()
    for function in indexed_functions(path):
        trigger = function.get_trigger()
        name = function.get_function_name()
        if trigger is not None and trigger.get_binding_name() == EVENT_GRID_TRIGGER:
            assert name is not None
            names.add(name)
    return names


def test_indexing_finds_the_event_grid_triggered_functions(tmp_path: Path) -> None:
    app = tmp_path / "function_app.py"
    app.write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n"
        "@app.function_name('rooms')\n"
        "@app.event_grid_trigger(arg_name='event')\n"
        "def on_rooms(event: func.EventGridEvent) -> None: ...\n"
        "@app.route(route='health')\n"
        "def health(req: func.HttpRequest) -> func.HttpResponse: ...\n",
        encoding="utf-8",
    )
    assert _event_grid_function_names(app) == {"rooms"}


def test_event_grid_functions_and_subscriptions_match_one_to_one() -> None:
    triggered = _event_grid_function_names(FUNCTION_APP)
    document = json.loads(generate.ROUTING_JSON.read_text(encoding="utf-8"))
    subscribed = Counter(s["functionName"] for s in document["subscriptions"])
    duplicates = sorted(name for name, count in subscribed.items() if count > 1)
    assert not duplicates, f"functions with more than one subscription: {duplicates}"
    assert triggered == set(subscribed), (
        f"Event Grid functions without a subscription: {sorted(triggered - set(subscribed))}; "
        f"subscriptions without an Event Grid function: {sorted(set(subscribed) - triggered)}"
    )
