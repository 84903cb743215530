"""The stays and their rooms: every accepted booking ends where its actions lead, retries are
idempotent, room-nights are held once and only by live stays, ended stays release everything."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from chaos.audit.check import Check
from chaos.audit.reading import all_reservations, short, stay_nights
from chaos.model import LIVE, TERMINAL, Booking, Journal, Observed


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
            check.fail(f"{short(rid)}: accepted (202) but {where}")
            continue
        status = body["status"]
        allowed = expected_statuses(booking)
        if status not in TERMINAL:
            check.fail(f"{short(rid)}: still {status} after settling")
        elif status not in allowed:
            check.fail(
                f"{short(rid)}: {status}, but the harness's answers imply "
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
                check.fail(f"{short(rid)}: the re-sent request got no 202")
            elif other != rid:
                check.fail(f"{short(rid)}: the re-sent request created {short(other)}")
    return check


def check_room_nights(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "room-nights",
        "no room-night held twice or leaked: held rows and availability == live stays "
        "(Confirmed/CheckedIn/CheckedOut keep their nights)",
    )
    reservations = all_reservations(observed)
    live = {rid: body for rid, body in reservations.items() if body["status"] in LIVE}
    holders: dict[tuple[str, str, date, str], list[str]] = defaultdict(list)
    per_night: Counter[tuple[str, str, date]] = Counter()
    for rid, body in live.items():
        room = body.get("roomNumber")
        for night in stay_nights(body):
            per_night[(body["hotelId"], body["roomType"], night)] += 1
            if room is not None:
                holders[(body["hotelId"], body["roomType"], night, room)].append(rid)
    for (hotel, kind, night, room), rids in holders.items():
        if len(rids) > 1:
            who = ", ".join(short(r) for r in rids)
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
            check.fail(f"{where}: held for unknown reservation {short(rid)}")
        elif holder["status"] not in LIVE:
            check.fail(f"{where}: leaked, held for {short(rid)} which is {holder['status']}")
        elif holder.get("roomNumber") != room or night not in stay_nights(holder):
            check.fail(f"{where}: held for {short(rid)}, whose stay is another room or nights")
    for key, rids in holders.items():
        for rid in rids:
            if rows.get(key) != rid:
                hotel, kind, night, room = key
                check.fail(
                    f"{hotel}/{kind} room {room} night {night}: {short(rid)} is "
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
    for rid, body in all_reservations(observed).items():
        status = body["status"]
        if status not in LIVE:
            continue
        check.checked += 1
        if not body.get("roomNumber"):
            check.fail(f"{short(rid)}: {status} without a room number")
        invoice = observed.invoices.get(rid)
        wanted = "Captured" if status == "CheckedOut" else "Authorized"
        if invoice is None:
            check.fail(f"{short(rid)}: {status} without an invoice (no authorization)")
        elif invoice["status"] != wanted:
            check.fail(f"{short(rid)}: {status} but the invoice is {invoice['status']}")
        booking = journal.bookings.get(rid)
        if booking is not None and booking.token == "tok_declined":
            check.fail(f"{short(rid)}: {status} although its card is tok_declined")
    return check


def check_ended_release_everything(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "ended-released",
        "Rejected/Cancelled hold no room-night and no live authorization; the rejection "
        "reason matches the card",
    )
    held_by: Counter[str] = Counter(row.reservation_id for row in observed.night_rows)
    for rid, body in all_reservations(observed).items():
        status = body["status"]
        if status not in ("Rejected", "Cancelled"):
            continue
        check.checked += 1
        if held_by[rid]:
            check.fail(f"{short(rid)}: {status} but holds {held_by[rid]} room-night(s)")
        invoice = observed.invoices.get(rid)
        if invoice is not None:
            folio = invoice["status"]
            if folio in ("Authorized", "Captured"):
                check.fail(f"{short(rid)}: {status} but its invoice is {folio}")
            elif folio == "PartiallyCaptured" and status != "Cancelled":
                check.fail(f"{short(rid)}: {status} with a cancellation fee")
        booking = journal.bookings.get(rid)
        if status == "Rejected" and booking is not None:
            reason = body.get("reason")
            declined = booking.token == "tok_declined"
            if reason == "payment_declined" and not declined:
                check.fail(f"{short(rid)}: rejected payment_declined with a valid card")
            if reason not in ("payment_declined", "no_availability"):
                check.fail(f"{short(rid)}: rejected with reason {reason!r}")
    return check
