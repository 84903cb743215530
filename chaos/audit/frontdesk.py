"""The front desk's sheets: every reservation is listed exactly where its final status puts it.

The projection (domain/frontdesk.py) sees the same events as the saga, duplicated, reordered and
replayed, so after settling its sheets must agree with the reservations' final state: a
``Confirmed`` booking is an arrival on its check-in date, a ``CheckedIn`` guest is in house on
every night and due out on the check-out date, a ``CheckedOut`` guest is a departure, and a
rejected, cancelled or pending one is on no sheet, each with the reservation's status and room.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from chaos.audit.check import Check
from chaos.audit.reading import all_reservations, parse_date, short, stay_nights
from chaos.model import Journal, Observed

SHEETS = ("arrivals", "departures", "inHouse")


def expected_listings(body: Mapping[str, Any]) -> set[tuple[date, str]]:
    """(day, sheet) pairs a reservation in this final status is listed on."""
    status = body["status"]
    check_in, check_out = parse_date(body["checkIn"]), parse_date(body["checkOut"])
    if status == "Confirmed":
        return {(check_in, "arrivals")}
    if status == "CheckedIn":
        return {(check_out, "departures"), *((night, "inHouse") for night in stay_nights(body))}
    if status == "CheckedOut":
        return {(check_out, "departures")}
    return set()


def sheet_days(body: Mapping[str, Any]) -> list[date]:
    """Every day a reservation could be listed on: its nights and its check-out date."""
    return [*stay_nights(body), parse_date(body["checkOut"])]


def check_frontdesk(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "frontdesk",
        "each reservation is on the front desk's sheets exactly where its final status puts "
        "it (arrival, in house, departure), with its status and room",
    )
    for rid, body in sorted(all_reservations(observed).items()):
        check.checked += 1
        found: set[tuple[date, str]] = set()
        for day in sheet_days(body):
            sheet = observed.frontdesk.get((body["hotelId"], day))
            if sheet is None:
                check.fail(f"{short(rid)}: no front desk sheet of {body['hotelId']} on {day}")
                continue
            for name in SHEETS:
                for line in sheet.get(name, []):
                    if line.get("reservationId") != rid:
                        continue
                    found.add((day, name))
                    seen = (line.get("status"), line.get("roomNumber"))
                    if seen != (body["status"], body.get("roomNumber")):
                        check.fail(
                            f"{short(rid)}: {name} of {day} shows status/room {seen}, the "
                            f"reservation is {(body['status'], body.get('roomNumber'))}"
                        )
        expected = expected_listings(body)
        for day, name in sorted(expected - found):
            check.fail(f"{short(rid)} ({body['status']}): missing from {name} of {day}")
        for day, name in sorted(found - expected):
            check.fail(f"{short(rid)} ({body['status']}): listed in {name} of {day}")
    return check
