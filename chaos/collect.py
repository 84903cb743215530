"""Collect the observation after settling: the API for bodies, streams, invoices, loyalty and
availability; ``chaos.storage`` for what the API does not show."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from chaos.model import Journal, Observed, RoomType
from chaos.storage import StorageReader
from chaos.workload import Api
from domain.stay import stay_nights


class CollectError(RuntimeError):
    """The API did not answer a read even after retries."""


def _json(api: Api, path: str, *, allow_404: bool = False) -> object | None:
    response = api.call("GET", path, safe=True)
    if response is None:
        raise CollectError(f"GET {path}: no answer")
    if allow_404 and response.status_code == 404:
        return None
    if response.status_code != 200:
        raise CollectError(f"GET {path}: {response.status_code}")
    body: object = response.json()
    return body


def collect(api: Api, storage: StorageReader, journal: Journal) -> Observed:
    observed = Observed()
    hotels = _json(api, "/hotels")
    assert isinstance(hotels, dict)
    for hotel in hotels["hotels"]:
        for kind in hotel["roomTypes"]:
            observed.catalog[(hotel["hotelId"], kind["roomType"])] = RoomType(
                rooms=int(kind["rooms"]), nightly_rate=Decimal(kind["nightlyRate"])
            )
    observed.stored = storage.reservations()
    observed.night_rows = storage.night_rows()
    observed.unpublished_outbox = storage.unpublished_outbox()
    for rid in sorted(set(journal.bookings) | set(observed.stored)):
        body = _json(api, f"/reservations/{rid}", allow_404=True)
        observed.reservations[rid] = body if isinstance(body, dict) else None
        if body is None:
            continue
        events = _json(api, f"/reservations/{rid}/events")
        observed.events[rid] = events["events"] if isinstance(events, dict) else []
        invoice = _json(api, f"/reservations/{rid}/invoice", allow_404=True)
        observed.invoices[rid] = invoice if isinstance(invoice, dict) else None
    guests = set(journal.guests) | {b["guest"]["id"] for b in observed.stored.values()}
    for guest in sorted(guests):
        body = _json(api, f"/guests/{guest}/loyalty")
        if isinstance(body, dict):
            observed.loyalty[guest] = body
    _collect_frontdesk(api, observed)
    # availability over every night any reservation or held row touches, per room type
    spans: dict[tuple[str, str], set[date]] = defaultdict(set)
    for body in observed.stored.values():
        nights = stay_nights(
            date.fromisoformat(body["checkIn"]), date.fromisoformat(body["checkOut"])
        )
        spans[(body["hotelId"], body["roomType"])].update(nights)
    for row in observed.night_rows:
        spans[(row.hotel_id, row.room_type)].add(row.night)
    for (hotel_id, room_type), span in sorted(spans.items()):
        first, last = min(span), max(span) + timedelta(days=1)
        view = _json(
            api,
            f"/hotels/{hotel_id}/availability?roomType={room_type}"
            f"&from={first.isoformat()}&to={last.isoformat()}",
        )
        assert isinstance(view, dict)
        total = observed.catalog[(hotel_id, room_type)].rooms
        for entry in view["nights"]:
            night = date.fromisoformat(entry["date"])
            if night in span:
                observed.held[(hotel_id, room_type, night)] = total - int(entry["available"])
    return observed


def _collect_frontdesk(api: Api, observed: Observed) -> None:
    """The front desk's sheet of every (hotel, day) a reservation could be listed on."""
    days = {
        (body["hotelId"], day)
        for body in observed.stored.values()
        for day in (
            *stay_nights(date.fromisoformat(body["checkIn"]), date.fromisoformat(body["checkOut"])),
            date.fromisoformat(body["checkOut"]),
        )
    }
    for hotel_id, day in sorted(days):
        sheet = _json(api, f"/hotels/{hotel_id}/frontdesk?date={day.isoformat()}")
        assert isinstance(sheet, dict)
        observed.frontdesk[(hotel_id, day)] = sheet
