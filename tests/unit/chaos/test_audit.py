"""The chaos audit on hand-made data: a consistent world passes, each kind of damage fails."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chaos.audit import (
    Check,
    audit,
    check_accepted_terminal,
    check_ended_release_everything,
    check_event_streams,
    check_frontdesk,
    check_idempotent_retries,
    check_invoices,
    check_live_have_room_and_authorization,
    check_loyalty,
    check_room_nights,
    expected_statuses,
)
from chaos.model import Booking, Journal, NightRow, Observed, Outcome, RoomType

HOTEL, KIND, RATE = "grand-lisbon", "STE", Decimal("350.00")
CHECK_IN = date(2031, 5, 1)
GUEST = "g-1"


def body(
    rid: str, status: str, *, room: str | None = "301", nights: int = 2, **extra: Any
) -> dict[str, Any]:
    return {
        "reservationId": rid,
        "status": status,
        "hotelId": HOTEL,
        "roomType": KIND,
        "checkIn": CHECK_IN.isoformat(),
        "checkOut": (CHECK_IN + timedelta(days=nights)).isoformat(),
        "nights": nights,
        "guest": {"id": GUEST, "name": "n", "email": "e@x.org"},
        "roomNumber": room,
        "total": str(RATE * nights) if room else None,
        "reason": extra.get("reason"),
        "updatedAt": "2031-01-01T00:00:00+00:00",
    }


def event(rid: str, name: str, n: int, **data: Any) -> dict[str, Any]:
    return {
        "id": f"{rid}-{n}",
        "type": f"Hotel.{name}",
        "time": f"2031-01-01T00:00:{n:02d}+00:00",
        "data": {"reservationId": rid, **data},
    }


def stream(rid: str, *names: str, **data: Any) -> list[dict[str, Any]]:
    return [event(rid, name, i, **data.get(name, {})) for i, name in enumerate(names)]


def invoice(rid: str, status: str, total: Decimal, lines: int = 0) -> dict[str, Any]:
    amount = str(total / lines) if lines else "0"
    return {
        "reservationId": rid,
        "status": status,
        "total": str(total),
        "lines": [{"description": "x", "date": "2031-05-01", "amount": amount}] * lines,
    }


def world() -> tuple[Journal, Observed]:
    """A confirmed, a checked-out, a cancelled (free) and a rejected booking, all consistent."""
    journal = Journal(guests={GUEST})
    observed = Observed(catalog={(HOTEL, KIND): RoomType(rooms=2, nightly_rate=RATE)})
    stay = RATE * 2
    confirmed = body("r-conf", "Confirmed", room="301")
    out = body("r-out", "CheckedOut", room="302")
    cancelled = body("r-canc", "Cancelled", room=None, reason="cancelled_by_guest")
    rejected = body("r-rej", "Rejected", room=None, reason="no_availability")
    for b in (confirmed, out, cancelled, rejected):
        observed.stored[b["reservationId"]] = b
        observed.reservations[b["reservationId"]] = b
        journal.bookings[b["reservationId"]] = Booking(
            reservation_id=b["reservationId"],
            guest_id=GUEST,
            hotel_id=HOTEL,
            room_type=KIND,
            check_in=CHECK_IN,
            check_out=CHECK_IN + timedelta(days=2),
            token="tok_visa",
        )
    journal.bookings["r-out"].check_in_outcome = Outcome(202)
    journal.bookings["r-out"].check_out_outcome = Outcome(202)
    journal.bookings["r-canc"].cancel = Outcome(202, "Cancelled")
    observed.events["r-conf"] = stream(
        "r-conf", "ReservationRequested", "RoomAllocated", "PaymentAuthorized",
        "ReservationConfirmed",
    )  # fmt: skip
    observed.events["r-out"] = stream(
        "r-out", "ReservationRequested", "RoomAllocated", "PaymentAuthorized",
        "ReservationConfirmed", "GuestCheckedIn", "GuestCheckedOut", "PaymentCaptured",
        "LoyaltyPointsAwarded",
        PaymentCaptured={"kind": "stay", "amount": str(stay)},
    )  # fmt: skip
    observed.events["r-canc"] = stream(
        "r-canc", "ReservationRequested", "ReservationCancelled",
        ReservationCancelled={"wasConfirmed": False, "cancelledAt": "2031-01-01T00:00:00Z"},
    )  # fmt: skip
    observed.events["r-rej"] = stream(
        "r-rej", "ReservationRequested", "RoomAllocationFailed", "ReservationRejected"
    )
    observed.invoices = {
        "r-conf": invoice("r-conf", "Authorized", stay, 2),
        "r-out": invoice("r-out", "Captured", stay, 2),
        "r-canc": invoice("r-canc", "Cancelled", Decimal("0")),
        "r-rej": None,
    }
    for rid, room in (("r-conf", "301"), ("r-out", "302")):
        for night in (CHECK_IN, CHECK_IN + timedelta(days=1)):
            observed.night_rows.append(NightRow(HOTEL, KIND, night, room, rid))
    observed.held = {(HOTEL, KIND, CHECK_IN): 2, (HOTEL, KIND, CHECK_IN + timedelta(days=1)): 2}
    observed.loyalty[GUEST] = {"guestId": GUEST, "points": 700, "nights": 2, "tier": "Member"}
    observed.frontdesk = {
        (HOTEL, CHECK_IN + timedelta(days=n)): sheet() for n in range(3)
    }  # the confirmed booking arrives on CHECK_IN; the checked-out guest left two days later
    observed.frontdesk[(HOTEL, CHECK_IN)]["arrivals"].append(line("r-conf", "Confirmed", "301"))
    departed = line("r-out", "CheckedOut", "302")
    observed.frontdesk[(HOTEL, CHECK_IN + timedelta(days=2))]["departures"].append(departed)
    return journal, observed


def sheet() -> dict[str, list[dict[str, Any]]]:
    return {"arrivals": [], "departures": [], "inHouse": []}


def line(rid: str, status: str, room: str | None) -> dict[str, Any]:
    return {"reservationId": rid, "status": status, "roomNumber": room, "guestId": GUEST}


def failures(check: Check) -> list[str]:
    assert not check.passed
    return check.violations


def test_a_consistent_world_passes_every_check() -> None:
    journal, observed = world()
    results = audit(journal, observed)
    assert [c.name for c in results if not c.passed] == []
    assert all(c.checked > 0 for c in results if c.name != "idempotent-retries")


def test_a_missing_or_pending_booking_fails() -> None:
    journal, observed = world()
    observed.reservations["r-conf"] = None
    del observed.stored["r-conf"]
    observed.reservations["r-rej"] = {**observed.reservations["r-rej"], "status": "Pending"}  # type: ignore[dict-item]
    lines = failures(check_accepted_terminal(journal, observed))
    assert any("r-conf" in line and "missing" in line for line in lines)
    assert any("r-rej" in line and "still Pending" in line for line in lines)


def test_a_status_the_actions_do_not_imply_fails() -> None:
    journal, observed = world()
    journal.bookings["r-conf"].cancel = Outcome(202, "Cancelled")  # cancelled, yet Confirmed
    assert "Confirmed" in failures(check_accepted_terminal(journal, observed))[0]


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ({}, {"Confirmed", "Rejected"}),
        ({"cancel": Outcome(202)}, {"Cancelled"}),
        ({"cancel": Outcome(409)}, {"Confirmed", "Rejected", "CheckedIn", "CheckedOut"}),
        ({"check_in_outcome": Outcome(202)}, {"CheckedIn"}),
        ({"check_in_outcome": Outcome(None)}, {"Confirmed", "CheckedIn"}),
        ({"check_out_outcome": Outcome(202)}, {"CheckedOut"}),
    ],
)
def test_expected_statuses(outcomes: dict[str, Outcome], expected: set[str]) -> None:
    journal, _ = world()
    booking = journal.bookings["r-conf"]
    for name, outcome in outcomes.items():
        setattr(booking, name, outcome)
    assert expected_statuses(booking) == expected


def test_a_resend_that_creates_another_reservation_fails() -> None:
    journal, observed = world()
    journal.bookings["r-conf"].resent_ids = ["r-conf", "r-other", None]
    lines = failures(check_idempotent_retries(journal, observed))
    assert len(lines) == 2


def test_a_room_night_held_twice_fails() -> None:
    journal, observed = world()
    twin = body("r-twin", "Confirmed", room="301")
    observed.stored["r-twin"] = twin
    lines = failures(check_room_nights(journal, observed))
    assert any("held by" in line for line in lines)  # two live stays on room 301
    assert any("holds no row" in line for line in lines)
    assert any("availability shows 2 held, 3 live" in line for line in lines)


def test_a_leaked_room_night_fails() -> None:
    journal, observed = world()
    observed.night_rows.append(NightRow(HOTEL, KIND, CHECK_IN, "303", "r-canc"))
    observed.held[(HOTEL, KIND, CHECK_IN)] = 3
    assert any("leaked" in line for line in failures(check_room_nights(journal, observed)))
    assert "holds 1 room-night" in failures(check_ended_release_everything(journal, observed))[0]


def test_a_live_booking_without_authorization_or_room_fails() -> None:
    journal, observed = world()
    observed.invoices["r-conf"] = invoice("r-conf", "Voided", Decimal("0"))
    observed.reservations["r-out"] = {**body("r-out", "CheckedOut", room=None)}
    lines = failures(check_live_have_room_and_authorization(journal, observed))
    assert any("invoice is Voided" in line for line in lines)
    assert any("without a room number" in line for line in lines)


def test_a_declined_card_that_got_confirmed_fails() -> None:
    journal, observed = world()
    journal.bookings["r-conf"].token = "tok_declined"
    assert "tok_declined" in failures(check_live_have_room_and_authorization(journal, observed))[0]


def test_a_cancelled_booking_with_a_live_authorization_fails() -> None:
    journal, observed = world()
    observed.invoices["r-canc"] = invoice("r-canc", "Authorized", RATE * 2, 2)
    assert "Authorized" in failures(check_ended_release_everything(journal, observed))[0]


def test_a_wrong_total_or_capture_fails() -> None:
    journal, observed = world()
    observed.invoices["r-conf"] = invoice("r-conf", "Authorized", RATE * 3, 3)
    observed.events["r-out"][6]["data"]["amount"] = "100.00"
    lines = failures(check_invoices(journal, observed))
    assert any("nights x rate" in line for line in lines)
    assert any("captured 100.00" in line for line in lines)


def test_a_fee_for_a_booking_that_was_never_confirmed_fails() -> None:
    journal, observed = world()
    observed.invoices["r-canc"] = invoice("r-canc", "PartiallyCaptured", RATE, 1)
    assert "not Confirmed" in failures(check_invoices(journal, observed))[0]


def test_a_late_cancel_of_a_confirmed_booking_without_fee_fails() -> None:
    journal, observed = world()
    late = (datetime.combine(CHECK_IN, datetime.min.time()) - timedelta(hours=2)).isoformat()
    observed.events["r-canc"][1]["data"] = {
        "reservationId": "r-canc",
        "wasConfirmed": True,
        "cancelledAt": late + "+00:00",
    }
    observed.invoices["r-canc"] = invoice("r-canc", "Voided", Decimal("0"))
    assert "owes a fee of 350.00" in failures(check_invoices(journal, observed))[0]


def test_cancelled_after_confirmed_but_recorded_as_unconfirmed_fails() -> None:
    journal, observed = world()
    journal.bookings["r-canc"].saw_confirmed_before_cancel = True
    assert "wasConfirmed is false" in failures(check_invoices(journal, observed))[0]


def test_points_awarded_twice_fail() -> None:
    journal, observed = world()
    observed.loyalty[GUEST] = {"guestId": GUEST, "points": 1400, "nights": 4, "tier": "Member"}
    assert "expected 700/2/Member" in failures(check_loyalty(journal, observed))[0]


def test_loyalty_follows_check_out_order_across_a_tier() -> None:
    """9 nights as Member, then a stay that starts Silver: order changes the points."""
    journal, observed = world()
    observed.catalog[(HOTEL, KIND)] = RoomType(rooms=20, nightly_rate=Decimal("100.00"))
    observed.stored.clear()
    observed.reservations.clear()
    observed.events.clear()
    for rid, nights, second in (("a", 9, 1), ("b", 2, 2)):
        b = body(rid, "CheckedOut", nights=nights)
        observed.stored[rid] = observed.reservations[rid] = b
        observed.events[rid] = [event(rid, "GuestCheckedOut", second)]
    # a first: 900 x 1 + (b at Member, 9 nights) 200 x 1 = 1100
    observed.loyalty[GUEST] = {"guestId": GUEST, "points": 1100, "nights": 11, "tier": "Silver"}
    assert check_loyalty(journal, observed).passed
    observed.events["a"] = [event("a", "GuestCheckedOut", 3)]  # b checked out first
    # b first: 200 + 900 = 1100 as well (both Member): still fine; now cross the tier:
    observed.stored["c"] = observed.reservations["c"] = body("c", "CheckedOut", nights=1)
    observed.events["c"] = [event("c", "GuestCheckedOut", 4)]
    observed.loyalty[GUEST] = {"guestId": GUEST, "points": 1225, "nights": 12, "tier": "Silver"}
    assert check_loyalty(journal, observed).passed  # c last: 11 nights before it -> x1.25
    observed.events["c"] = [event("c", "GuestCheckedOut", 0)]  # c first: x1
    assert "expected 1200/12/Silver" in failures(check_loyalty(journal, observed))[0]


def test_duplicate_and_missing_events_fail() -> None:
    journal, observed = world()
    events = observed.events["r-conf"]
    observed.events["r-conf"] = [*events[:3], events[1]]  # RoomAllocated twice, no Confirmed
    lines = failures(check_event_streams(journal, observed))
    assert any("appears 2 times" in line for line in lines)
    assert any("RoomAllocated recorded 2 times" in line for line in lines)
    assert any("lacks ReservationConfirmed" in line for line in lines)


def test_a_cancelled_stream_with_an_unreleased_room_fails() -> None:
    journal, observed = world()
    observed.events["r-canc"] = stream(
        "r-canc", "ReservationRequested", "RoomAllocated", "PaymentAuthorized",
        "ReservationCancelled",
        ReservationCancelled={"wasConfirmed": False, "cancelledAt": "2031-01-01T00:00:00Z"},
    )  # fmt: skip
    line = failures(check_event_streams(journal, observed))[0]
    assert "PaymentVoided" in line
    assert "RoomReleased" in line


def test_a_confirmed_stream_with_an_ending_event_fails() -> None:
    journal, observed = world()
    observed.events["r-conf"].append(event("r-conf", "RoomReleased", 9))
    assert "holds RoomReleased" in failures(check_event_streams(journal, observed))[0]


def test_a_cancelled_booking_left_on_the_arrivals_sheet_fails() -> None:
    journal, observed = world()
    observed.frontdesk[(HOTEL, CHECK_IN)]["arrivals"].append(line("r-canc", "Confirmed", None))
    lines = failures(check_frontdesk(journal, observed))
    assert any("r-canc" in v and "listed in arrivals" in v for v in lines), lines
    assert any("r-canc" in v and "status/room" in v for v in lines), lines


def test_a_departed_guest_missing_from_departures_or_shown_stale_fails() -> None:
    journal, observed = world()
    observed.frontdesk[(HOTEL, CHECK_IN + timedelta(days=2))]["departures"] = []
    assert any(
        "missing from departures" in v for v in failures(check_frontdesk(*world()[:1], observed))
    )
    journal, observed = world()
    observed.frontdesk[(HOTEL, CHECK_IN)]["arrivals"] = [line("r-conf", "Pending", "301")]
    assert any("status/room" in v for v in failures(check_frontdesk(journal, observed)))


def test_a_missing_sheet_fails() -> None:
    journal, observed = world()
    del observed.frontdesk[(HOTEL, CHECK_IN + timedelta(days=1))]
    assert any("no front desk sheet" in v for v in failures(check_frontdesk(journal, observed)))
