"""The billing context: price and authorize the stay, settle cancellations, capture on check-out.

Gateway calls come before the commit that records them, each with an idempotency key derived
from the operation (``{reservationId}:capture:stay``), so a retry after a crash or a conflict,
or a concurrent duplicate delivery, has its effect at the gateway once. A cancellation that
overtakes ``RoomAllocated`` leaves a tombstone; the late allocation then authorizes
(idempotently: a crashed earlier attempt may already have done so) and voids at once, so no
live authorization survives a cancelled booking.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Final

from domain.billing import Folio
from domain.events import GuestCheckedOut, ReservationCancelled, RoomAllocated
from domain.money import ZERO, quantize
from handlers.catalog import event_room_type
from handlers.ports import Ports
from handlers.unit_of_work import Change, Reaction, RepositorySlot

log = logging.getLogger(__name__)

CONTEXT: Final = "billing"


def gateway_key(reservation_id: str, operation: str) -> str:
    """The gateway idempotency key of one operation on one reservation's payment."""
    return f"{reservation_id}:{operation}"


def invoice(reservation_id: str, ports: Ports) -> dict[str, Any] | None:
    """The contract's invoice, or None until billing has seen the reservation (404)."""
    folio = ports.folios.get(reservation_id)
    return None if folio is None else folio.invoice()


def _rate_and_currency(ports: Ports, hotel_id: str, room_type: str) -> tuple[Decimal, str]:
    hotel, kind = event_room_type(ports, hotel_id, room_type)
    return kind.nightly_rate, hotel.currency


def _slot(
    event: RoomAllocated | ReservationCancelled | GuestCheckedOut, ports: Ports
) -> RepositorySlot[Folio]:
    return RepositorySlot(ports.folios, event.reservation_id, CONTEXT)


def decide_authorization(
    event: RoomAllocated, current: Folio | None, ports: Ports
) -> Change[Folio] | None:
    """Price the stay and authorize it; on the tombstone of an earlier cancel, void at once."""
    key = event.reservation_id
    if current is not None and current.status != "Cancelled":
        return None  # authorized or declined before
    rate, currency = _rate_and_currency(ports, event.hotel_id, event.room_type)
    amount = quantize(rate * len(event.nights))
    token = ports.vault.resolve(event.payment_method_ref)
    approved_id: str | None = None
    if token is None:
        log.warning("billing: no payment method behind %s", event.payment_method_ref)
    else:
        result = ports.gateway.authorize(
            idempotency_key=gateway_key(key, "authorize"),
            token=token,
            amount=amount,
            currency=currency,
        )
        approved_id = result.authorization_id if result.approved else None
    now = ports.clock()
    if current is not None:  # the tombstone of an earlier cancel
        if approved_id is None:
            return None
        ports.gateway.void(idempotency_key=gateway_key(key, "void"), authorization_id=approved_id)
        current.void_late_authorization(authorization_id=approved_id, amount=amount, at=now)
        return Change(current)
    common: dict[str, Any] = {
        "reservation_id": key,
        "stay": event.stay,
        "room_number": event.room_number,
        "guest_id": event.guest_id,
        "nightly_rate": rate,
        "currency": currency,
        "at": now,
    }
    if approved_id is None:
        return Change(Folio.declined(**common))
    return Change(Folio.authorized(authorization_id=approved_id, **common))


def decide_cancellation(
    event: ReservationCancelled, current: Folio | None, ports: Ports
) -> Change[Folio] | None:
    """Capture the fee (if any) and void the rest; before any folio, leave a tombstone."""
    key = event.reservation_id
    now = ports.clock()
    if current is None:
        _, currency = _rate_and_currency(ports, event.hotel_id, event.room_type)
        return Change(
            Folio.tombstone(
                reservation_id=key,
                hotel_id=event.hotel_id,
                room_type=event.room_type,
                currency=currency,
                at=now,
            )
        )
    if not current.is_live_authorization or current.authorization_id is None:
        return None  # declined, settled already, or a tombstone: nothing is live
    fee = current.cancellation_fee(
        cancelled_at=event.cancelled_at, was_confirmed=event.was_confirmed
    )
    authorization_id = current.authorization_id
    if fee > ZERO:
        ports.gateway.capture(
            idempotency_key=gateway_key(key, "capture:cancellation-fee"),
            authorization_id=authorization_id,
            amount=fee,
        )
    ports.gateway.void(idempotency_key=gateway_key(key, "void"), authorization_id=authorization_id)
    current.cancel(fee=fee, at=now)
    return Change(current)


def decide_capture(
    event: GuestCheckedOut, current: Folio | None, ports: Ports
) -> Change[Folio] | None:
    """Check-out: capture the whole stay."""
    key = event.reservation_id
    if current is None or not current.is_live_authorization or current.authorization_id is None:
        log.info("billing: nothing to capture for %s", key)
        return None
    ports.gateway.capture(
        idempotency_key=gateway_key(key, "capture:stay"),
        authorization_id=current.authorization_id,
        amount=current.total,
    )
    current.capture_stay(at=ports.clock(), checked_out_at=event.occurred_at)
    return Change(current)


REACTIONS: Final[tuple[Reaction[Any, Any], ...]] = (
    # Fresh: an allocation normally finds no folio (a cancel that overtook it leaves one).
    Reaction(CONTEXT, RoomAllocated, _slot, decide_authorization, fresh=True),
    Reaction(CONTEXT, ReservationCancelled, _slot, decide_cancellation),
    Reaction(CONTEXT, GuestCheckedOut, _slot, decide_capture),
)
