"""The front desk's day sheets on the whole local stack, kept by the ``frontdesk`` subscriber.

The session stack delivers every event twice (the emulator's deliveryMultiplier), so each story
here also shows that duplicates change nothing; the faults knob holds the subscriber's
deliveries back until the whole story has happened, so they arrive in Event Grid's retry order.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.stack import book, booking, settle, wait_for

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def lines(api: httpx.Client, hotel: str, day: date, reservation_id: str) -> dict[str, Any]:
    """Where one reservation is on ``day``'s sheet: list name -> its line (absent: not there)."""
    response = api.get(f"/hotels/{hotel}/frontdesk", params={"date": day.isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["hotelId"], body["date"]) == (hotel, day.isoformat())
    return {
        name: line
        for name in ("arrivals", "departures", "inHouse")
        for line in body[name]
        if line["reservationId"] == reservation_id
    }


def statuses(api: httpx.Client, hotel: str, day: date, reservation_id: str) -> dict[str, str]:
    return {k: v["status"] for k, v in lines(api, hotel, day, reservation_id).items()}


def test_a_booking_arrives_then_stays_then_departs(api: httpx.Client) -> None:
    body = booking(nights=2)
    check_in = date.fromisoformat(body["checkIn"])
    night_2, check_out = check_in + timedelta(days=1), check_in + timedelta(days=2)
    rid = book(api, body)["reservationId"]
    confirmed = settle(api, rid)
    assert confirmed["status"] == "Confirmed"

    arrival = wait_for(
        lambda: lines(api, "grand-lisbon", check_in, rid), timeout=15, message="the arrival"
    )
    assert arrival == {
        "arrivals": {
            "reservationId": rid,
            "guestId": body["guest"]["id"],
            "guestName": "Ada Lovelace",
            "roomType": "STD",
            "roomNumber": confirmed["roomNumber"],
            "checkIn": body["checkIn"],
            "checkOut": body["checkOut"],
            "status": "Confirmed",
        }
    }

    assert api.post(f"/reservations/{rid}/check-in").status_code == 202
    in_house = {"inHouse": "CheckedIn"}
    wait_for(lambda: statuses(api, "grand-lisbon", check_in, rid) == in_house, timeout=15)
    assert statuses(api, "grand-lisbon", night_2, rid) == in_house
    assert statuses(api, "grand-lisbon", check_out, rid) == {"departures": "CheckedIn"}

    assert api.post(f"/reservations/{rid}/check-out").status_code == 202
    left = {"departures": "CheckedOut"}
    wait_for(lambda: statuses(api, "grand-lisbon", check_out, rid) == left, timeout=15)
    assert lines(api, "grand-lisbon", check_in, rid) == {}
    assert lines(api, "grand-lisbon", night_2, rid) == {}


def test_a_cancelled_booking_leaves_the_arrivals(api: httpx.Client) -> None:
    body = booking(hotel="harbor-porto", nights=1)
    check_in = date.fromisoformat(body["checkIn"])
    rid = book(api, body)["reservationId"]
    assert settle(api, rid)["status"] == "Confirmed"
    wait_for(lambda: statuses(api, "harbor-porto", check_in, rid) == {"arrivals": "Confirmed"})
    assert api.post(f"/reservations/{rid}/cancel").status_code == 202
    wait_for(lambda: lines(api, "harbor-porto", check_in, rid) == {}, timeout=15)


def test_deliveries_held_back_and_retried_in_any_order_end_in_the_final_state(
    api: httpx.Client, admin: httpx.Client
) -> None:
    before = admin.get("/admin/devstack/invocations").json().get("frontdesk", {})
    fault = {"functionName": "frontdesk", "failures": -1, "status": 503}
    assert admin.post("/admin/devstack/faults", json=fault).is_success
    body = booking(nights=1)
    check_in = date.fromisoformat(body["checkIn"])
    check_out = check_in + timedelta(days=1)
    try:
        rid = book(api, body)["reservationId"]
        assert settle(api, rid)["status"] == "Confirmed"
        assert api.post(f"/reservations/{rid}/check-in").status_code == 202
        assert api.post(f"/reservations/{rid}/check-out").status_code == 202
        # Each command published its event before answering, so all four are in flight now;
        # Event Grid retries them (the e2e schedule: about every second, up to 30 attempts)
        # and the host refuses each one: none is applied yet.
        wait_for(
            lambda: (
                admin.get("/admin/devstack/invocations").json()["frontdesk"]["faulted"]
                >= before.get("faulted", 0) + 2 * 4
            ),
            timeout=15,
            message="the held deliveries to be refused",
        )
        assert lines(api, "grand-lisbon", check_out, rid) == {}
    finally:
        assert admin.delete("/admin/devstack/faults").is_success
    left = {"departures": "CheckedOut"}
    wait_for(lambda: statuses(api, "grand-lisbon", check_out, rid) == left, timeout=20)
    assert lines(api, "grand-lisbon", check_in, rid) == {}
    line = lines(api, "grand-lisbon", check_out, rid)["departures"]
    assert (line["guestName"], line["checkIn"]) == ("Ada Lovelace", body["checkIn"])


@pytest.mark.parametrize(
    "query", [{}, {"date": "2031-02-30"}, {"date": "tomorrow"}, {"date": "86400"}]
)
def test_a_missing_or_bad_date_is_a_400_problem(api: httpx.Client, query: dict[str, str]) -> None:
    response = api.get("/hotels/grand-lisbon/frontdesk", params=query)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in response.json()["errors"]] == ["date"]


@pytest.mark.parametrize("hotel", ["nowhere", "no%20such"])
def test_an_unknown_hotel_is_a_404_problem(api: httpx.Client, hotel: str) -> None:
    response = api.get(f"/hotels/{hotel}/frontdesk", params={"date": "2031-05-01"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


def test_the_sheet_needs_the_function_key(api: httpx.Client) -> None:
    url = f"{api.base_url}/hotels/grand-lisbon/frontdesk?date=2031-05-01"
    assert httpx.get(url, trust_env=False).status_code == 401
