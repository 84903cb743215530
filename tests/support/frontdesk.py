"""The front desk's sheets as tests compare them: what the API shows, and what it should show."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.reservation import Reservation
from handlers.frontdesk import frontdesk_view
from handlers.ports import Ports

Sheet = dict[str, list[tuple[str, str]]]  # list name -> (reservation id, status), by id
LISTS = ("arrivals", "departures", "inHouse")


def empty_sheet() -> Sheet:
    return {name: [] for name in LISTS}


def shown_sheet(ports: Ports, hotel_id: str, day: date) -> Sheet:
    view = frontdesk_view(hotel_id, day, ports)
    assert (view["hotelId"], view["date"]) == (hotel_id, day.isoformat())
    return {
        name: sorted((line["reservationId"], line["status"]) for line in view[name])
        for name in LISTS
    }


def expected_sheet(reservations: Iterable[Reservation], hotel_id: str, day: date) -> Sheet:
    """The rules of docs/api.md, written out from each reservation's final state."""
    sheet = empty_sheet()
    for reservation in reservations:
        if reservation.hotel_id != hotel_id:
            continue
        line = (reservation.reservation_id, reservation.status)
        stay = reservation.check_in <= day < reservation.check_out
        if reservation.status == "Confirmed" and day == reservation.check_in:
            sheet["arrivals"].append(line)
        if reservation.status == "CheckedIn" and stay:
            sheet["inHouse"].append(line)
        if reservation.status in ("CheckedIn", "CheckedOut") and day == reservation.check_out:
            sheet["departures"].append(line)
    return {name: sorted(lines) for name, lines in sheet.items()}
