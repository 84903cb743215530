"""Versioned domain events: the saga's vocabulary, and the one source of truth for docs/events.md.

Every event is a frozen pydantic model with a past-tense name. On the wire it is the ``data`` of a
CloudEvent whose ``type`` is ``Hotel.<ClassName>`` and whose ``subject`` is
``/hotels/{hotelId}/reservations/{reservationId}`` (docs/events.md). The payload carries
``schemaVersion``; readers upcast older payloads with ``parse_event`` before validation, so a
publisher can move to a new version while old events are still in flight or dead-lettered.

Secrets never travel in events: the payment token stays in the payment-method vault and events
carry only an opaque ``paymentMethodRef``; the guest's e-mail stays with the reservation. The
guest's name travels once, in ``ReservationRequested`` (v2), for the front desk's lists.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from domain.errors import EventSchemaError, NewerSchemaVersionError, UnknownEventTypeError
from domain.stay import Stay

EVENT_TYPE_PREFIX = "Hotel."


def new_event_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


class DomainEvent(BaseModel):
    """Base of every event: identity, the reservation it belongs to, when, and schema version."""

    model_config = ConfigDict(
        frozen=True, alias_generator=to_camel, populate_by_name=True, extra="forbid"
    )

    schema_version: int = 1
    event_id: str = Field(default_factory=new_event_id)
    reservation_id: str
    hotel_id: str
    occurred_at: datetime = Field(default_factory=utc_now)

    # Bumped when the payload changes incompatibly; `upcasters` turn older payloads into this one.
    CURRENT_VERSION: ClassVar[int] = 1
    upcasters: ClassVar[Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}

    @classmethod
    def event_type(cls) -> str:
        return EVENT_TYPE_PREFIX + cls.__name__

    @property
    def subject(self) -> str:
        return f"/hotels/{self.hotel_id}/reservations/{self.reservation_id}"

    def to_data(self) -> dict[str, Any]:
        """The CloudEvent ``data``: JSON-safe, camelCase, Decimal money as strings."""
        return self.model_dump(mode="json", by_alias=True)


# --- reservations context ------------------------------------------------------------------------


def _guest_name_from_v1(payload: dict[str, Any]) -> dict[str, Any]:
    # v1 did not carry the name; an honest "unknown" rather than a made-up one.
    return {**payload, "guestName": None}


class ReservationRequested(DomainEvent):
    room_type: str
    check_in: date
    check_out: date
    guests: int
    guest_id: str
    payment_method_ref: str
    # v2: the name the front desk greets the guest by (its lists are built from events alone).
    guest_name: str | None = None

    CURRENT_VERSION: ClassVar[int] = 2
    schema_version: int = 2
    upcasters: ClassVar[Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {
        1: _guest_name_from_v1
    }

    @property
    def stay(self) -> Stay:
        return Stay(self.hotel_id, self.room_type, self.check_in, self.check_out)


class ReservationConfirmed(DomainEvent):
    room_type: str
    room_number: str
    total: Decimal
    currency: str


class ReservationRejected(DomainEvent):
    reason: Literal["no_availability", "payment_declined"]


class ReservationCancelled(DomainEvent):
    room_type: str
    check_in: date
    check_out: date
    cancelled_at: datetime
    # Whether the reservation was Confirmed when cancelled; billing applies the fee policy only
    # then (a Pending booking was never promised to the guest, so cancelling it is always free).
    was_confirmed: bool


class GuestCheckedIn(DomainEvent):
    guest_id: str
    room_number: str


class GuestCheckedOut(DomainEvent):
    guest_id: str
    room_number: str
    nights: int


# --- rooms context -------------------------------------------------------------------------------


class RoomAllocated(DomainEvent):
    room_type: str
    room_number: str
    check_in: date
    check_out: date
    nights: list[date]
    guest_id: str
    payment_method_ref: str

    @property
    def stay(self) -> Stay:
        return Stay(self.hotel_id, self.room_type, self.check_in, self.check_out)


class RoomAllocationFailed(DomainEvent):
    room_type: str
    reason: Literal["no_availability"] = "no_availability"


class RoomReleased(DomainEvent):
    room_type: str
    room_number: str
    nights: list[date]
    reason: Literal["cancelled", "payment_declined"]


# --- billing context -----------------------------------------------------------------------------


class PaymentAuthorized(DomainEvent):
    room_type: str
    room_number: str
    amount: Decimal
    currency: str
    authorization_id: str


class PaymentDeclined(DomainEvent):
    room_type: str
    room_number: str
    nights: list[date]
    reason: Literal["payment_declined"] = "payment_declined"


def _checked_out_at_from_v1(payload: dict[str, Any]) -> dict[str, Any]:
    # v1 had no check-out time: the capture's own time is the closest it knew.
    checked_out_at = payload.get("occurredAt") if payload.get("kind") == "stay" else None
    return {**payload, "checkedOutAt": checked_out_at}


class PaymentCaptured(DomainEvent):
    guest_id: str
    amount: Decimal
    currency: str
    kind: Literal["stay", "cancellation_fee"]
    nights: int
    # v2: when the guest checked out (stays only). Loyalty rates stays in check-out order, which
    # the order captures are delivered in need not follow.
    checked_out_at: datetime | None = None

    CURRENT_VERSION: ClassVar[int] = 2
    schema_version: int = 2
    upcasters: ClassVar[Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {
        1: _checked_out_at_from_v1
    }


class PaymentVoided(DomainEvent):
    amount: Decimal
    currency: str


# --- loyalty context -----------------------------------------------------------------------------


class LoyaltyPointsAwarded(DomainEvent):
    guest_id: str
    points: int
    tier: str
    total_points: int
    total_nights: int


class LoyaltyPointsAdjusted(DomainEvent):
    """A stay's points re-rated because an earlier stay's capture arrived after it: its tier
    (hence multiplier) was too low. ``points`` is the change."""

    guest_id: str
    points: int
    tier: str
    total_points: int
    total_nights: int


EVENT_CLASSES: tuple[type[DomainEvent], ...] = (
    ReservationRequested,
    ReservationConfirmed,
    ReservationRejected,
    ReservationCancelled,
    GuestCheckedIn,
    GuestCheckedOut,
    RoomAllocated,
    RoomAllocationFailed,
    RoomReleased,
    PaymentAuthorized,
    PaymentDeclined,
    PaymentCaptured,
    PaymentVoided,
    LoyaltyPointsAwarded,
    LoyaltyPointsAdjusted,
)
EVENT_REGISTRY: Mapping[str, type[DomainEvent]] = {cls.event_type(): cls for cls in EVENT_CLASSES}


def parse_event(event_type: str, data: object) -> DomainEvent:
    """Decode a CloudEvent's type and data into a domain event, upcasting older versions.

    Raises UnknownEventTypeError or EventSchemaError: both mean the event can never be processed
    (quarantine it). Raises NewerSchemaVersionError for a version above ``CURRENT_VERSION``: a
    newer publisher mid-deploy, which this worker can process once upgraded (transient, retried).
    """
    cls = EVENT_REGISTRY.get(event_type)
    if cls is None:
        raise UnknownEventTypeError(f"unknown event type {event_type!r}")
    if not isinstance(data, dict):
        raise EventSchemaError(f"{event_type}: data must be a JSON object")
    payload = dict(data)
    version = payload.get("schemaVersion", 1)
    # bool is an int subclass, but ``true`` is no version number.
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise EventSchemaError(f"{event_type}: unsupported schemaVersion {version!r}")
    if version > cls.CURRENT_VERSION:
        raise NewerSchemaVersionError(
            f"{event_type}: schemaVersion {version} is newer than this worker's "
            f"{cls.CURRENT_VERSION} (a newer publisher; retry once this worker is upgraded)"
        )
    while version < cls.CURRENT_VERSION:
        payload = cls.upcasters[version](payload)
        version += 1
        payload["schemaVersion"] = version
    try:
        return cls.model_validate(payload)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise EventSchemaError(f"{event_type}: {exc}") from exc
