"""Event streams: each event once, no effect twice, and the events a final status implies
(``REQUIRED``) and rules out (``FORBIDDEN``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from chaos.audit.check import Check
from chaos.audit.reading import all_reservations, event_data, first_event, short, type_names
from chaos.model import Journal, Observed

BASE = ("ReservationRequested",)
CONFIRMED = (*BASE, "RoomAllocated", "PaymentAuthorized", "ReservationConfirmed")
REQUIRED: dict[str, tuple[str, ...]] = {
    "Confirmed": CONFIRMED,
    "CheckedIn": (*CONFIRMED, "GuestCheckedIn"),
    "CheckedOut": (
        *CONFIRMED,
        "GuestCheckedIn",
        "GuestCheckedOut",
        "PaymentCaptured",
        "LoyaltyPointsAwarded",
    ),
    "Rejected:no_availability": (*BASE, "RoomAllocationFailed", "ReservationRejected"),
    "Rejected:payment_declined": (
        *BASE,
        "RoomAllocated",
        "PaymentDeclined",
        "ReservationRejected",
        "RoomReleased",
    ),
    "Cancelled": (*BASE, "ReservationCancelled"),
}
_ENDED = ("ReservationRejected", "ReservationCancelled", "RoomReleased", "PaymentVoided")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "Confirmed": (*_ENDED, "RoomAllocationFailed", "PaymentDeclined", "GuestCheckedIn"),
    "CheckedIn": (*_ENDED, "RoomAllocationFailed", "PaymentDeclined", "GuestCheckedOut"),
    "CheckedOut": (*_ENDED, "RoomAllocationFailed", "PaymentDeclined"),
    "Rejected": (
        "ReservationConfirmed",
        "PaymentAuthorized",
        "GuestCheckedIn",
        "ReservationCancelled",
    ),
    "Cancelled": ("ReservationRejected", "GuestCheckedIn", "GuestCheckedOut"),
}


def required_events(
    body: Mapping[str, Any], types: Iterable[str], cancelled: Mapping[str, Any]
) -> set[str]:
    """What the stream of a reservation in this final status must hold."""
    status = body["status"]
    present = set(types)
    key = f"Rejected:{body.get('reason')}" if status == "Rejected" else status
    required = set(REQUIRED.get(key, BASE))
    if status == "Cancelled":
        if "RoomAllocated" in present:
            required.add("RoomReleased")  # a held room is let go
        if "PaymentAuthorized" in present:
            required.add("PaymentVoided")  # an authorization is voided
        if cancelled.get("wasConfirmed"):
            required.update(CONFIRMED)
    return required


def check_event_streams(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "event-streams",
        "each event id once per stream, no effect twice, and the events its final status implies",
    )
    for rid, body in all_reservations(observed).items():
        if rid not in observed.events:
            if rid in journal.bookings:
                check.fail(f"{short(rid)}: events not collected")
            continue
        events = observed.events[rid]
        check.checked += 1
        ids = Counter(str(e.get("id")) for e in events)
        for event_id, count in ids.items():
            if count > 1:
                check.fail(f"{short(rid)}: event {event_id[:8]} appears {count} times")
        types = type_names(events)
        for name, count in Counter(types).items():
            if count > 1:
                check.fail(f"{short(rid)}: {name} recorded {count} times (an effect repeated)")
        foreign = {
            str(event_data(e).get("reservationId"))
            for e in events
            if event_data(e).get("reservationId") != rid
        }
        if foreign:
            check.fail(f"{short(rid)}: stream holds events of {sorted(foreign)}")
        status = body["status"]
        required = required_events(
            body, types, event_data(first_event(events, "ReservationCancelled"))
        )
        missing = sorted(required - set(types))
        if missing:
            check.fail(f"{short(rid)}: {status} but the stream lacks {', '.join(missing)}")
        wrong = sorted(set(FORBIDDEN.get(status, ())) & set(types))
        if wrong:
            check.fail(f"{short(rid)}: {status} but the stream holds {', '.join(wrong)}")
    return check
