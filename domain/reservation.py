"""The reservation: what the guest asked for and where the saga has taken it.

Status machine (docs/api.md)::

    Pending -> Confirmed | Rejected
    Pending | Confirmed -> Cancelled
    Confirmed -> CheckedIn -> CheckedOut

Commands (``request``, ``cancel``, ``check_in``, ``check_out``) raise InvalidTransitionError when
the status does not allow them; cancelling a cancelled reservation is a no-op (HTTP 200).
Reactions to the saga's feedback (``confirm``, ``reject``) are no-ops once the reservation has
left ``Pending``, so duplicates and late or out-of-order events converge.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from domain.aggregate import Aggregate
from domain.errors import InvalidTransitionError
from domain.events import (
    GuestCheckedIn,
    GuestCheckedOut,
    ReservationCancelled,
    ReservationConfirmed,
    ReservationRejected,
    ReservationRequested,
)
from domain.money import format_money, quantize
from domain.stay import Stay

ReservationStatus = Literal[
    "Pending", "Confirmed", "Rejected", "Cancelled", "CheckedIn", "CheckedOut"
]
RejectionReason = Literal["no_availability", "payment_declined"]
CANCELLED_BY_GUEST: Literal["cancelled_by_guest"] = "cancelled_by_guest"


class Guest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    email: str


class Reservation(Aggregate):
    reservation_id: str
    status: ReservationStatus = "Pending"
    hotel_id: str
    room_type: str
    check_in: date
    check_out: date
    nights: int
    guests: int
    guest: Guest
    room_number: str | None = None
    total: Decimal | None = None
    currency: str
    reason: str | None = None
    created_at: datetime
    updated_at: datetime
    # sha256 of the request body, kept to tell a retried request (same Idempotency-Key, same
    # body) from a reused key (same key, different body).
    request_fingerprint: str | None = None

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def request(
        cls,
        *,
        reservation_id: str,
        stay: Stay,
        guests: int,
        guest: Guest,
        currency: str,
        payment_method_ref: str,
        at: datetime,
        request_fingerprint: str | None = None,
    ) -> Reservation:
        reservation = cls(
            reservation_id=reservation_id,
            hotel_id=stay.hotel_id,
            room_type=stay.room_type,
            check_in=stay.check_in,
            check_out=stay.check_out,
            nights=len(stay.nights),
            guests=guests,
            guest=guest,
            currency=currency,
            created_at=at,
            updated_at=at,
            request_fingerprint=request_fingerprint,
        )
        reservation.record(
            ReservationRequested(
                reservation_id=reservation_id,
                hotel_id=stay.hotel_id,
                occurred_at=at,
                room_type=stay.room_type,
                check_in=stay.check_in,
                check_out=stay.check_out,
                guests=guests,
                guest_id=guest.id,
                guest_name=guest.name,
                payment_method_ref=payment_method_ref,
            )
        )
        return reservation

    def cancel(self, *, at: datetime) -> bool:
        """Cancel; False (and nothing recorded) if it was cancelled already."""
        if self.status == "Cancelled":
            return False
        self._require("cancel", "Pending", "Confirmed")
        was_confirmed = self.status == "Confirmed"
        self._move("Cancelled", at)
        self.reason = CANCELLED_BY_GUEST
        self.record(
            ReservationCancelled(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                room_type=self.room_type,
                check_in=self.check_in,
                check_out=self.check_out,
                cancelled_at=at,
                was_confirmed=was_confirmed,
            )
        )
        return True

    def check_in_guest(self, *, at: datetime) -> None:
        self._require("check in", "Confirmed")
        self._move("CheckedIn", at)
        self.record(
            GuestCheckedIn(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                guest_id=self.guest.id,
                room_number=self._room(),
            )
        )

    def check_out_guest(self, *, at: datetime) -> None:
        self._require("check out", "CheckedIn")
        self._move("CheckedOut", at)
        self.record(
            GuestCheckedOut(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                guest_id=self.guest.id,
                room_number=self._room(),
                nights=self.nights,
            )
        )

    # --- reactions to the saga -----------------------------------------------------------------

    def confirm(self, *, room_number: str, total: Decimal, currency: str, at: datetime) -> bool:
        """Payment authorized: Pending -> Confirmed. A no-op (False) in any other status."""
        if self.status != "Pending":
            return False
        self._move("Confirmed", at)
        self.room_number = room_number
        self.total = quantize(total)
        self.currency = currency
        self.record(
            ReservationConfirmed(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                room_type=self.room_type,
                room_number=room_number,
                total=self.total,
                currency=currency,
            )
        )
        return True

    def reject(self, reason: RejectionReason, *, at: datetime) -> bool:
        """No room or payment declined: Pending -> Rejected. A no-op (False) otherwise."""
        if self.status != "Pending":
            return False
        self._move("Rejected", at)
        self.reason = reason
        self.record(
            ReservationRejected(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                reason=reason,
            )
        )
        return True

    # --- views ---------------------------------------------------------------------------------

    def to_body(self) -> dict[str, Any]:
        """The contract's reservation body.

        Every key is always present: ``roomNumber`` and ``total`` are null until the reservation
        is confirmed, ``reason`` is null unless it was rejected or cancelled.
        """
        return {
            "reservationId": self.reservation_id,
            "status": self.status,
            "hotelId": self.hotel_id,
            "roomType": self.room_type,
            "checkIn": self.check_in.isoformat(),
            "checkOut": self.check_out.isoformat(),
            "nights": self.nights,
            "guests": self.guests,
            "guest": {"id": self.guest.id, "name": self.guest.name, "email": self.guest.email},
            "roomNumber": self.room_number,
            "total": None if self.total is None else format_money(self.total),
            "currency": self.currency,
            "reason": self.reason,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
        }

    # --- helpers -------------------------------------------------------------------------------

    def _require(self, action: str, *allowed: ReservationStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransitionError(
                f"cannot {action} reservation {self.reservation_id} in status {self.status}"
            )

    def _move(self, status: ReservationStatus, at: datetime) -> None:
        self.status = status
        self.updated_at = at

    def _room(self) -> str:
        if self.room_number is None:  # a confirmed reservation always has its room
            raise InvalidTransitionError(f"reservation {self.reservation_id} has no room")
        return self.room_number
