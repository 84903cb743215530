"""The reservations context: commands from the HTTP edge and the saga's feedback.

Every command and reaction runs through the unit of work (handlers/unit_of_work.py). Reactions
on a reservation that has left ``Pending`` are no-ops, so late or reordered feedback converges.

Reservation ids are unguessable, whatever a client sends: the id is all that guards a guest's
data. Without an ``Idempotency-Key`` it is random (uuid4); with one, a keyed digest of the key
under a secret of the deployment (``IdempotencyKeys``), so a retry books the same id and its
transaction finds the first one, whose body digest tells a retry from a reused key.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC
from typing import Any, Final

from domain.errors import IdempotencyKeyReusedError, ReservationNotFoundError, ValidationError
from domain.events import PaymentAuthorized, PaymentDeclined, RoomAllocationFailed
from domain.reservation import Guest, Reservation
from domain.stay import Stay
from handlers.commands import RequestReservation, validate_request
from handlers.ports import Ports
from handlers.unit_of_work import Change, Reaction, RepositorySlot, execute

log = logging.getLogger(__name__)

CONTEXT: Final = "reservations"


def new_reservation_id() -> str:
    """Unguessable: 122 random bits from the operating system's CSPRNG."""
    return str(uuid.uuid4())


def _slot(reservation_id: str, ports: Ports) -> RepositorySlot[Reservation]:
    return RepositorySlot(ports.reservations, reservation_id, CONTEXT)


def request_reservation(
    cmd: RequestReservation, *, idempotency_key: str | None, ports: Ports
) -> tuple[Reservation, bool]:
    """Book: validate, keep the token in the vault, save ``Pending`` with ReservationRequested.

    Returns the reservation and whether it was created now (False: the same Idempotency-Key and
    body were seen before and this is that reservation). Raises ValidationError, or
    IdempotencyKeyReusedError when the key was used with a different body.
    """
    fingerprint = cmd.fingerprint()
    now = ports.clock()
    validate_request(cmd, ports.catalog, now.astimezone(UTC).date())
    hotel = ports.catalog.get(cmd.hotel_id)
    if hotel is None:  # validate_request checked it; the catalog changed since
        raise ValidationError({"hotelId": f"unknown hotel {cmd.hotel_id!r}"})
    if idempotency_key is None:
        reservation_id = new_reservation_id()
    else:
        # Every request with this key books this id: the first to commit creates it, and a
        # retry (same body) finishes the booking if the first attempt died before its commit.
        reservation_id = ports.idempotency.reservation_id(idempotency_key)

    def decide(current: Reservation | None) -> Change[Reservation] | None:
        if current is not None:
            if current.request_fingerprint != fingerprint:
                raise IdempotencyKeyReusedError(
                    "this Idempotency-Key was used with a different request body"
                )
            return None  # a retry of the request that created it
        # Only the request that creates this reservation writes its token (the secret of this
        # very commit), so a request refused for reusing a key can never be charged.
        return Change(
            Reservation.request(
                reservation_id=reservation_id,
                stay=Stay(cmd.hotel_id, cmd.room_type, cmd.check_in, cmd.check_out),
                guests=cmd.guests,
                guest=Guest(id=cmd.guest.id, name=cmd.guest.name, email=cmd.guest.email),
                currency=hotel.currency,
                payment_method_ref=ports.vault.reference(reservation_id),
                at=ports.clock(),
                request_fingerprint=fingerprint,
            ),
            secret=cmd.payment_token,
        )

    # Normally new: the first attempt creates without reading; if a request with the same key
    # committed first, that commit conflicts and the retry reads what it created.
    reservation, created = execute(
        _slot(reservation_id, ports), decide, ports, reservation_id=reservation_id, fresh=True
    )
    if reservation is None:  # decide creates it when absent
        raise ReservationNotFoundError(reservation_id)
    return reservation, created


def get_reservation(reservation_id: str, ports: Ports) -> Reservation:
    reservation = ports.reservations.get(reservation_id)
    if reservation is None:
        raise ReservationNotFoundError(f"reservation {reservation_id} not found")
    return reservation


def _existing(reservation_id: str, current: Reservation | None) -> Reservation:
    if current is None:
        raise ReservationNotFoundError(f"reservation {reservation_id} not found")
    return current


def cancel_reservation(reservation_id: str, ports: Ports) -> tuple[Reservation, bool]:
    """Cancel; ``changed`` is False if it was cancelled already (HTTP 200 rather than 202).

    Raises ReservationNotFoundError, or InvalidTransitionError when not cancellable (409).
    """

    def decide(current: Reservation | None) -> Change[Reservation] | None:
        reservation = _existing(reservation_id, current)
        return Change(reservation) if reservation.cancel(at=ports.clock()) else None

    reservation, changed = execute(
        _slot(reservation_id, ports), decide, ports, reservation_id=reservation_id
    )
    return _existing(reservation_id, reservation), changed


def check_in(reservation_id: str, ports: Ports) -> Reservation:
    """Confirmed -> CheckedIn; InvalidTransitionError (409) from any other status."""

    def decide(current: Reservation | None) -> Change[Reservation]:
        reservation = _existing(reservation_id, current)
        reservation.check_in_guest(at=ports.clock())
        return Change(reservation)

    reservation, _ = execute(
        _slot(reservation_id, ports), decide, ports, reservation_id=reservation_id
    )
    return _existing(reservation_id, reservation)


def check_out(reservation_id: str, ports: Ports) -> Reservation:
    """CheckedIn -> CheckedOut; InvalidTransitionError (409) from any other status."""

    def decide(current: Reservation | None) -> Change[Reservation]:
        reservation = _existing(reservation_id, current)
        reservation.check_out_guest(at=ports.clock())
        return Change(reservation)

    reservation, _ = execute(
        _slot(reservation_id, ports), decide, ports, reservation_id=reservation_id
    )
    return _existing(reservation_id, reservation)


def reservation_events(reservation_id: str, ports: Ports) -> list[dict[str, Any]]:
    """The reservation's whole saga as CloudEvents, oldest first (ReservationNotFoundError)."""
    reservation = get_reservation(reservation_id, ports)
    return ports.outbox.stream(
        reservation_id,
        hotel_id=reservation.hotel_id,
        room_type=reservation.room_type,
        guest_id=reservation.guest.id,
    )


# --- the saga's feedback -------------------------------------------------------------------------

Feedback = RoomAllocationFailed | PaymentAuthorized | PaymentDeclined


def _feedback_slot(event: Feedback, ports: Ports) -> RepositorySlot[Reservation]:
    return _slot(event.reservation_id, ports)


def decide_feedback(
    event: Feedback, current: Reservation | None, ports: Ports
) -> Change[Reservation] | None:
    """Confirm on PaymentAuthorized, reject on a failed allocation or a declined payment."""
    if current is None:  # saved before its first event was published: an anomaly, retried
        raise ReservationNotFoundError(
            f"{event.event_type()} for unknown reservation {event.reservation_id}"
        )
    now = ports.clock()
    if isinstance(event, PaymentAuthorized):
        changed = current.confirm(
            room_number=event.room_number, total=event.amount, currency=event.currency, at=now
        )
    elif isinstance(event, PaymentDeclined):
        changed = current.reject("payment_declined", at=now)
    else:
        changed = current.reject("no_availability", at=now)
    if not changed:
        log.info("reservations: %s is a no-op on %s", event.event_type(), current.status)
        return None
    return Change(current)


REACTIONS: Final[tuple[Reaction[Any, Any], ...]] = tuple(
    Reaction(CONTEXT, event_type, _feedback_slot, decide_feedback)
    for event_type in (RoomAllocationFailed, PaymentAuthorized, PaymentDeclined)
)

__all__ = [
    "REACTIONS",
    "cancel_reservation",
    "check_in",
    "check_out",
    "decide_feedback",
    "get_reservation",
    "new_reservation_id",
    "request_reservation",
    "reservation_events",
]
