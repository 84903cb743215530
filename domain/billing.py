"""The billing context: one folio per reservation, priced, authorized, voided or captured.

Statuses: ``Authorized`` (the full stay is authorized, nothing captured), ``Declined``,
``Voided`` (cancelled free of charge), ``PartiallyCaptured`` (late cancellation: the first night
captured, the rest voided), ``Captured`` (check-out: the stay captured) and ``Cancelled``: a
tombstone written when ``ReservationCancelled`` arrives before ``RoomAllocated``, so the late
allocation leaves no live authorization.

``lines`` always itemise ``total``: the stay's nights while authorized or captured, the
cancellation fee after a late cancellation, nothing (total 0.00) when voided or declined.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from domain.aggregate import Aggregate
from domain.errors import InvalidTransitionError
from domain.events import PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentVoided
from domain.money import ZERO, format_money, quantize
from domain.stay import Stay

FolioStatus = Literal[
    "Authorized", "Declined", "Voided", "Captured", "PartiallyCaptured", "Cancelled"
]
FREE_CANCELLATION_NOTICE: Final = timedelta(hours=48)


class FolioLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str
    date: dt.date  # `dt.` because the field's name shadows the type
    amount: Decimal

    def to_body(self) -> dict[str, str]:
        return {
            "description": self.description,
            "date": self.date.isoformat(),
            "amount": format_money(self.amount),
        }


def price_stay(stay: Stay, nightly_rate: Decimal) -> list[FolioLine]:
    """One line per night at the nightly rate; the total is their sum (nights x rate)."""
    rate = quantize(nightly_rate)
    return [
        FolioLine(
            description=f"{stay.room_type} room, night of {night.isoformat()}",
            date=night,
            amount=rate,
        )
        for night in stay.nights
    ]


def lines_total(lines: list[FolioLine]) -> Decimal:
    return quantize(sum((line.amount for line in lines), ZERO))


def cancellation_fee(
    check_in: date, cancelled_at: datetime, nightly_rate: Decimal, was_confirmed: bool
) -> Decimal:
    """Free if not confirmed, or cancelled at least 48 h before 00:00 UTC of check-in; else the
    first night. A naive ``cancelled_at`` is taken as UTC."""
    if not was_confirmed:
        return ZERO
    if cancelled_at.tzinfo is None:
        cancelled_at = cancelled_at.replace(tzinfo=UTC)
    deadline = datetime.combine(check_in, time(0), tzinfo=UTC) - FREE_CANCELLATION_NOTICE
    return ZERO if cancelled_at <= deadline else quantize(nightly_rate)


class Folio(Aggregate):
    reservation_id: str
    hotel_id: str
    room_type: str
    status: FolioStatus
    currency: str
    guest_id: str | None = None
    room_number: str | None = None
    check_in: date | None = None
    check_out: date | None = None
    nights: int = 0
    nightly_rate: Decimal = ZERO
    lines: list[FolioLine] = []
    total: Decimal = ZERO
    authorized_amount: Decimal = ZERO
    captured_amount: Decimal = ZERO
    authorization_id: str | None = None
    updated_at: datetime

    # --- creation ------------------------------------------------------------------------------

    @classmethod
    def authorized(
        cls,
        *,
        reservation_id: str,
        stay: Stay,
        room_number: str,
        guest_id: str,
        nightly_rate: Decimal,
        currency: str,
        authorization_id: str,
        at: datetime,
    ) -> Folio:
        folio = cls._priced(
            reservation_id, stay, room_number, guest_id, nightly_rate, currency, "Authorized", at
        )
        folio.authorization_id = authorization_id
        folio.authorized_amount = folio.total
        folio.record(
            PaymentAuthorized(
                reservation_id=reservation_id,
                hotel_id=stay.hotel_id,
                occurred_at=at,
                room_type=stay.room_type,
                room_number=room_number,
                amount=folio.total,
                currency=currency,
                authorization_id=authorization_id,
            )
        )
        return folio

    @classmethod
    def declined(
        cls,
        *,
        reservation_id: str,
        stay: Stay,
        room_number: str,
        guest_id: str,
        nightly_rate: Decimal,
        currency: str,
        at: datetime,
    ) -> Folio:
        folio = cls._priced(
            reservation_id, stay, room_number, guest_id, nightly_rate, currency, "Declined", at
        )
        folio.lines = []
        folio.total = ZERO
        folio.record(
            PaymentDeclined(
                reservation_id=reservation_id,
                hotel_id=stay.hotel_id,
                occurred_at=at,
                room_type=stay.room_type,
                room_number=room_number,
                nights=stay.nights,
            )
        )
        return folio

    @classmethod
    def tombstone(
        cls, *, reservation_id: str, hotel_id: str, room_type: str, currency: str, at: datetime
    ) -> Folio:
        """Cancelled before billing saw the allocation: nothing to authorize, ever."""
        return cls(
            reservation_id=reservation_id,
            hotel_id=hotel_id,
            room_type=room_type,
            status="Cancelled",
            currency=currency,
            updated_at=at,
        )

    @classmethod
    def _priced(
        cls,
        reservation_id: str,
        stay: Stay,
        room_number: str,
        guest_id: str,
        nightly_rate: Decimal,
        currency: str,
        status: FolioStatus,
        at: datetime,
    ) -> Folio:
        lines = price_stay(stay, nightly_rate)
        return cls(
            reservation_id=reservation_id,
            hotel_id=stay.hotel_id,
            room_type=stay.room_type,
            status=status,
            currency=currency,
            guest_id=guest_id,
            room_number=room_number,
            check_in=stay.check_in,
            check_out=stay.check_out,
            nights=len(lines),
            nightly_rate=quantize(nightly_rate),
            lines=lines,
            total=lines_total(lines),
            updated_at=at,
        )

    # --- transitions ---------------------------------------------------------------------------

    @property
    def is_live_authorization(self) -> bool:
        return self.status == "Authorized"

    def cancellation_fee(self, *, cancelled_at: datetime, was_confirmed: bool) -> Decimal:
        if self.check_in is None:
            return ZERO
        return cancellation_fee(self.check_in, cancelled_at, self.nightly_rate, was_confirmed)

    def cancel(self, *, fee: Decimal, at: datetime) -> None:
        """Settle a cancellation: capture ``fee`` (0 = free) and void the rest."""
        self._require_authorized("cancel")
        fee = quantize(fee)
        if fee > ZERO:
            if self.check_in is None or self.guest_id is None:
                raise InvalidTransitionError(f"folio {self.reservation_id} is not priced")
            self.status = "PartiallyCaptured"
            self.lines = [
                FolioLine(
                    description="Cancellation fee (first night)", date=self.check_in, amount=fee
                )
            ]
            self.captured_amount = fee
            self.record(
                PaymentCaptured(
                    reservation_id=self.reservation_id,
                    hotel_id=self.hotel_id,
                    occurred_at=at,
                    guest_id=self.guest_id,
                    amount=fee,
                    currency=self.currency,
                    kind="cancellation_fee",
                    nights=1,
                )
            )
        else:
            self.status = "Voided"
            self.lines = []
        self.total = fee
        self.updated_at = at
        self.record(
            PaymentVoided(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                amount=quantize(self.authorized_amount - fee),
                currency=self.currency,
            )
        )

    def void_late_authorization(
        self, *, authorization_id: str, amount: Decimal, at: datetime
    ) -> None:
        """On a tombstone: an authorization made for a cancelled reservation was voided at once."""
        if self.status != "Cancelled":
            raise InvalidTransitionError(f"folio {self.reservation_id} is {self.status}")
        self.status = "Voided"
        self.authorization_id = authorization_id
        self.authorized_amount = quantize(amount)
        self.updated_at = at
        self.record(
            PaymentVoided(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                amount=quantize(amount),
                currency=self.currency,
            )
        )

    def capture_stay(self, *, at: datetime, checked_out_at: datetime | None = None) -> Decimal:
        """Check-out (at ``checked_out_at``): capture the whole stay; returns the amount."""
        self._require_authorized("capture")
        if self.guest_id is None:
            raise InvalidTransitionError(f"folio {self.reservation_id} has no guest")
        self.status = "Captured"
        self.captured_amount = self.total
        self.updated_at = at
        self.record(
            PaymentCaptured(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                guest_id=self.guest_id,
                amount=self.total,
                currency=self.currency,
                kind="stay",
                nights=self.nights,
                checked_out_at=checked_out_at or at,
            )
        )
        return self.total

    def _require_authorized(self, action: str) -> None:
        if self.status != "Authorized" or self.authorization_id is None:
            raise InvalidTransitionError(
                f"cannot {action} folio {self.reservation_id} in status {self.status}"
            )

    # --- views ---------------------------------------------------------------------------------

    def invoice(self) -> dict[str, Any]:
        """The contract's invoice body."""
        return {
            "reservationId": self.reservation_id,
            "status": self.status,
            "currency": self.currency,
            "lines": [line.to_body() for line in self.lines],
            "total": format_money(self.total),
        }
