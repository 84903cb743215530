"""The Azure Functions app (Python v2 model): triggers only; the logic lives in handlers/.

Each trigger parses its input, calls one handler and maps the result. Ports (SDK clients) are
built once per worker on first use by ``ports()``, never at import: importing this module (the
worker's indexing, tests, the Bicep consistency check) has no side effects.
"""

from __future__ import annotations

import functools
import logging

import azure.functions as func

from adapters.bootstrap import build_ports
from adapters.deadletters import delivered_event_json
from adapters.http_edge import (
    ProblemError,
    handle_errors,
    idempotency_key,
    json_response,
    parse_body,
    parse_query,
    reservation_id_param,
)
from adapters.settings import Settings
from adapters.telemetry import configure_telemetry, consumes
from handlers import billing, catalog, dead_letters, loyalty, reservations, rooms
from handlers.commands import RequestReservation
from handlers.outbox import relay_outbox
from handlers.ports import DeadLetterState, DeadLetterStore, Ports
from handlers.queries import AvailabilityQuery

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
log = logging.getLogger("hotel")


@functools.cache
def ports() -> Ports:
    """The worker's one set of SDK clients (and its telemetry), from the app settings."""
    settings = Settings.load()
    configure_telemetry(settings)
    return build_ports(settings)


# --- HTTP API (contract.md) ----------------------------------------------------------------------


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"status": "ok"})


@app.route(route="hotels", methods=["GET"])
@handle_errors
def list_hotels(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(catalog.hotels_view(ports()))


@app.route(route="hotels/{hotelId}/availability", methods=["GET"])
@handle_errors
def hotel_availability(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, AvailabilityQuery)
    hotel_id = req.route_params["hotelId"]
    view = rooms.availability(hotel_id, query.room_type, query.from_, query.to, ports())
    return json_response(view)


@app.route(route="reservations", methods=["POST"])
@handle_errors
def create_reservation(req: func.HttpRequest) -> func.HttpResponse:
    command = parse_body(req, RequestReservation)
    key = idempotency_key(req)
    reservation, _ = reservations.request_reservation(command, idempotency_key=key, ports=ports())
    location = f"/api/reservations/{reservation.reservation_id}"
    return json_response(reservation.to_body(), 202, {"Location": location})


@app.route(route="reservations/{id}", methods=["GET"])
@handle_errors
def get_reservation(req: func.HttpRequest) -> func.HttpResponse:
    reservation = reservations.get_reservation(reservation_id_param(req), ports())
    return json_response(reservation.to_body())


@app.route(route="reservations/{id}/events", methods=["GET"])
@handle_errors
def get_reservation_events(req: func.HttpRequest) -> func.HttpResponse:
    events = reservations.reservation_events(reservation_id_param(req), ports())
    return json_response({"events": events})


@app.route(route="reservations/{id}/invoice", methods=["GET"])
@handle_errors
def get_invoice(req: func.HttpRequest) -> func.HttpResponse:
    invoice = billing.invoice(reservation_id_param(req), ports())
    if invoice is None:
        raise ProblemError(404, "Not found", "billing has not seen this reservation yet")
    return json_response(invoice)


@app.route(route="reservations/{id}/cancel", methods=["POST"])
@handle_errors
def cancel_reservation(req: func.HttpRequest) -> func.HttpResponse:
    reservation, changed = reservations.cancel_reservation(reservation_id_param(req), ports())
    return json_response(reservation.to_body(), 202 if changed else 200)


@app.route(route="reservations/{id}/check-in", methods=["POST"])
@handle_errors
def check_in(req: func.HttpRequest) -> func.HttpResponse:
    reservation = reservations.check_in(reservation_id_param(req), ports())
    return json_response(reservation.to_body(), 202)


@app.route(route="reservations/{id}/check-out", methods=["POST"])
@handle_errors
def check_out(req: func.HttpRequest) -> func.HttpResponse:
    reservation = reservations.check_out(reservation_id_param(req), ports())
    return json_response(reservation.to_body(), 202)


@app.route(route="guests/{guestId}/loyalty", methods=["GET"])
@handle_errors
def guest_loyalty(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(loyalty.loyalty_view(req.route_params["guestId"], ports()))


# --- Event Grid subscribers (one per subscription in handlers/routing.py) ------------------------
# An exception here is a 500 to Event Grid, which retries and finally dead-letters: handlers
# must raise rather than swallow anything that should be tried again. An event that can never
# be processed (EventError) is quarantined to deadletter-poison and acknowledged (deliver_event).


@app.function_name(name="reservations")
@app.event_grid_trigger(arg_name="event")
@consumes("reservations")
def reservations_subscriber(event: func.CloudEvent) -> None:
    deliver_event("reservations", event)


@app.function_name(name="rooms")
@app.event_grid_trigger(arg_name="event")
@consumes("rooms")
def rooms_subscriber(event: func.CloudEvent) -> None:
    deliver_event("rooms", event)


@app.function_name(name="billing")
@app.event_grid_trigger(arg_name="event")
@consumes("billing")
def billing_subscriber(event: func.CloudEvent) -> None:
    deliver_event("billing", event)


@app.function_name(name="loyalty")
@app.event_grid_trigger(arg_name="event")
@consumes("loyalty")
def loyalty_subscriber(event: func.CloudEvent) -> None:
    deliver_event("loyalty", event)


# --- Timers --------------------------------------------------------------------------------------


@app.function_name(name="relay_outbox")
@app.timer_trigger(schedule="*/30 * * * * *", arg_name="timer", run_on_startup=False)
def relay_outbox_timer(timer: func.TimerRequest) -> None:
    """Publishes events committed but not published (a crash between commit and publish)."""
    published = relay_outbox(ports())
    if published:
        log.warning("outbox relay published %d event(s) left unpublished", published)


# --- Dead letters (handlers/dead_letters.py; README "Dead letters") ------------------------------


def dead_letter_store() -> DeadLetterStore:
    store = ports().dead_letters
    if store is None:  # build_ports always wires it
        raise RuntimeError("no dead-letter store is configured")
    return store


def deliver_event(subscription: str, event: func.CloudEvent) -> None:
    """Dispatch a live delivery; quarantine (and acknowledge) one that can never succeed."""
    dead_letters.deliver(subscription, delivered_event_json(event), ports(), dead_letter_store())


@app.function_name(name="reprocess_dead_letters")
@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False)
def reprocess_dead_letters_timer(timer: func.TimerRequest) -> None:
    """Replays dead-lettered events; archives what succeeds, quarantines poison (logs a summary)."""
    dead_letters.reprocess_dead_letters(dead_letter_store(), ports(), trigger="timer")


@app.route(route="ops/dead-letters", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
@handle_errors
def list_dead_letters(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, dead_letters.DeadLetterQuery)
    states = [query.state] if query.state else list(DeadLetterState)
    view = dead_letters.dead_letter_overview(
        dead_letter_store(),
        ports(),
        states=states,
        subscription=query.subscription,
        limit=query.limit,
    )
    return json_response(view)


@app.route(route="ops/dead-letters/reprocess", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
@handle_errors
def reprocess_dead_letters_now(req: func.HttpRequest) -> func.HttpResponse:
    options = parse_query(req, dead_letters.ReprocessOptions)
    report = dead_letters.reprocess_dead_letters(
        dead_letter_store(), ports(), trigger="operator", force=options.force
    )
    return json_response(report.as_json())


@app.route(route="ops/dead-letters/requeue", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
@handle_errors
def requeue_dead_letters(req: func.HttpRequest) -> func.HttpResponse:
    """Move poison (or archived) blobs back to ``deadletter`` once their cause is fixed."""
    options = parse_query(req, dead_letters.RequeueOptions)
    report = dead_letters.requeue_dead_letters(
        dead_letter_store(),
        ports(),
        source=options.state,
        subscription=options.subscription,
        name=options.name,
        limit=options.limit,
    )
    if options.name is not None and not report.items:
        raise ProblemError(404, "Not found", f"no {options.state.value} blob {options.name!r}")
    return json_response(report.as_json())
