"""The web console in real (headless) chromium against the whole local stack: a clerk books,
checks in and out and sees the points; a declined card and an invalid form; the arrivals list;
an operator reprocesses a dead letter. Each test writes the screenshots the README shows.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.stack import LocalStack
from tests.e2e.browser.browser import NARROW_VIEWPORT, VIEWPORT, screenshot
from tests.e2e.stack import book, booking, future_date, settle

pytestmark = pytest.mark.e2e

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def fill_booking(
    page: Page, *, name: str, email: str, nights: int = 2, guests: str = "2", token: str = ""
) -> str:
    """Fill the booking form for a far-future STD stay; returns the check-in date."""
    check_in = future_date(400 + uuid.uuid4().int % 2000)
    page.locator("#book-hotel").select_option("grand-lisbon")
    page.locator("#book-room-type").select_option("STD")
    page.get_by_label("Check-in").fill(check_in.isoformat())
    page.get_by_label("Check-out").fill((check_in + timedelta(days=nights)).isoformat())
    page.get_by_label("Guests").fill(guests)
    page.get_by_label("Guest name").fill(name)
    page.get_by_label("Guest email").fill(email)
    if token:
        page.get_by_label("Test card").select_option(token)
    return check_in.isoformat()


def reservation_id_of(page: Page) -> str:
    expect(page).to_have_url(re.compile(f"#/reservations/{UUID}$"))
    return page.url.rsplit("/", 1)[1]


def test_a_booking_is_confirmed_checked_in_and_out_and_earns_loyalty_points(
    console: Page, api: httpx.Client
) -> None:
    fill_booking(console, name="Grace Hopper", email="grace@example.com")
    console.get_by_role("button", name="Book").click()
    reservation_id = reservation_id_of(console)
    badge = console.locator("#status-badge")
    expect(badge).to_have_text("Confirmed")
    stored = api.get(f"/reservations/{reservation_id}").json()
    card = console.locator("#reservation-card")
    expect(card).to_contain_text(f"Room{stored['roomNumber']}")
    expect(card).to_contain_text("Total240.00 EUR")
    expect(console.locator("#invoice")).to_contain_text("Authorized")

    console.get_by_role("button", name="Check in").click()
    expect(badge).to_have_text("CheckedIn")
    console.get_by_role("button", name="Check out").click()
    expect(badge).to_have_text("CheckedOut")
    expect(console.locator("#loyalty-points")).to_have_text("240")  # 2 nights x 120.00, Member
    expect(console.locator("#loyalty-tier")).to_have_text("Member")
    expect(console.locator("#invoice")).to_contain_text("Captured")
    expect(console.get_by_role("button")).to_have_count(0)  # nothing is allowed after check-out
    screenshot(console, "reservation")

    console.get_by_role("link", name="Saga timeline of this reservation").click()
    timeline = console.locator("#timeline")
    expect(timeline.locator("li.event[data-type='Hotel.LoyaltyPointsAwarded']")).to_have_count(1)
    events = api.get(f"/reservations/{reservation_id}/events").json()["events"]
    expect(timeline.locator("li.event")).to_have_count(len(events))
    for event in events:
        lane = event["source"].rsplit("/", 1)[1]
        shown = timeline.locator(f"li.event[data-type='{event['type']}'][data-lane='{lane}']")
        expect(shown.first).to_contain_text(event["traceparent"].split("-")[1])
    for lane, kind in [
        ("reservations", "ReservationRequested"),
        ("rooms", "RoomAllocated"),
        ("billing", "PaymentAuthorized"),
        ("billing", "PaymentCaptured"),
        ("loyalty", "LoyaltyPointsAwarded"),
    ]:
        in_lane = timeline.locator(f"li.event[data-lane='{lane}']", has_text=kind)
        expect(in_lane).not_to_have_count(0)
    screenshot(console, "timeline")

    # On a phone-sized screen the front desk reflows to one column: nothing sticks out.
    console.set_viewport_size(NARROW_VIEWPORT)
    console.get_by_role("link", name="Front desk").click()
    expect(console.locator("table.calendar")).to_have_count(3)
    for element in ("form", "table.calendar"):
        box = console.locator(element).first.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= NARROW_VIEWPORT["width"], element
    console.set_viewport_size(VIEWPORT)


def test_the_calendar_shows_rooms_left_and_sold_out_nights_at_a_glance(
    console: Page, api: httpx.Client
) -> None:
    # Both suites of the hotel taken for the same two nights, far in the future, early enough in
    # the month that the night after the stay is in the same calendar.
    check_in = future_date(400 + uuid.uuid4().int % 2000).replace(day=1 + uuid.uuid4().int % 25)
    suites = [book(api, booking(room_type="STE", check_in=check_in, nights=2)) for _ in range(2)]
    for suite in suites:
        assert settle(api, suite["reservationId"])["status"] == "Confirmed"

    expect(console.locator("table.calendar")).to_have_count(3)  # STD, DLX, STE of the hotel
    console.get_by_label("Month").fill(check_in.isoformat()[:7])
    suite_calendar = console.locator("table.calendar[data-room-type='STE']")
    for night in (check_in, check_in + timedelta(days=1)):
        cell = suite_calendar.locator(f"td[data-date='{night.isoformat()}']")
        expect(cell).to_contain_text("sold out")
        expect(cell).to_have_class(re.compile(r"\bleft-none\b"))
    after = suite_calendar.locator(f"td[data-date='{(check_in + timedelta(days=2)).isoformat()}']")
    expect(after).to_contain_text("2 left")
    expect(after).to_have_class(re.compile(r"\bleft-high\b"))
    standard = console.locator("table.calendar[data-room-type='STD']")
    expect(standard.locator(f"td[data-date='{check_in.isoformat()}']")).to_contain_text("left")
    console.get_by_label("Month").blur()
    screenshot(console, "front-desk")


def test_a_declined_card_is_rejected_with_its_reason(console: Page) -> None:
    fill_booking(console, name="Alan Turing", email="alan@example.com", token="tok_declined")
    console.get_by_role("button", name="Book").click()
    reservation_id_of(console)
    expect(console.locator("#status-badge")).to_have_text("Rejected")
    expect(console.locator("#reservation-card")).to_contain_text("the card was declined")
    expect(console.locator("#reservation-card")).to_contain_text("payment_declined")
    expect(console.get_by_role("button")).to_have_count(0)


def test_an_invalid_form_shows_each_field_error_next_to_its_field(console: Page) -> None:
    fill_booking(console, name="", email="not-an-email", guests="0")
    console.get_by_label("Guest email").press("Enter")  # the keyboard submits the form too

    name = console.get_by_label("Guest name")
    expect(console.locator("#book-guest-name-error")).to_contain_text("at least 1 character")
    expect(console.locator("#book-guest-email-error")).not_to_be_empty()
    expect(console.locator("#book-guests-error")).to_contain_text("greater than or equal to 1")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(console.locator("#book-check-in-error")).to_be_empty()
    expect(console.get_by_role("alert").filter(has_text="3 fields need fixing")).to_be_visible()
    expect(console.get_by_label("Guests")).to_be_focused()  # the first invalid field
    expect(console).to_have_url(re.compile("#/desk$"))  # nothing was booked
    screenshot(console, "booking-errors")

    # A rule of the booking itself (capacity) lands next to its field too, and the old errors go.
    console.get_by_label("Guests").fill("5")
    console.get_by_label("Guest name").fill("Ada Lovelace")
    console.get_by_label("Guest email").fill("ada@example.com")
    console.get_by_role("button", name="Book").click()
    expect(console.locator("#book-guests-error")).to_contain_text("holds at most 2")
    expect(console.locator("#book-guest-name-error")).to_be_empty()
    expect(name).not_to_have_attribute("aria-invalid", "true")


def test_the_arrivals_list_shows_a_new_confirmed_booking(console: Page, api: httpx.Client) -> None:
    guest_name = f"Arriving {uuid.uuid4().hex[:6]}"
    body = booking()
    body["guest"]["name"] = guest_name
    reservation_id = book(api, body)["reservationId"]
    confirmed = settle(api, reservation_id)
    assert confirmed["status"] == "Confirmed"

    console.get_by_role("link", name="Arrivals").click()
    console.get_by_label("Hotel", exact=True).select_option(body["hotelId"])
    console.get_by_label("Date", exact=True).fill(body["checkIn"])
    row = console.locator("#fd-arrivals tr", has_text=guest_name)
    expect(row).to_contain_text(confirmed["roomNumber"])
    expect(row).to_contain_text("Confirmed")
    expect(console.locator("#fd-departures tr", has_text=guest_name)).to_have_count(0)
    screenshot(console, "arrivals")
    row.get_by_role("link", name=f"Open the reservation of {guest_name}").click()
    expect(console.locator("#status-badge")).to_have_text("Confirmed")


def test_a_dead_lettered_event_is_reprocessed_from_the_operations_page(
    console: Page, api: httpx.Client, admin: httpx.Client, stack: LocalStack
) -> None:
    # Billing refuses its deliveries with a 400, which Event Grid dead-letters at once.
    fault = {"functionName": "billing", "failures": -1, "status": 400}
    assert admin.post("/admin/devstack/faults", json=fault).is_success
    try:
        reservation_id = book(api, booking())["reservationId"]
        console.get_by_role("link", name="Operations").click()
        console.get_by_label("State").select_option("deadlettered")
        rows = console.locator("#dead-letters tbody tr", has_text=reservation_id)
        expect(rows.first).to_contain_text("Hotel.RoomAllocated", timeout=30_000)
        expect(rows.first).to_contain_text("billing")
        expect(rows.first.locator("td.reason")).not_to_be_empty()  # Event Grid's reason
        # Every copy of the event is dead-lettered (the e2e stack delivers each one twice).
        stack.wait_idle(timeout=30)
    finally:
        assert admin.delete("/admin/devstack/faults").is_success
    listed = admin.get("/api/ops/dead-letters", params={"state": "deadlettered"}).json()["items"]
    expected = {row["blob"] for row in listed if reservation_id in (row["subject"] or "")}
    console.get_by_role("button", name="Refresh").click()
    expect(rows).to_have_count(len(expected))
    blobs = [str(row.get_attribute("data-blob")) for row in rows.all()]
    assert set(blobs) == expected
    assert all(blob.startswith("BILLING/") for blob in blobs)
    assert api.get(f"/reservations/{reservation_id}").json()["status"] == "Pending"

    console.get_by_label("Ignore the back-off (force)").check()
    console.get_by_role("button", name="Reprocess now").click()
    report = console.locator("#reprocess-report")
    expect(report).to_contain_text("Run by operator")
    for blob in blobs:
        expect(report.locator(f"tr[data-blob='{blob}'] td.outcome")).to_have_text("archived")
    assert settle(api, reservation_id)["status"] == "Confirmed"
    console.get_by_label("State").select_option("archived")
    expect(console.locator("#dead-letters tbody tr", has_text=reservation_id)).to_have_count(
        len(blobs)
    )
    screenshot(console, "operations")


def test_the_keyboard_alone_moves_between_the_pages(console: Page) -> None:
    console.reload()  # a fresh load: focus is at the top of the page
    expect(console.get_by_role("heading", name="Front desk", level=1)).to_be_visible()
    console.keyboard.press("Tab")
    expect(console.get_by_role("link", name="Skip to content")).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.locator("main")).to_be_focused()
    expect(console.get_by_role("heading", name="Front desk", level=1)).to_be_visible()
    console.get_by_role("link", name="Skip to content").focus()
    for _ in range(3):  # from the skip link: Front desk, Arrivals, Operations
        console.keyboard.press("Tab")
    expect(console.get_by_role("link", name="Operations")).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.get_by_role("heading", name="Operations", level=1)).to_be_visible()
    expect(console.get_by_role("link", name="Operations")).to_have_attribute("aria-current", "page")
    expect(console.locator("main")).to_be_focused()  # the new page is where reading starts
