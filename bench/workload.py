"""What each arrival does (pure): the realistic mix and the pure-booking run.

The mix (by weight): plain bookings that should confirm, bookings with a declined card, bookings
cancelled a little later, and stays (check-in, then check-out). Follow-up requests are open-loop
too: each is scheduled at a fixed delay after its booking's intended time, never after a reply, so
a slow saga shows up as 409s (not yet confirmed) instead of slowing the load down.

Every booking gets its own check-in day (``day_offset`` + its index), so no run measures a
sold-out hotel and two runs on one stack never compete for the same nights.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, Literal

Kind = Literal["book", "declined", "cancel", "stay"]
MIX: Final[tuple[tuple[Kind, int], ...]] = (
    ("book", 70),
    ("declined", 10),
    ("cancel", 10),
    ("stay", 10),
)
PURE: Final[tuple[tuple[Kind, int], ...]] = (("book", 100),)
# Where the bookings go: (hotel, room type) in turn; the room types with the most rooms.
ROOM_TYPES: Final = (("grand-lisbon", "STD"), ("grand-lisbon", "DLX"), ("harbor-porto", "STD"))
CANCEL_AFTER: Final = 1.5  # seconds after the booking's intended time
CHECK_IN_AFTER: Final = 3.0
CHECK_OUT_AFTER: Final = 4.0
DECLINED_TOKEN: Final = "tok_declined"


@dataclass(frozen=True)
class FollowUp:
    action: Literal["cancel", "check-in", "check-out"]
    after: float  # seconds after the booking's intended time


@dataclass(frozen=True)
class Booking:
    index: int
    kind: Kind
    hotel_id: str
    room_type: str
    check_in: date
    check_out: date
    guest_id: str
    token: str

    @property
    def follow_ups(self) -> tuple[FollowUp, ...]:
        if self.kind == "cancel":
            return (FollowUp("cancel", CANCEL_AFTER),)
        if self.kind == "stay":
            return (FollowUp("check-in", CHECK_IN_AFTER), FollowUp("check-out", CHECK_OUT_AFTER))
        return ()

    @property
    def settles_alone(self) -> bool:
        """True when nothing follows the booking, so its updatedAt is the saga's last step."""
        return not self.follow_ups

    def body(self) -> dict[str, Any]:
        return {
            "hotelId": self.hotel_id,
            "roomType": self.room_type,
            "checkIn": self.check_in.isoformat(),
            "checkOut": self.check_out.isoformat(),
            "guests": 2,
            "guest": {"id": self.guest_id, "name": "Bench Guest", "email": "bench@example.org"},
            "paymentToken": self.token,
        }


def plan(
    count: int, *, mix: tuple[tuple[Kind, int], ...], today: date, day_offset: int, seed: int
) -> list[Booking]:
    """``count`` bookings drawn from ``mix`` (seeded), each on its own check-in day."""
    rng = random.Random(seed)
    kinds = [kind for kind, _ in mix]
    weights = [weight for _, weight in mix]
    bookings: list[Booking] = []
    for index in range(count):
        kind = rng.choices(kinds, weights)[0]
        hotel_id, room_type = ROOM_TYPES[index % len(ROOM_TYPES)]
        check_in = today + timedelta(days=day_offset + index)
        # Stays check in today in the real world; the domain allows any Confirmed stay.
        bookings.append(
            Booking(
                index=index,
                kind=kind,
                hotel_id=hotel_id,
                room_type=room_type,
                check_in=check_in,
                check_out=check_in + timedelta(days=1 + index % 2),
                guest_id=f"bench-{seed}-{index % 50}",
                token=DECLINED_TOKEN if kind == "declined" else "tok_visa",
            )
        )
    return bookings
