"""The billing context: price and authorize the stay, settle cancellations, capture on check-out.

Gateway calls come before the save that records them and are idempotent (authorize per
reservation id; capture and void per authorization), so a retry after a crash or a conflict
repeats them harmlessly. A cancellation that overtakes ``RoomAllocated`` leaves a tombstone; the
late allocation then authorizes (idempotently: a crashed earlier attempt may already have done
so) and voids at once, so no live authorization survives a cancelled booking. Outcomes are
published from the outbox (never re-derived).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from domain.billing import Folio
from domain.errors import EventSchemaError
from domain.events import DomainEvent, GuestCheckedOut, ReservationCancelled, RoomAllocated
from domain.money import ZERO, quantize
from handlers.outbox import publish_recorded
from handlers.ports import OutboxEntry, Ports
from handlers.retry import retry_on_conflict

log = logging.getLogger(__name__)


def handle_event(event: DomainEvent, ports: Ports) -> None:
    """The ``billing`` subscription."""
    if isinstance(event, RoomAllocated):
        _authorize(event, ports)
    elif isinstance(event, ReservationCancelled):
        _settle_cancellation(event, ports)
    elif isinstance(event, GuestCheckedOut):
        _capture_stay(event, ports)
    else:
        log.info("billing: ignoring %s %s", event.event_type(), event.event_id)


def invoice(reservation_id: str, ports: Ports) -> dict[str, Any] | None:
    """The contract's invoice, or None until billing has seen the reservation (404)."""
    folio = ports.folios.get(reservation_id)
    return None if folio is None else folio.invoice()


def _rate_and_currency(ports: Ports, hotel_id: str, room_type: str) -> tuple[Decimal, str]:
    hotel = ports.catalog.get(hotel_id)
    kind = None if hotel is None else hotel.room_types.get(room_type)
    if hotel is None or kind is None:  # rooms only allocates catalog rooms: a poison event
        raise EventSchemaError(f"no nightly rate for {hotel_id}/{room_type}")
    return kind.nightly_rate, hotel.currency


def _authorize(event: RoomAllocated, ports: Ports) -> None:
    key = event.reservation_id
    rate, currency = _rate_and_currency(ports, event.hotel_id, event.room_type)
    amount = quantize(rate * len(event.nights))

    def attempt() -> list[OutboxEntry]:
        if ports.folios.was_processed(key, event.event_id):
            return []
        folio = ports.folios.get(key)
        if folio is not None and folio.status != "Cancelled":
            return []  # authorized or declined before
        token = ports.vault.resolve(event.payment_method_ref)
        approved_id: str | None = None
        if token is None:
            log.warning("billing: no payment method behind %s", event.payment_method_ref)
        else:
            result = ports.gateway.authorize(
                idempotency_key=key, token=token, amount=amount, currency=currency
            )
            approved_id = result.authorization_id if result.approved else None
        now = ports.clock()
        if folio is not None:  # the tombstone of an earlier cancel
            if approved_id is None:
                return []
            ports.gateway.void(authorization_id=approved_id)
            folio.void_late_authorization(authorization_id=approved_id, amount=amount, at=now)
            return ports.folios.save(key, folio, processed_event_id=event.event_id)
        common: dict[str, Any] = {
            "reservation_id": key,
            "hotel_id": event.hotel_id,
            "room_type": event.room_type,
            "room_number": event.room_number,
            "guest_id": event.guest_id,
            "check_in": event.check_in,
            "check_out": event.check_out,
            "nightly_rate": rate,
            "currency": currency,
            "at": now,
        }
        if approved_id is None:
            new = Folio.declined(**common)
        else:
            new = Folio.authorized(authorization_id=approved_id, **common)
        return ports.folios.save(key, new, processed_event_id=event.event_id)

    publish_recorded(retry_on_conflict(attempt), ports)


def _settle_cancellation(event: ReservationCancelled, ports: Ports) -> None:
    key = event.reservation_id

    def attempt() -> list[OutboxEntry]:
        if ports.folios.was_processed(key, event.event_id):
            return []
        folio = ports.folios.get(key)
        now = ports.clock()
        if folio is None:
            _, currency = _rate_and_currency(ports, event.hotel_id, event.room_type)
            tombstone = Folio.tombstone(
                reservation_id=key,
                hotel_id=event.hotel_id,
                room_type=event.room_type,
                currency=currency,
                at=now,
            )
            return ports.folios.save(key, tombstone, processed_event_id=event.event_id)
        if not folio.is_live_authorization or folio.authorization_id is None:
            return []  # declined, settled already, or a tombstone: nothing is live
        fee = folio.cancellation_fee(
            cancelled_at=event.cancelled_at, was_confirmed=event.was_confirmed
        )
        if fee > ZERO:
            ports.gateway.capture(authorization_id=folio.authorization_id, amount=fee)
        ports.gateway.void(authorization_id=folio.authorization_id)
        folio.cancel(fee=fee, at=now)
        return ports.folios.save(key, folio, processed_event_id=event.event_id)

    publish_recorded(retry_on_conflict(attempt), ports)


def _capture_stay(event: GuestCheckedOut, ports: Ports) -> None:
    key = event.reservation_id

    def attempt() -> list[OutboxEntry]:
        if ports.folios.was_processed(key, event.event_id):
            return []
        folio = ports.folios.get(key)
        if folio is None or not folio.is_live_authorization or folio.authorization_id is None:
            log.info("billing: nothing to capture for %s", key)
            return []
        ports.gateway.capture(authorization_id=folio.authorization_id, amount=folio.total)
        folio.capture_stay(at=ports.clock())
        return ports.folios.save(key, folio, processed_event_id=event.event_id)

    publish_recorded(retry_on_conflict(attempt), ports)
