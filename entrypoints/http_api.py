"""The public HTTP API (docs/api.md, openapi.yaml): parse, call a handler, answer.

Routes without an ``auth_level`` take the app's (``FUNCTION``, set in function_app.py).
"""

from __future__ import annotations

import azure.functions as func

from entrypoints import wiring
from entrypoints.http_edge import (
    ProblemError,
    handle_errors,
    idempotency_key,
    json_response,
    parse_body,
    parse_query,
    reservation_id_param,
)
from handlers import billing, catalog, frontdesk, loyalty, reservations, rooms
from handlers.commands import RequestReservation
from handlers.queries import AvailabilityQuery, FrontdeskQuery

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"status": "ok"})


@bp.route(route="hotels", methods=["GET"])
@handle_errors
def list_hotels(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(catalog.hotels_view(wiring.ports()))


@bp.route(route="hotels/{hotelId}/availability", methods=["GET"])
@handle_errors
def hotel_availability(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, AvailabilityQuery)
    hotel_id = req.route_params["hotelId"]
    view = rooms.availability(hotel_id, query.room_type, query.from_, query.to, wiring.ports())
    return json_response(view)


@bp.route(route="hotels/{hotelId}/frontdesk", methods=["GET"])
@handle_errors
def hotel_frontdesk(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, FrontdeskQuery)
    view = frontdesk.frontdesk_view(req.route_params["hotelId"], query.day, wiring.ports())
    return json_response(view)


@bp.route(route="reservations", methods=["POST"])
@handle_errors
def create_reservation(req: func.HttpRequest) -> func.HttpResponse:
    command = parse_body(req, RequestReservation)
    key = idempotency_key(req)
    reservation, _ = reservations.request_reservation(
        command, idempotency_key=key, ports=wiring.ports()
    )
    location = f"/api/reservations/{reservation.reservation_id}"
    return json_response(reservation.to_body(), 202, {"Location": location})


@bp.route(route="reservations/{id}", methods=["GET"])
@handle_errors
def get_reservation(req: func.HttpRequest) -> func.HttpResponse:
    reservation = reservations.get_reservation(reservation_id_param(req), wiring.ports())
    return json_response(reservation.to_body())


@bp.route(route="reservations/{id}/events", methods=["GET"])
@handle_errors
def get_reservation_events(req: func.HttpRequest) -> func.HttpResponse:
    events = reservations.reservation_events(reservation_id_param(req), wiring.ports())
    return json_response({"events": events})


@bp.route(route="reservations/{id}/invoice", methods=["GET"])
@handle_errors
def get_invoice(req: func.HttpRequest) -> func.HttpResponse:
    invoice = billing.invoice(reservation_id_param(req), wiring.ports())
    if invoice is None:
        raise ProblemError(404, "Not found", "billing has not seen this reservation yet")
    return json_response(invoice)


@bp.route(route="reservations/{id}/cancel", methods=["POST"])
@handle_errors
def cancel_reservation(req: func.HttpRequest) -> func.HttpResponse:
    reservation, changed = reservations.cancel_reservation(
        reservation_id_param(req), wiring.ports()
    )
    return json_response(reservation.to_body(), 202 if changed else 200)


@bp.route(route="reservations/{id}/check-in", methods=["POST"])
@handle_errors
def check_in(req: func.HttpRequest) -> func.HttpResponse:
    reservation = reservations.check_in(reservation_id_param(req), wiring.ports())
    return json_response(reservation.to_body(), 202)


@bp.route(route="reservations/{id}/check-out", methods=["POST"])
@handle_errors
def check_out(req: func.HttpRequest) -> func.HttpResponse:
    reservation = reservations.check_out(reservation_id_param(req), wiring.ports())
    return json_response(reservation.to_body(), 202)


@bp.route(route="guests/{guestId}/loyalty", methods=["GET"])
@handle_errors
def guest_loyalty(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(loyalty.loyalty_view(req.route_params["guestId"], wiring.ports()))
