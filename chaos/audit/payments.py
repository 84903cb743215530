"""Payments and invoices: totals from the catalog, the capture on check-out, and the
cancellation fee from ``domain.billing.cancellation_fee``."""

from __future__ import annotations

from chaos.audit.check import Check
from chaos.audit.reading import (
    all_reservations,
    event_data,
    first_event,
    money,
    nightly_rate,
    parse_date,
    parse_time,
    short,
    stay_nights,
    type_name,
)
from chaos.model import LIVE, Journal, Observed
from domain.billing import cancellation_fee
from domain.money import ZERO, quantize


def check_invoices(journal: Journal, observed: Observed) -> Check:
    check = Check(
        "invoices",
        "total = nights x catalog rate; capture on check-out = total; a cancellation fee only "
        "when Confirmed and within 48 h (domain.billing)",
    )
    for rid, body in all_reservations(observed).items():
        invoice = observed.invoices.get(rid)
        events = observed.events.get(rid, [])
        status = body["status"]
        rate = nightly_rate(observed, body)
        if rate is None:
            check.fail(f"{short(rid)}: {body['hotelId']}/{body['roomType']} not in the catalog")
            continue
        stay_total = quantize(rate * len(stay_nights(body)))
        if invoice is None:
            continue
        check.checked += 1
        folio, total = invoice["status"], money(invoice["total"])
        lines = sum((money(line["amount"]) for line in invoice.get("lines", [])), ZERO)
        if lines != total:
            check.fail(f"{short(rid)}: invoice lines sum to {lines}, total says {total}")
        if folio in ("Authorized", "Captured") and total != stay_total:
            check.fail(f"{short(rid)}: {folio} total {total}, nights x rate is {stay_total}")
        if status in LIVE and body.get("total") is not None and money(body["total"]) != total:
            check.fail(f"{short(rid)}: reservation total {body['total']}, invoice {total}")
        captures = [event_data(e) for e in events if type_name(e) == "PaymentCaptured"]
        stay_captures = [c for c in captures if c.get("kind") == "stay"]
        fee_captures = [c for c in captures if c.get("kind") == "cancellation_fee"]
        if folio == "Captured":
            if len(stay_captures) != 1:
                check.fail(f"{short(rid)}: Captured with {len(stay_captures)} stay captures")
            elif money(stay_captures[0].get("amount")) != stay_total:
                check.fail(
                    f"{short(rid)}: captured {stay_captures[0].get('amount')} on check-out, "
                    f"the stay is {stay_total}"
                )
        if status != "Cancelled":
            if fee_captures or folio == "PartiallyCaptured":
                check.fail(f"{short(rid)}: {status} but charged a cancellation fee")
            continue
        cancelled = first_event(events, "ReservationCancelled")
        if cancelled is None:
            check.fail(f"{short(rid)}: Cancelled without ReservationCancelled: fee unverifiable")
            continue
        data = event_data(cancelled)
        was_confirmed = bool(data.get("wasConfirmed"))
        booking = journal.bookings.get(rid)
        if booking is not None and booking.saw_confirmed_before_cancel and not was_confirmed:
            check.fail(f"{short(rid)}: cancelled after Confirmed, but wasConfirmed is false")
        fee = cancellation_fee(
            parse_date(body["checkIn"]), parse_time(data.get("cancelledAt")), rate, was_confirmed
        )
        if fee > ZERO:
            if folio != "PartiallyCaptured" or total != fee:
                check.fail(
                    f"{short(rid)}: late cancel owes a fee of {fee}; invoice {folio} {total}"
                )
        elif folio == "PartiallyCaptured" or total != ZERO or fee_captures:
            why = "it was not Confirmed" if not was_confirmed else "it was cancelled in time"
            check.fail(f"{short(rid)}: charged {total} ({folio}) although {why}")
    return check
