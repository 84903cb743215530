"""The audit: pure functions from (journal, observation) to one result per invariant.

Every check reports how many things it examined and one line per violation; a check that had
nothing to examine passes with ``checked == 0`` (the report shows the count, so an empty check is
visible). The rules come from the domain modules themselves: rates from the catalog, the
cancellation fee from ``domain.billing.cancellation_fee`` and the points from
``domain.loyalty.LoyaltyAccount``, so the audit checks what the system intends.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chaos.model import LIVE, TERMINAL, Booking, Journal, Observed
from domain.billing import cancellation_fee
from domain.loyalty import LoyaltyAccount
from domain.money import ZERO, quantize

EVENT_PREFIX = "Hotel."
MAX_SHOWN = 200  # violation lines kept per check (the count is always exact)


@dataclass
class Check:
    name: str
    description: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    total_violations: int = 0

    @property
    def passed(self) -> bool:
        return self.total_violations == 0

    def fail(self, line: str) -> None:
        self.total_violations += 1
        if len(self.violations) < MAX_SHOWN:
            self.violations.append(line)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "passed": self.passed,
            "checked": self.checked,
            "violations": self.total_violations,
            "details": self.violations,
        }


# -- helpers --------------------------------------------------------------------------------


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _money(value: Any) -> Decimal:
    return quantize(Decimal(str(value)))


def _nights(body: Mapping[str, Any]) -> list[date]:
    start, end = _d(body["checkIn"]), _d(body["checkOut"])
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _short(rid: str) -> str:
    return rid[:8]


def _types(events: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(e.get("type", "")).removeprefix(EVENT_PREFIX) for e in events]


def _first(events: Iterable[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    for event in events:
        if str(event.get("type", "")).removeprefix(EVENT_PREFIX) == name:
            return event
    return None


def _data(event: Mapping[str, Any] | None) -> Mapping[str, Any]:
    data = None if event is None else event.get("data")
    return data if isinstance(data, Mapping) else {}


def _time(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _rate(observed: Observed, body: Mapping[str, Any]) -> Decimal | None:
    kind = observed.catalog.get((body["hotelId"], body["roomType"]))
    return None if kind is None else kind.nightly_rate


def expected_statuses(booking: Booking) -> frozenset[str]:
    """The final statuses the harness's own actions and answers allow."""
    out, into, cancel = booking.check_out_outcome, booking.check_in_outcome, booking.cancel
    if out is not None:
        if out.http == 202:
            return frozenset({"CheckedOut"})
        return frozenset({"CheckedIn", "CheckedOut"} if out.http is None else {"CheckedIn"})
    if into is not None:
        if into.http == 202:
            return frozenset({"CheckedIn"})
        return frozenset({"Confirmed", "CheckedIn"} if into.http is None else {"Confirmed"})
    if cancel is not None:
        if cancel.accepted:
            return frozenset({"Cancelled"})
        if cancel.http is None:
            return TERMINAL
        return TERMINAL - {"Cancelled"}  # 409: not cancellable (rejected already)
    return frozenset({"Confirmed", "Rejected"})


def _all_reservations(observed: Observed) -> dict[str, Mapping[str, Any]]:
    """The stored reservations, with the API's view where there is one."""
    merged: dict[str, Mapping[str, Any]] = dict(observed.stored)
    for rid, body in observed.reservations.items():
        if body is not None:
            merged[rid] = body
    return merged


# -- the invariants ---------------------------------------------------------------------------


def check_accepted_terminal(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "accepted-terminal",
        "every 202 exists and ends in a terminal status its actions imply",
    )
    for rid, booking in journal.bookings.items():
        check.checked += 1
        body = observed.reservations.get(rid)
        if body is None:
            where = "stored but the API answers 404" if rid in observed.stored else "missing"
            check.fail(f"{_short(rid)}: accepted (202) but {where}")
            continue
        status = body["status"]
        allowed = expected_statuses(booking)
        if status not in TERMINAL:
            check.fail(f"{_short(rid)}: still {status} after settling")
        elif status not in allowed:
            check.fail(
                f"{_short(rid)}: {status}, but the harness's answers imply "
                f"{'/'.join(sorted(allowed))} ({_actions(booking)})"
            )
    return check


def _actions(booking: Booking) -> str:
    parts = []
    for name, outcome in (
        ("cancel", booking.cancel),
        ("check-in", booking.check_in_outcome),
        ("check-out", booking.check_out_outcome),
    ):
        if outcome is not None:
            parts.append(f"{name} -> {outcome.http if outcome.http is not None else 'lost'}")
    return ", ".join(parts) or "no action"


def check_idempotent_retries(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "idempotent-retries",
        "a re-sent booking (same Idempotency-Key) answers 202 with the same reservation",
    )
    for rid, booking in journal.bookings.items():
        for other in booking.resent_ids:
            check.checked += 1
            if other is None:
                check.fail(f"{_short(rid)}: the re-sent request got no 202")
            elif other != rid:
                check.fail(f"{_short(rid)}: the re-sent request created {_short(other)}")
    return check


def check_room_nights(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "room-nights",
        "no room-night held twice or leaked: held rows and availability == live stays "
        "(Confirmed/CheckedIn/CheckedOut keep their nights)",
    )
    reservations = _all_reservations(observed)
    live = {rid: body for rid, body in reservations.items() if body["status"] in LIVE}
    holders: dict[tuple[str, str, date, str], list[str]] = defaultdict(list)
    per_night: Counter[tuple[str, str, date]] = Counter()
    for rid, body in live.items():
        room = body.get("roomNumber")
        for night in _nights(body):
            per_night[(body["hotelId"], body["roomType"], night)] += 1
            if room is not None:
                holders[(body["hotelId"], body["roomType"], night, room)].append(rid)
    for (hotel, kind, night, room), rids in holders.items():
        if len(rids) > 1:
            who = ", ".join(_short(r) for r in rids)
            check.fail(f"{hotel}/{kind} room {room} night {night}: held by {who}")
    rows = {
        (r.hotel_id, r.room_type, r.night, r.room): r.reservation_id for r in observed.night_rows
    }
    check.checked += len(rows)
    for key, rid in rows.items():
        hotel, kind, night, room = key
        holder = reservations.get(rid)
        where = f"{hotel}/{kind} room {room} night {night}"
        if holder is None:
            check.fail(f"{where}: held for unknown reservation {_short(rid)}")
        elif holder["status"] not in LIVE:
            check.fail(f"{where}: leaked, held for {_short(rid)} which is {holder['status']}")
        elif holder.get("roomNumber") != room or night not in _nights(holder):
            check.fail(f"{where}: held for {_short(rid)}, whose stay is another room or nights")
    for key, rids in holders.items():
        for rid in rids:
            if rows.get(key) != rid:
                hotel, kind, night, room = key
                check.fail(
                    f"{hotel}/{kind} room {room} night {night}: {_short(rid)} is "
                    f"{live[rid]['status']} but holds no row for it"
                )
    for (hotel, kind, night), held in observed.held.items():
        check.checked += 1
        expected = per_night.get((hotel, kind, night), 0)
        if held != expected:
            check.fail(
                f"{hotel}/{kind} night {night}: availability shows {held} held, "
                f"{expected} live stays"
            )
    return check


def check_live_have_room_and_authorization(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "live-authorized",
        "Confirmed/CheckedIn have a room and an Authorized invoice, CheckedOut a Captured one; "
        "no declined card confirmed",
    )
    for rid, body in _all_reservations(observed).items():
        status = body["status"]
        if status not in LIVE:
            continue
        check.checked += 1
        if not body.get("roomNumber"):
            check.fail(f"{_short(rid)}: {status} without a room number")
        invoice = observed.invoices.get(rid)
        wanted = "Captured" if status == "CheckedOut" else "Authorized"
        if invoice is None:
            check.fail(f"{_short(rid)}: {status} without an invoice (no authorization)")
        elif invoice["status"] != wanted:
            check.fail(f"{_short(rid)}: {status} but the invoice is {invoice['status']}")
        booking = journal.bookings.get(rid)
        if booking is not None and booking.token == "tok_declined":
            check.fail(f"{_short(rid)}: {status} although its card is tok_declined")
    return check


def check_ended_release_everything(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "ended-released",
        "Rejected/Cancelled hold no room-night and no live authorization; the rejection "
        "reason matches the card",
    )
    held_by: Counter[str] = Counter(row.reservation_id for row in observed.night_rows)
    for rid, body in _all_reservations(observed).items():
        status = body["status"]
        if status not in ("Rejected", "Cancelled"):
            continue
        check.checked += 1
        if held_by[rid]:
            check.fail(f"{_short(rid)}: {status} but holds {held_by[rid]} room-night(s)")
        invoice = observed.invoices.get(rid)
        if invoice is not None:
            folio = invoice["status"]
            if folio in ("Authorized", "Captured"):
                check.fail(f"{_short(rid)}: {status} but its invoice is {folio}")
            elif folio == "PartiallyCaptured" and status != "Cancelled":
                check.fail(f"{_short(rid)}: {status} with a cancellation fee")
        booking = journal.bookings.get(rid)
        if status == "Rejected" and booking is not None:
            reason = body.get("reason")
            declined = booking.token == "tok_declined"
            if reason == "payment_declined" and not declined:
                check.fail(f"{_short(rid)}: rejected payment_declined with a valid card")
            if reason not in ("payment_declined", "no_availability"):
                check.fail(f"{_short(rid)}: rejected with reason {reason!r}")
    return check


def check_invoices(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "invoices",
        "total = nights x catalog rate; capture on check-out = total; a cancellation fee only "
        "when Confirmed and within 48 h (domain.billing)",
    )
    for rid, body in _all_reservations(observed).items():
        invoice = observed.invoices.get(rid)
        events = observed.events.get(rid, [])
        status = body["status"]
        rate = _rate(observed, body)
        if rate is None:
            check.fail(f"{_short(rid)}: {body['hotelId']}/{body['roomType']} not in the catalog")
            continue
        stay_total = quantize(rate * len(_nights(body)))
        if invoice is None:
            continue
        check.checked += 1
        folio, total = invoice["status"], _money(invoice["total"])
        lines = sum((_money(line["amount"]) for line in invoice.get("lines", [])), ZERO)
        if lines != total:
            check.fail(f"{_short(rid)}: invoice lines sum to {lines}, total says {total}")
        if folio in ("Authorized", "Captured") and total != stay_total:
            check.fail(f"{_short(rid)}: {folio} total {total}, nights x rate is {stay_total}")
        if status in LIVE and body.get("total") is not None and _money(body["total"]) != total:
            check.fail(f"{_short(rid)}: reservation total {body['total']}, invoice {total}")
        captures = [_data(e) for e in events if _types([e]) == ["PaymentCaptured"]]
        stay_captures = [c for c in captures if c.get("kind") == "stay"]
        fee_captures = [c for c in captures if c.get("kind") == "cancellation_fee"]
        if folio == "Captured":
            if len(stay_captures) != 1:
                check.fail(f"{_short(rid)}: Captured with {len(stay_captures)} stay captures")
            elif _money(stay_captures[0].get("amount")) != stay_total:
                check.fail(
                    f"{_short(rid)}: captured {stay_captures[0].get('amount')} on check-out, "
                    f"the stay is {stay_total}"
                )
        if status != "Cancelled":
            if fee_captures or folio == "PartiallyCaptured":
                check.fail(f"{_short(rid)}: {status} but charged a cancellation fee")
            continue
        cancelled = _first(events, "ReservationCancelled")
        if cancelled is None:
            check.fail(f"{_short(rid)}: Cancelled without ReservationCancelled: fee unverifiable")
            continue
        data = _data(cancelled)
        was_confirmed = bool(data.get("wasConfirmed"))
        booking = journal.bookings.get(rid)
        if booking is not None and booking.saw_confirmed_before_cancel and not was_confirmed:
            check.fail(f"{_short(rid)}: cancelled after Confirmed, but wasConfirmed is false")
        fee = cancellation_fee(
            _d(body["checkIn"]), _time(data.get("cancelledAt")), rate, was_confirmed
        )
        if fee > ZERO:
            if folio != "PartiallyCaptured" or total != fee:
                check.fail(
                    f"{_short(rid)}: late cancel owes a fee of {fee}; invoice {folio} {total}"
                )
        elif folio == "PartiallyCaptured" or total != ZERO or fee_captures:
            why = "it was not Confirmed" if not was_confirmed else "it was cancelled in time"
            check.fail(f"{_short(rid)}: charged {total} ({folio}) although {why}")
    return check


def expected_loyalty(
    guest_id: str, stays: list[tuple[datetime, str, str, Decimal, int]]
) -> LoyaltyAccount:
    """The rule applied once per stay in check-out order: (at, reservation, hotel, amount,
    nights)."""
    account = LoyaltyAccount(guest_id=guest_id)
    for at, rid, hotel_id, amount, nights in sorted(stays):
        account.award_stay(
            reservation_id=rid, hotel_id=hotel_id, amount=amount, nights=nights, at=at
        )
    return account


def check_loyalty(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "loyalty",
        "points/nights/tier per guest = domain.loyalty applied once per checked-out stay, "
        "in check-out order",
    )
    stays: dict[str, list[tuple[datetime, str, str, Decimal, int]]] = defaultdict(list)
    award_order: dict[str, list[tuple[datetime, str, str, Decimal, int]]] = defaultdict(list)
    for rid, body in _all_reservations(observed).items():
        if body["status"] != "CheckedOut":
            continue
        rate = _rate(observed, body)
        if rate is None:
            continue
        events = observed.events.get(rid, [])
        out = _first(events, "GuestCheckedOut")
        at = _time(out.get("time") or _data(out).get("occurredAt")) if out else None
        at = at or _time(body["updatedAt"])
        nights = len(_nights(body))
        stay = (at, rid, body["hotelId"], quantize(rate * nights), nights)
        guest = body["guest"]["id"]
        stays[guest].append(stay)
        awarded = _first(events, "LoyaltyPointsAwarded")
        award_at = _time(awarded.get("time") or _data(awarded).get("occurredAt")) if awarded else at
        award_order[guest].append((award_at, *stay[1:]))
    guests = set(journal.guests) | set(stays) | set(observed.loyalty)
    for guest in sorted(guests):
        check.checked += 1
        got = observed.loyalty.get(guest)
        if got is None:
            check.fail(f"{guest}: loyalty not collected")
            continue
        want = expected_loyalty(guest, stays.get(guest, []))
        if (got["points"], got["nights"], got["tier"]) != (want.points, want.nights, want.tier):
            note = ""
            alt = expected_loyalty(guest, award_order.get(guest, []))
            if (got["points"], got["nights"]) == (alt.points, alt.nights):
                note = " (matches the order the awards happened in, not check-out order)"
            check.fail(
                f"{guest}: has {got['points']} pts/{got['nights']} nights/{got['tier']}, "
                f"expected {want.points}/{want.nights}/{want.tier} from "
                f"{len(stays.get(guest, []))} stay(s){note}"
            )
    return check


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
    for rid, body in _all_reservations(observed).items():
        if rid not in observed.events:
            if rid in journal.bookings:
                check.fail(f"{_short(rid)}: events not collected")
            continue
        events = observed.events[rid]
        check.checked += 1
        ids = Counter(str(e.get("id")) for e in events)
        for event_id, count in ids.items():
            if count > 1:
                check.fail(f"{_short(rid)}: event {event_id[:8]} appears {count} times")
        types = _types(events)
        for name, count in Counter(types).items():
            if count > 1:
                check.fail(f"{_short(rid)}: {name} recorded {count} times (an effect repeated)")
        foreign = {
            str(_data(e).get("reservationId"))
            for e in events
            if _data(e).get("reservationId") != rid
        }
        if foreign:
            check.fail(f"{_short(rid)}: stream holds events of {sorted(foreign)}")
        status = body["status"]
        required = required_events(body, types, _data(_first(events, "ReservationCancelled")))
        missing = sorted(required - set(types))
        if missing:
            check.fail(f"{_short(rid)}: {status} but the stream lacks {', '.join(missing)}")
        wrong = sorted(set(FORBIDDEN.get(status, ())) & set(types))
        if wrong:
            check.fail(f"{_short(rid)}: {status} but the stream holds {', '.join(wrong)}")
    return check


CHECKS = (
    check_accepted_terminal,
    check_idempotent_retries,
    check_room_nights,
    check_live_have_room_and_authorization,
    check_ended_release_everything,
    check_invoices,
    check_loyalty,
    check_event_streams,
)


def audit(journal: Journal, observed: Observed) -> list[Check]:
    return [check(journal, observed) for check in CHECKS]
