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
from adapters.http_edge import (
    ProblemError,
    handle_errors,
    json_response,
    parse_body,
    parse_query,
    reservation_id_param,
)
from adapters.settings import Settings
from handlers import billing, catalog, loyalty, reservations, rooms
from handlers.commands import RequestReservation
from handlers.dispatch import dispatch
from handlers.outbox import relay_outbox
from handlers.ports import Ports
from handlers.queries import AvailabilityQuery

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
log = logging.getLogger("hotel")


@functools.cache
def ports() -> Ports:
    """The worker's one set of SDK clients, built from the app settings on first use."""
    return build_ports(Settings.load())


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
    key = req.headers.get("Idempotency-Key")
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
# must raise rather than swallow anything that should be tried again.


@app.function_name(name="reservations")
@app.event_grid_trigger(arg_name="event")
def reservations_subscriber(event: func.CloudEvent) -> None:
    dispatch("reservations", event.type, event.get_json(), ports())


@app.function_name(name="rooms")
@app.event_grid_trigger(arg_name="event")
def rooms_subscriber(event: func.CloudEvent) -> None:
    dispatch("rooms", event.type, event.get_json(), ports())


@app.function_name(name="billing")
@app.event_grid_trigger(arg_name="event")
def billing_subscriber(event: func.CloudEvent) -> None:
    dispatch("billing", event.type, event.get_json(), ports())


@app.function_name(name="loyalty")
@app.event_grid_trigger(arg_name="event")
def loyalty_subscriber(event: func.CloudEvent) -> None:
    dispatch("loyalty", event.type, event.get_json(), ports())


# --- Timers --------------------------------------------------------------------------------------


@app.function_name(name="relay_outbox")
@app.timer_trigger(schedule="*/30 * * * * *", arg_name="timer", run_on_startup=False)
def relay_outbox_timer(timer: func.TimerRequest) -> None:
    """Publishes events committed but not published (a crash between commit and publish)."""
    published = relay_outbox(ports())
    if published:
        log.warning("outbox relay published %d event(s) left unpublished", published)
