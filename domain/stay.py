"""A stay: the nights in [checkIn, checkOut), at most 30, starting today (UTC) or later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

MAX_NIGHTS: Final = 30


@dataclass(frozen=True)
class Stay:
    """What a booking is for, as every context sees it: a room type at a hotel, for the nights
    in [check_in, check_out).

    It does not check the dates: the booking did, once, at the edge (``stay_errors``), and every
    context after that takes the stay as the events carry it.
    """

    hotel_id: str
    room_type: str
    check_in: date
    check_out: date

    @property
    def nights(self) -> list[date]:
        return stay_nights(self.check_in, self.check_out)


def stay_nights(check_in: date, check_out: date) -> list[date]:
    """Each night of the stay, by the date it starts on: [check_in, check_out)."""
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


def stay_errors(check_in: date, check_out: date, today: date) -> dict[str, str]:
    """The rule each date breaks, keyed by the contract's field name; empty when the stay is ok."""
    errors: dict[str, str] = {}
    if check_in < today:
        errors["checkIn"] = f"must not be before today ({today.isoformat()}, UTC)"
    nights = (check_out - check_in).days
    if nights <= 0:
        errors["checkOut"] = "must be after checkIn"
    elif nights > MAX_NIGHTS:
        errors["checkOut"] = f"a stay has at most {MAX_NIGHTS} nights"
    return errors
