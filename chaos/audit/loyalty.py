"""Loyalty: each guest's points, nights and tier are ``domain.loyalty.LoyaltyAccount`` applied
once per checked-out stay, in check-out order."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from chaos.audit.check import Check
from chaos.audit.reading import (
    all_reservations,
    event_data,
    first_event,
    nightly_rate,
    parse_time,
    stay_nights,
)
from chaos.model import Journal, Observed
from domain.loyalty import LoyaltyAccount
from domain.money import quantize


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
    for rid, body in all_reservations(observed).items():
        if body["status"] != "CheckedOut":
            continue
        rate = nightly_rate(observed, body)
        if rate is None:
            continue
        events = observed.events.get(rid, [])
        out = first_event(events, "GuestCheckedOut")
        at = parse_time(out.get("time") or event_data(out).get("occurredAt")) if out else None
        at = at or parse_time(body["updatedAt"])
        nights = len(stay_nights(body))
        stay = (at, rid, body["hotelId"], quantize(rate * nights), nights)
        guest = body["guest"]["id"]
        stays[guest].append(stay)
        awarded = first_event(events, "LoyaltyPointsAwarded")
        award_at = (
            parse_time(awarded.get("time") or event_data(awarded).get("occurredAt"))
            if awarded
            else at
        )
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
