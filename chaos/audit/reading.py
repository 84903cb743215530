"""Reading the journal and the observation the way every check does: dates, money, nights,
the reservations to audit, and the events of a stream by type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chaos.model import Observed
from domain.money import quantize

EVENT_PREFIX = "Hotel."


def parse_date(text: str) -> date:
    return date.fromisoformat(text)


def money(value: Any) -> Decimal:
    return quantize(Decimal(str(value)))


def stay_nights(body: Mapping[str, Any]) -> list[date]:
    start, end = parse_date(body["checkIn"]), parse_date(body["checkOut"])
    return [start + timedelta(days=i) for i in range((end - start).days)]


def short(rid: str) -> str:
    return rid[:8]


def type_name(event: Mapping[str, Any]) -> str:
    """An event's type without the ``Hotel.`` prefix."""
    return str(event.get("type", "")).removeprefix(EVENT_PREFIX)


def type_names(events: Iterable[Mapping[str, Any]]) -> list[str]:
    return [type_name(e) for e in events]


def first_event(events: Iterable[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    for event in events:
        if type_name(event) == name:
            return event
    return None


def event_data(event: Mapping[str, Any] | None) -> Mapping[str, Any]:
    data = None if event is None else event.get("data")
    return data if isinstance(data, Mapping) else {}


def parse_time(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def nightly_rate(observed: Observed, body: Mapping[str, Any]) -> Decimal | None:
    kind = observed.catalog.get((body["hotelId"], body["roomType"]))
    return None if kind is None else kind.nightly_rate


def all_reservations(observed: Observed) -> dict[str, Mapping[str, Any]]:
    """The stored reservations, with the API's view where there is one."""
    merged: dict[str, Mapping[str, Any]] = dict(observed.stored)
    for rid, body in observed.reservations.items():
        if body is not None:
            merged[rid] = body
    return merged
