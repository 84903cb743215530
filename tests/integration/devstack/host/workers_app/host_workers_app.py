"""A function app for the tests of the host's worker processes (``test_workers.py``).

Each worker process imports it on its own, so what a test needs to see across workers goes
through the process id in answers, or a file: the timer appends one line per invocation (its
pid and its occurrence) to ``WORKERS_APP_TICKS``.
"""

from __future__ import annotations

import json
import os

import azure.functions as func
from azure.functions.timer import TimerRequest as DeliveredTimerRequest

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="pid", methods=["GET"])
def pid(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"pid": os.getpid()}), mimetype="application/json")


@app.schedule(schedule="* * * * * *", arg_name="timer")
def tick(timer: func.TimerRequest) -> None:
    with open(os.environ["WORKERS_APP_TICKS"], "a", encoding="utf-8") as ticks:
        assert isinstance(timer, DeliveredTimerRequest)  # the concrete one has the status
        # The occurrence after this one identifies this one, even when it runs late.
        ticks.write(f"{os.getpid()} {timer.schedule_status['Next']}\n")


@app.event_grid_trigger(arg_name="event")
def sink(event: func.EventGridEvent) -> None:
    """Accepts every event: only the injected faults fail its deliveries."""
