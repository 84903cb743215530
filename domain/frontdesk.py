"""The front desk's read model: where each reservation appears on a hotel's day sheet.

A projection of the reservation events. Each event says a few facts about one reservation
(``StayFacts``); ``FrontdeskStay`` joins them. The join is order-free and idempotent, so
duplicates and any delivery order end in the same stay:

- facts never change once known (dates, guest, room type, room), so a fact is kept from
  whichever event brought it first, and an event that lacks it (``None``) changes nothing;
- the status only moves forward along the reservation's own machine (domain/reservation.py),
  so the later of two statuses (``STATUS_ORDER``) wins, whichever arrives last: a late
  ``ReservationConfirmed`` never undoes a ``GuestCheckedIn`` or a ``ReservationCancelled``.

Where the stay appears follows from its state alone (``listings``):

- ``arrival`` on its check-in date while ``Confirmed`` (expected, not yet arrived);
- ``inHouse`` on every night of the stay while ``CheckedIn``;
- ``departure`` on its check-out date once ``CheckedIn`` (due out) or ``CheckedOut`` (left).

Pending, rejected and cancelled reservations appear nowhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.aggregate import Aggregate
from domain.reservation import ReservationStatus
from domain.stay import stay_nights

ListName = Literal["arrival", "departure", "inHouse"]
LIST_NAMES: Final[tuple[ListName, ...]] = ("arrival", "departure", "inHouse")
Listing = tuple[date, ListName]  # one line of one day's sheet

# A total order that extends the reservation's status machine: Pending -> Confirmed | Rejected;
# Pending | Confirmed -> Cancelled; Confirmed -> CheckedIn -> CheckedOut. Where the machine has
# no order (between Rejected, Cancelled and CheckedOut) any will do: no reservation reaches two.
STATUS_ORDER: Final[tuple[ReservationStatus, ...]] = (
    "Pending",
    "Confirmed",
    "CheckedIn",
    "CheckedOut",
    "Rejected",
    "Cancelled",
)
_RANK: Final = {status: rank for rank, status in enumerate(STATUS_ORDER)}


class StayFacts(BaseModel):
    """What one event says about one reservation; ``None`` where it says nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reservation_id: str
    hotel_id: str
    status: ReservationStatus
    guest_id: str | None = None
    guest_name: str | None = None
    room_type: str | None = None
    room_number: str | None = None
    check_in: date | None = None
    check_out: date | None = None


_FACTS: Final = ("guest_id", "guest_name", "room_type", "room_number", "check_in", "check_out")


class FrontdeskStay(Aggregate):
    """One reservation as the front desk sees it: the join of every event applied so far.

    ``listed`` is where the stored rows show it (owned by the repository, like ``etag``): a save
    deletes the listings it no longer has and writes the ones it has.
    """

    reservation_id: str
    hotel_id: str
    status: ReservationStatus = "Pending"
    guest_id: str | None = None
    guest_name: str | None = None
    room_type: str | None = None
    room_number: str | None = None
    check_in: date | None = None
    check_out: date | None = None
    listed: frozenset[Listing] = Field(default_factory=frozenset, exclude=True)

    @classmethod
    def new(cls, facts: StayFacts) -> FrontdeskStay:
        """A stay nothing is known about yet (nothing stored, nowhere listed)."""
        return cls(reservation_id=facts.reservation_id, hotel_id=facts.hotel_id)

    def apply(self, facts: StayFacts) -> bool:
        """Join ``facts`` in; False if they told nothing new (a duplicate, or stale)."""
        if (facts.reservation_id, facts.hotel_id) != (self.reservation_id, self.hotel_id):
            raise ValueError(f"facts of {facts.reservation_id} applied to {self.reservation_id}")
        changed = False
        for name in _FACTS:
            value = getattr(facts, name)
            if value is not None and getattr(self, name) is None:
                setattr(self, name, value)
                changed = True
        if _RANK[facts.status] > _RANK[self.status]:
            self.status = facts.status
            changed = True
        return changed

    def listings(self) -> frozenset[Listing]:
        """Where this stay appears now (see the module docs); nowhere until its dates are known."""
        if self.check_in is None or self.check_out is None:
            return frozenset()
        if self.status == "Confirmed":
            return frozenset({(self.check_in, "arrival")})
        if self.status == "CheckedIn":
            nights = stay_nights(self.check_in, self.check_out)
            return frozenset(
                {(self.check_out, "departure"), *((night, "inHouse") for night in nights)}
            )
        if self.status == "CheckedOut":
            return frozenset({(self.check_out, "departure")})
        return frozenset()

    def guest_line(self) -> dict[str, Any]:
        """One line of a day's sheet: the API's ``FrontdeskGuest`` (openapi.yaml)."""
        return {
            "reservationId": self.reservation_id,
            "guestId": self.guest_id,
            "guestName": self.guest_name,
            "roomType": self.room_type,
            "roomNumber": self.room_number,
            "checkIn": None if self.check_in is None else self.check_in.isoformat(),
            "checkOut": None if self.check_out is None else self.check_out.isoformat(),
            "status": self.status,
        }
