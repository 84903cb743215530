from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.billing import Folio, cancellation_fee, lines_total, price_stay
from domain.errors import InvalidTransitionError
from domain.events import PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentVoided
from domain.stay import Stay

CHECK_IN = date(2031, 5, 10)
MIDNIGHT = datetime(2031, 5, 10, tzinfo=UTC)
RATE = Decimal("120.00")
T0 = datetime(2031, 4, 1, 12, 0, tzinfo=UTC)


def stay(*, nights: int) -> Stay:
    return Stay("grand-lisbon", "STD", CHECK_IN, CHECK_IN + timedelta(days=nights))


def test_price_is_nights_times_rate_one_line_per_night() -> None:
    lines = price_stay(stay(nights=3), RATE)
    assert [line.date for line in lines] == [CHECK_IN + timedelta(days=i) for i in range(3)]
    assert {line.amount for line in lines} == {RATE}
    assert lines_total(lines) == Decimal("360.00")
    assert lines[0].to_body() == {
        "description": "STD room, night of 2031-05-10",
        "date": "2031-05-10",
        "amount": "120.00",
    }


@pytest.mark.parametrize(
    ("before_midnight", "fee"),
    [
        (timedelta(days=30), Decimal("0.00")),
        (timedelta(hours=48, seconds=1), Decimal("0.00")),
        (timedelta(hours=48), Decimal("0.00")),  # exactly 48 h: still free
        (timedelta(hours=47, minutes=59), RATE),
        (timedelta(hours=47, minutes=59, seconds=59, microseconds=999999), RATE),
        (timedelta(0), RATE),
        (-timedelta(days=1), RATE),  # after check-in day started
    ],
)
def test_cancellation_fee_edges(before_midnight: timedelta, fee: Decimal) -> None:
    cancelled_at = MIDNIGHT - before_midnight
    assert cancellation_fee(CHECK_IN, cancelled_at, RATE, was_confirmed=True) == fee


def test_cancellation_fee_uses_utc_whatever_the_offset() -> None:
    lisbon_summer = datetime(2031, 5, 8, 1, 30).astimezone().tzinfo  # any zone: compare in UTC
    assert lisbon_summer is not None
    just_in_time = (MIDNIGHT - timedelta(hours=48)).astimezone(lisbon_summer)
    assert cancellation_fee(CHECK_IN, just_in_time, RATE, True) == Decimal("0.00")
    naive_late = datetime(2031, 5, 8, 0, 0, 1)
    assert cancellation_fee(CHECK_IN, naive_late, RATE, True) == RATE


def test_a_reservation_that_was_never_confirmed_is_cancelled_free() -> None:
    assert cancellation_fee(CHECK_IN, MIDNIGHT, RATE, was_confirmed=False) == Decimal("0.00")


def authorized() -> Folio:
    folio = Folio.authorized(
        reservation_id="r-1",
        stay=stay(nights=3),
        room_number="101",
        guest_id="g-1",
        nightly_rate=RATE,
        currency="EUR",
        authorization_id="auth-1",
        at=T0,
    )
    return folio


def test_authorized_folio_invoices_the_stay() -> None:
    folio = authorized()
    [event] = folio.pending_events
    assert isinstance(event, PaymentAuthorized)
    assert (event.amount, event.room_number) == (Decimal("360.00"), "101")
    invoice = folio.invoice()
    assert invoice["status"] == "Authorized"
    assert invoice["total"] == "360.00"
    assert len(invoice["lines"]) == 3


def test_declined_folio_charges_nothing_and_names_the_room_to_release() -> None:
    folio = Folio.declined(
        reservation_id="r-1",
        stay=stay(nights=2),
        room_number="101",
        guest_id="g-1",
        nightly_rate=RATE,
        currency="EUR",
        at=T0,
    )
    [event] = folio.pending_events
    assert isinstance(event, PaymentDeclined)
    assert event.nights == [CHECK_IN, CHECK_IN + timedelta(days=1)]
    assert folio.invoice() == {
        "reservationId": "r-1",
        "status": "Declined",
        "currency": "EUR",
        "lines": [],
        "total": "0.00",
    }


def test_free_cancellation_voids_everything() -> None:
    folio = authorized()
    folio.clear_events()
    folio.cancel(fee=Decimal("0"), at=T0)
    [voided] = folio.pending_events
    assert isinstance(voided, PaymentVoided)
    assert voided.amount == Decimal("360.00")
    assert folio.invoice()["status"] == "Voided"
    assert folio.invoice()["total"] == "0.00"


def test_late_cancellation_captures_the_first_night_and_voids_the_rest() -> None:
    folio = authorized()
    folio.clear_events()
    fee = folio.cancellation_fee(cancelled_at=MIDNIGHT - timedelta(hours=1), was_confirmed=True)
    folio.cancel(fee=fee, at=T0)
    captured, voided = folio.pending_events
    assert isinstance(captured, PaymentCaptured)
    assert (captured.kind, captured.amount, captured.nights) == (
        "cancellation_fee",
        RATE,
        1,
    )
    assert isinstance(voided, PaymentVoided)
    assert voided.amount == Decimal("240.00")
    assert folio.invoice() == {
        "reservationId": "r-1",
        "status": "PartiallyCaptured",
        "currency": "EUR",
        "lines": [
            {
                "description": "Cancellation fee (first night)",
                "date": "2031-05-10",
                "amount": "120.00",
            }
        ],
        "total": "120.00",
    }


def test_check_out_captures_the_stay_once() -> None:
    folio = authorized()
    folio.clear_events()
    assert folio.capture_stay(at=T0) == Decimal("360.00")
    [captured] = folio.pending_events
    assert isinstance(captured, PaymentCaptured)
    assert (captured.kind, captured.nights, captured.guest_id) == ("stay", 3, "g-1")
    with pytest.raises(InvalidTransitionError):
        folio.capture_stay(at=T0)
    with pytest.raises(InvalidTransitionError):
        folio.cancel(fee=Decimal("0"), at=T0)


def test_tombstone_then_late_authorization_is_voided_at_once() -> None:
    tombstone = Folio.tombstone(
        reservation_id="r-1", hotel_id="grand-lisbon", room_type="STD", currency="EUR", at=T0
    )
    assert not tombstone.pending_events
    assert tombstone.invoice()["status"] == "Cancelled"
    tombstone.void_late_authorization(authorization_id="auth-1", amount=Decimal("360"), at=T0)
    assert tombstone.status == "Voided"
    [voided] = tombstone.pending_events
    assert isinstance(voided, PaymentVoided)
    with pytest.raises(InvalidTransitionError):
        tombstone.void_late_authorization(authorization_id="a", amount=Decimal(1), at=T0)


def test_folio_round_trips_through_json() -> None:
    folio = authorized()
    assert Folio.model_validate_json(folio.model_dump_json()).invoice() == folio.invoice()
