"""What the harness did and got (the journal) and what it found afterwards (the observation).

Plain data, no I/O: the audit is pure functions over these two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

TERMINAL = frozenset({"Confirmed", "Rejected", "Cancelled", "CheckedIn", "CheckedOut"})
LIVE = frozenset({"Confirmed", "CheckedIn", "CheckedOut"})  # hold their room-nights


@dataclass
class Outcome:
    """The answer to one command: HTTP status (None: the answer was lost) and body status."""

    http: int | None
    status: str | None = None

    @property
    def accepted(self) -> bool:
        return self.http in (200, 202)


@dataclass
class Booking:
    """One accepted booking (a 202) and every answer the harness got about it."""

    reservation_id: str
    guest_id: str
    hotel_id: str
    room_type: str
    check_in: date
    check_out: date
    token: str
    idempotency_key: str | None = None
    resent_ids: list[str | None] = field(default_factory=list)  # ids answered to re-sends
    cancel: Outcome | None = None
    check_in_outcome: Outcome | None = None
    check_out_outcome: Outcome | None = None
    saw_confirmed_before_cancel: bool = False

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days


@dataclass
class Journal:
    bookings: dict[str, Booking] = field(default_factory=dict)
    refused_posts: list[int] = field(default_factory=list)  # non-202 answers to a booking
    lost_posts: int = 0  # bookings whose answer never came (outcome unknown)
    guests: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class RoomType:
    rooms: int
    nightly_rate: Decimal


@dataclass(frozen=True)
class NightRow:
    """A ``night|...`` row of the Rooms table: one held room-night."""

    hotel_id: str
    room_type: str
    night: date
    room: str
    reservation_id: str


@dataclass
class Observed:
    """Everything collected after settling (API bodies are the contract's JSON)."""

    catalog: dict[tuple[str, str], RoomType] = field(default_factory=dict)
    # Every reservation in the Reservations table (as the API's body), acknowledged or not.
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    reservations: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # None = 404
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # None = 404
    loyalty: dict[str, dict[str, Any]] = field(default_factory=dict)
    # rooms total - available, per (hotel, room type, night), from the availability API
    held: dict[tuple[str, str, date], int] = field(default_factory=dict)
    night_rows: list[NightRow] = field(default_factory=list)
    unpublished_outbox: int = 0
    dead_letters: dict[str, int] = field(default_factory=dict)
    # the front desk's sheets (GET /hotels/{id}/frontdesk?date=) per (hotel, day)
    frontdesk: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
