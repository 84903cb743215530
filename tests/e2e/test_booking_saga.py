"""The booking saga on the whole local stack: real Azurite, real emulator, real host, over HTTP.

The session stack delivers every event twice (the emulator's deliveryMultiplier), so each story
here also shows that duplicates change nothing.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from tests.e2e.stack import book, booking, event_types, future_date, settle, wait_for

pytestmark = pytest.mark.e2e


def availability(api: httpx.Client, hotel: str, room_type: str, night: date) -> int:
    response = api.get(
        f"/hotels/{hotel}/availability",
        params={
            "roomType": room_type,
            "from": night.isoformat(),
            "to": (night + timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    nights = response.json()["nights"]
    assert len(nights) == 1
    return int(nights[0]["available"])


def test_a_booking_is_confirmed_with_a_room_and_a_total(api: httpx.Client) -> None:
    created = book(api, booking(nights=3))
    confirmed = settle(api, created["reservationId"])
    assert confirmed["status"] == "Confirmed"
    assert confirmed["roomNumber"]
    assert confirmed["total"] == "360.00"
    assert confirmed["currency"] == "EUR"
    invoice = api.get(f"/reservations/{created['reservationId']}/invoice").json()
    assert invoice["total"] == "360.00"
    assert len(invoice["lines"]) == 3
    types = wait_for(
        lambda: (
            (t := event_types(api, created["reservationId"])) and "ReservationConfirmed" in t and t
        ),
        timeout=10,
    )
    assert types[0] == "ReservationRequested"
    for expected in ("RoomAllocated", "PaymentAuthorized", "ReservationConfirmed"):
        assert types.count(expected) == 1, types  # delivered twice, recorded once


def test_a_declined_card_rejects_the_booking_and_releases_the_room(api: httpx.Client) -> None:
    body = booking(room_type="STE", guests=3, token="tok_declined")
    night = date.fromisoformat(body["checkIn"])
    created = book(api, body)
    rejected = settle(api, created["reservationId"])
    assert rejected["status"] == "Rejected"
    assert rejected["reason"] == "payment_declined"
    wait_for(lambda: "RoomReleased" in event_types(api, created["reservationId"]), timeout=10)
    assert availability(api, "grand-lisbon", "STE", night) == 2


def test_twenty_concurrent_bookings_for_two_suites_confirm_exactly_two(api: httpx.Client) -> None:
    night = future_date(3000 + uuid.uuid4().int % 500)
    bodies = [booking(room_type="STE", guests=2, check_in=night, nights=1) for _ in range(20)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        created = list(pool.map(lambda b: book(api, b), bodies))
    outcomes = [settle(api, c["reservationId"]) for c in created]
    confirmed = [o for o in outcomes if o["status"] == "Confirmed"]
    rejected = [o for o in outcomes if o["status"] == "Rejected"]
    assert len(confirmed) == 2
    assert {o["roomNumber"] for o in confirmed} == {"301", "302"}
    assert len(rejected) == 18
    assert {o["reason"] for o in rejected} == {"no_availability"}
    assert availability(api, "grand-lisbon", "STE", night) == 0


def test_cancelling_early_is_free_and_frees_the_room(api: httpx.Client) -> None:
    body = booking(room_type="DLX", guests=3, nights=2)
    night = date.fromisoformat(body["checkIn"])
    created = book(api, body)
    settle(api, created["reservationId"])
    before = availability(api, "grand-lisbon", "DLX", night)
    response = api.post(f"/reservations/{created['reservationId']}/cancel")
    assert response.status_code == 202
    assert response.json()["status"] == "Cancelled"
    again = api.post(f"/reservations/{created['reservationId']}/cancel")
    assert again.status_code == 200
    wait_for(lambda: availability(api, "grand-lisbon", "DLX", night) == before + 1, timeout=15)
    invoice = wait_for(
        lambda: (
            (i := api.get(f"/reservations/{created['reservationId']}/invoice").json())
            and i["status"] == "Voided"
            and i
        ),
        timeout=15,
    )
    assert invoice["total"] == "0.00"


def test_cancelling_late_captures_the_first_night(api: httpx.Client) -> None:
    created = book(api, booking(hotel="harbor-porto", check_in=future_date(1), nights=2))
    assert settle(api, created["reservationId"])["status"] == "Confirmed"
    assert api.post(f"/reservations/{created['reservationId']}/cancel").status_code == 202
    invoice = wait_for(
        lambda: (
            (i := api.get(f"/reservations/{created['reservationId']}/invoice").json())
            and i["total"] == "95.00"
            and i
        ),
        timeout=15,
    )
    assert invoice["currency"] == "EUR"


def test_cancelling_a_pending_booking_leaves_no_room_and_no_authorization(
    api: httpx.Client,
) -> None:
    body = booking(room_type="STE", guests=2, nights=1)
    night = date.fromisoformat(body["checkIn"])
    created = book(api, body)
    response = api.post(f"/reservations/{created['reservationId']}/cancel")
    assert response.status_code in (200, 202)
    assert response.json()["status"] == "Cancelled"
    wait_for(lambda: availability(api, "grand-lisbon", "STE", night) == 2, timeout=15)

    def no_live_authorization() -> bool:
        invoice = api.get(f"/reservations/{created['reservationId']}/invoice")
        return invoice.status_code == 404 or invoice.json()["status"] != "Authorized"

    wait_for(no_live_authorization, timeout=15)
    assert api.get(f"/reservations/{created['reservationId']}").json()["status"] == "Cancelled"


def test_check_in_and_out_capture_the_stay_and_award_points_once(api: httpx.Client) -> None:
    guest = f"g-{uuid.uuid4().hex[:8]}"
    created = book(api, booking(guest_id=guest, nights=2))
    rid = created["reservationId"]
    assert settle(api, rid)["status"] == "Confirmed"
    assert api.post(f"/reservations/{rid}/check-out").status_code == 409
    assert api.post(f"/reservations/{rid}/check-in").status_code == 202
    assert api.post(f"/reservations/{rid}/check-in").status_code == 409
    assert api.post(f"/reservations/{rid}/check-out").status_code == 202
    assert api.get(f"/reservations/{rid}").json()["status"] == "CheckedOut"
    loyalty = wait_for(
        lambda: (body := api.get(f"/guests/{guest}/loyalty").json())["points"] > 0 and body,
        timeout=15,
    )
    assert loyalty == {"guestId": guest, "points": 240, "tier": "Member", "nights": 2}
    invoice = api.get(f"/reservations/{rid}/invoice").json()
    assert invoice["status"] == "Captured"
    assert Decimal(invoice["total"]) == Decimal("240.00")
    types = wait_for(
        lambda: (t := event_types(api, rid)) and "LoyaltyPointsAwarded" in t and t, timeout=10
    )
    assert types.count("LoyaltyPointsAwarded") == 1
    assert types.count("PaymentCaptured") == 1


def test_unknown_guest_has_an_empty_member_account(api: httpx.Client) -> None:
    body = api.get("/guests/nobody-here/loyalty").json()
    assert body == {"guestId": "nobody-here", "points": 0, "tier": "Member", "nights": 0}


def test_idempotency_key_returns_the_same_reservation(api: httpx.Client) -> None:
    key = str(uuid.uuid4())
    body = booking()
    first = api.post("/reservations", json=body, headers={"Idempotency-Key": key})
    second = api.post("/reservations", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 202
    assert second.status_code == 202
    assert first.json()["reservationId"] == second.json()["reservationId"]
    other = api.post("/reservations", json=booking(), headers={"Idempotency-Key": key})
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")


def test_catalog_lists_the_demo_hotels(api: httpx.Client) -> None:
    hotels = {h["hotelId"]: h for h in api.get("/hotels").json()["hotels"]}
    assert set(hotels) >= {"grand-lisbon", "harbor-porto"}
    lisbon = {r["roomType"]: r for r in hotels["grand-lisbon"]["roomTypes"]}
    assert lisbon["STE"] == {"roomType": "STE", "capacity": 4, "rooms": 2, "nightlyRate": "350.00"}
