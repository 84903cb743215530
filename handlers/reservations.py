"""The reservations context: commands from the HTTP edge and the saga's feedback.

Duplicate deliveries are skipped via the processed-event record written with each change;
reactions on a reservation that has left ``Pending`` are no-ops, so late or reordered feedback
converges. Outcomes are published from the outbox (never re-derived).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC
from typing import Any, Final

from domain.errors import IdempotencyKeyReusedError, ReservationNotFoundError, ValidationError
from domain.events import DomainEvent, PaymentAuthorized, PaymentDeclined, RoomAllocationFailed
from domain.reservation import Guest, Reservation
from handlers.commands import RequestReservation, validate_request
from handlers.outbox import publish_recorded
from handlers.ports import OutboxEntry, Ports
from handlers.retry import retry_on_conflict

log = logging.getLogger(__name__)

# Reservation ids derived from an Idempotency-Key: uuid5(namespace, key).
IDEMPOTENCY_NAMESPACE: Final = uuid.UUID("0f6f3d0c-4b7e-5a57-9c8e-6e1f2a9d7b31")


def reservation_id_for(idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, idempotency_key))


def request_reservation(
    cmd: RequestReservation, *, idempotency_key: str | None, ports: Ports
) -> tuple[Reservation, bool]:
    """Book: validate, keep the token in the vault, save ``Pending`` with ReservationRequested.

    Returns the reservation and whether it was created now (False: the same Idempotency-Key and
    body were seen before and this is that reservation). Raises ValidationError, or
    IdempotencyKeyReusedError when the key was used with a different body.
    """
    reservation_id = reservation_id_for(idempotency_key)
    fingerprint = cmd.fingerprint()

    def attempt() -> tuple[Reservation, bool, list[OutboxEntry]]:
        if idempotency_key is not None:
            existing = ports.reservations.get(reservation_id)
            if existing is not None:
                if existing.request_fingerprint != fingerprint:
                    raise IdempotencyKeyReusedError(
                        "this Idempotency-Key was used with a different request body"
                    )
                return existing, False, []
        now = ports.clock()
        validate_request(cmd, ports.catalog, now.astimezone(UTC).date())
        hotel = ports.catalog.get(cmd.hotel_id)
        if hotel is None:  # validate_request checked it; the catalog changed since
            raise ValidationError({"hotelId": f"unknown hotel {cmd.hotel_id!r}"})
        payment_method_ref = ports.vault.store(reservation_id, cmd.payment_token)
        reservation = Reservation.request(
            reservation_id=reservation_id,
            hotel_id=cmd.hotel_id,
            room_type=cmd.room_type,
            check_in=cmd.check_in,
            check_out=cmd.check_out,
            guests=cmd.guests,
            guest=Guest(id=cmd.guest.id, name=cmd.guest.name, email=cmd.guest.email),
            currency=hotel.currency,
            payment_method_ref=payment_method_ref,
            at=now,
            request_fingerprint=fingerprint,
        )
        entries = ports.reservations.save(reservation_id, reservation)
        return reservation, True, entries

    # Without a key the id is fresh, so a conflict cannot happen; with one, a concurrent twin
    # request may win the insert and the retry then answers with its reservation.
    reservation, created, entries = retry_on_conflict(attempt)
    publish_recorded(entries, ports)
    return reservation, created


def get_reservation(reservation_id: str, ports: Ports) -> Reservation:
    reservation = ports.reservations.get(reservation_id)
    if reservation is None:
        raise ReservationNotFoundError(f"reservation {reservation_id} not found")
    return reservation


def cancel_reservation(reservation_id: str, ports: Ports) -> tuple[Reservation, bool]:
    """Cancel; ``changed`` is False if it was cancelled already (HTTP 200 rather than 202).

    Raises ReservationNotFoundError, or InvalidTransitionError when not cancellable (409).
    """

    def attempt() -> tuple[Reservation, bool, list[OutboxEntry]]:
        reservation = get_reservation(reservation_id, ports)
        if not reservation.cancel(at=ports.clock()):
            return reservation, False, []
        return reservation, True, ports.reservations.save(reservation_id, reservation)

    reservation, changed, entries = retry_on_conflict(attempt)
    publish_recorded(entries, ports)
    return reservation, changed


def check_in(reservation_id: str, ports: Ports) -> Reservation:
    """Confirmed -> CheckedIn; InvalidTransitionError (409) from any other status."""

    def attempt() -> tuple[Reservation, list[OutboxEntry]]:
        reservation = get_reservation(reservation_id, ports)
        reservation.check_in_guest(at=ports.clock())
        return reservation, ports.reservations.save(reservation_id, reservation)

    reservation, entries = retry_on_conflict(attempt)
    publish_recorded(entries, ports)
    return reservation


def check_out(reservation_id: str, ports: Ports) -> Reservation:
    """CheckedIn -> CheckedOut; InvalidTransitionError (409) from any other status."""

    def attempt() -> tuple[Reservation, list[OutboxEntry]]:
        reservation = get_reservation(reservation_id, ports)
        reservation.check_out_guest(at=ports.clock())
        return reservation, ports.reservations.save(reservation_id, reservation)

    reservation, entries = retry_on_conflict(attempt)
    publish_recorded(entries, ports)
    return reservation


def reservation_events(reservation_id: str, ports: Ports) -> list[dict[str, Any]]:
    """The reservation's whole saga as CloudEvents, oldest first (ReservationNotFoundError)."""
    reservation = get_reservation(reservation_id, ports)
    return ports.outbox.stream(
        reservation_id,
        hotel_id=reservation.hotel_id,
        room_type=reservation.room_type,
        guest_id=reservation.guest.id,
    )


def handle_event(event: DomainEvent, ports: Ports) -> None:
    """The ``reservations`` subscription: confirm or reject a Pending reservation."""
    if not isinstance(event, RoomAllocationFailed | PaymentAuthorized | PaymentDeclined):
        log.info("reservations: ignoring %s %s", event.event_type(), event.event_id)
        return

    def attempt() -> list[OutboxEntry]:
        key = event.reservation_id
        if ports.reservations.was_processed(key, event.event_id):
            return []
        reservation = ports.reservations.get(key)
        if reservation is None:  # saved before its first event was published: an anomaly
            raise ReservationNotFoundError(f"{event.event_type()} for unknown reservation {key}")
        now = ports.clock()
        if isinstance(event, PaymentAuthorized):
            changed = reservation.confirm(
                room_number=event.room_number,
                total=event.amount,
                currency=event.currency,
                at=now,
            )
        elif isinstance(event, PaymentDeclined):
            changed = reservation.reject("payment_declined", at=now)
        else:
            changed = reservation.reject("no_availability", at=now)
        if not changed:
            log.info("reservations: %s is a no-op on %s", event.event_type(), reservation.status)
            return []
        return ports.reservations.save(key, reservation, processed_event_id=event.event_id)

    publish_recorded(retry_on_conflict(attempt), ports)


__all__ = [
    "IDEMPOTENCY_NAMESPACE",
    "cancel_reservation",
    "check_in",
    "check_out",
    "get_reservation",
    "handle_event",
    "request_reservation",
    "reservation_events",
    "reservation_id_for",
]
