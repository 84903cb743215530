"""The front desk: arrivals, departures and in-house guests per hotel and date.

A read model kept by the ``frontdesk`` subscription from the reservation events (a projection):
each event's facts are joined into the reservation's stay (domain/frontdesk.py), and the stay's
lines on the hotel's day sheets follow from it, in the same transaction. The join is idempotent
and order-free, so this subscriber needs no processed marker: a duplicate, or an event older
than what the stay knows, changes nothing and writes nothing. Per event: one point read, and
one transaction when something changed.

``ReservationRejected`` is not subscribed: a rejected reservation was never on a sheet (a
pending one is not), so it would cost a read and a write to change nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from domain.errors import HotelNotFoundError
from domain.events import (
    GuestCheckedIn,
    GuestCheckedOut,
    ReservationCancelled,
    ReservationConfirmed,
    ReservationRequested,
)
from domain.frontdesk import FrontdeskStay, StayFacts
from domain.ids import is_safe_id
from handlers.ports import FrontdeskBoard, OutboxEntry, Ports, ProcessedRecord
from handlers.unit_of_work import Change, Reaction

log = logging.getLogger(__name__)

CONTEXT: Final = "frontdesk"

StayEvent = (
    ReservationRequested
    | ReservationConfirmed
    | ReservationCancelled
    | GuestCheckedIn
    | GuestCheckedOut
)


def facts_of(event: StayEvent) -> StayFacts:
    """What each event says about its reservation: the one place that reads their payloads."""
    common: dict[str, Any] = {"reservation_id": event.reservation_id, "hotel_id": event.hotel_id}
    match event:
        case ReservationRequested():
            return StayFacts(
                **common,
                status="Pending",
                guest_id=event.guest_id,
                guest_name=event.guest_name,
                room_type=event.room_type,
                check_in=event.check_in,
                check_out=event.check_out,
            )
        case ReservationConfirmed():
            return StayFacts(
                **common,
                status="Confirmed",
                room_type=event.room_type,
                room_number=event.room_number,
            )
        case ReservationCancelled():
            return StayFacts(
                **common,
                status="Cancelled",
                room_type=event.room_type,
                check_in=event.check_in,
                check_out=event.check_out,
            )
        case GuestCheckedIn():
            return StayFacts(
                **common, status="CheckedIn", guest_id=event.guest_id, room_number=event.room_number
            )
        case GuestCheckedOut():
            return StayFacts(
                **common,
                status="CheckedOut",
                guest_id=event.guest_id,
                room_number=event.room_number,
            )


@dataclass(frozen=True)
class StaySlot:
    """A reservation's stay in its hotel's partition of the read model.

    It keeps no processed markers (the module docs say why): ``read`` is only the stay's read.
    """

    board: FrontdeskBoard
    hotel_id: str
    reservation_id: str

    def load(self) -> FrontdeskStay | None:
        return self.board.get(self.hotel_id, self.reservation_id)

    def read(self, marker: str) -> tuple[ProcessedRecord | None, FrontdeskStay | None]:
        return None, self.load()

    def commit(self, change: Change[FrontdeskStay], *, marker: str | None) -> list[OutboxEntry]:
        if change.hold or change.release:
            raise ValueError("only the room inventory holds or releases room-nights")
        self.board.save(change.aggregate)
        return []

    def mark_republished(self, marker: str) -> None:
        raise AssertionError("the front desk records no events, so nothing is republished")


def _slot(event: StayEvent, ports: Ports) -> StaySlot:
    return StaySlot(ports.frontdesk, event.hotel_id, event.reservation_id)


def decide_stay(
    event: StayEvent, current: FrontdeskStay | None, ports: Ports
) -> Change[FrontdeskStay] | None:
    """Join the event's facts into the stay; nothing to write if it told nothing new."""
    facts = facts_of(event)
    stay = current or FrontdeskStay.new(facts)
    if not stay.apply(facts):
        log.info("frontdesk: %s told nothing new about %s", event.event_type(), stay.reservation_id)
        return None
    return Change(stay)


REACTIONS: Final[tuple[Reaction[Any, Any], ...]] = tuple(
    Reaction(CONTEXT, event_type, _slot, decide_stay)
    for event_type in (
        ReservationRequested,
        ReservationConfirmed,
        ReservationCancelled,
        GuestCheckedIn,
        GuestCheckedOut,
    )
)


def _by_guest(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(lines, key=lambda line: (line["guestName"] or "", line["reservationId"]))


def frontdesk_view(hotel_id: str, day: date, ports: Ports) -> dict[str, Any]:
    """``{"hotelId", "date", "arrivals", "departures", "inHouse"}``, each list by guest name.

    Raises HotelNotFoundError for a hotel the catalog does not know.
    """
    if not is_safe_id(hotel_id) or ports.catalog.get(hotel_id) is None:
        raise HotelNotFoundError(hotel_id)
    sheet = ports.frontdesk.day(hotel_id, day)
    return {
        "hotelId": hotel_id,
        "date": day.isoformat(),
        "arrivals": _by_guest(sheet["arrival"]),
        "departures": _by_guest(sheet["departure"]),
        "inHouse": _by_guest(sheet["inHouse"]),
    }
