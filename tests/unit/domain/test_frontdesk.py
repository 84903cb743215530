"""The front desk's stay: the join of its reservation's events, whatever their order."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.frontdesk import FrontdeskStay, StayFacts
from domain.reservation import ReservationStatus

MAY_1, MAY_2, MAY_3, MAY_4 = (date(2031, 5, d) for d in (1, 2, 3, 4))


def facts(status: ReservationStatus, **known: object) -> StayFacts:
    return StayFacts.model_validate(
        {"reservation_id": "r-1", "hotel_id": "grand-lisbon", "status": status, **known}
    )


# What each reservation event says (handlers/frontdesk.py maps the real events to these).
REQUESTED = facts(
    "Pending",
    guest_id="g-1",
    guest_name="Ada Lovelace",
    room_type="STD",
    check_in=MAY_1,
    check_out=MAY_4,
)
CONFIRMED = facts("Confirmed", room_type="STD", room_number="101")
CANCELLED = facts("Cancelled", room_type="STD", check_in=MAY_1, check_out=MAY_4)
CHECKED_IN = facts("CheckedIn", guest_id="g-1", room_number="101")
CHECKED_OUT = facts("CheckedOut", guest_id="g-1", room_number="101")

# Every way a reservation's story can go, its events in the order they happen.
STORIES = (
    (REQUESTED,),
    (REQUESTED, CONFIRMED),
    (REQUESTED, CANCELLED),
    (REQUESTED, CONFIRMED, CANCELLED),
    (REQUESTED, CONFIRMED, CHECKED_IN),
    (REQUESTED, CONFIRMED, CHECKED_IN, CHECKED_OUT),
)


def joined(*applied: StayFacts) -> FrontdeskStay:
    stay = FrontdeskStay.new(applied[0])
    for item in applied:
        stay.apply(item)
    return stay


@pytest.mark.parametrize(
    ("story", "listings"),
    [
        ((REQUESTED,), set()),
        ((REQUESTED, CONFIRMED), {(MAY_1, "arrival")}),
        ((REQUESTED, CONFIRMED, CANCELLED), set()),
        (
            (REQUESTED, CONFIRMED, CHECKED_IN),
            {(MAY_1, "inHouse"), (MAY_2, "inHouse"), (MAY_3, "inHouse"), (MAY_4, "departure")},
        ),
        ((REQUESTED, CONFIRMED, CHECKED_IN, CHECKED_OUT), {(MAY_4, "departure")}),
        ((CONFIRMED, CHECKED_IN), set()),  # no dates yet: on no sheet until the request comes
    ],
)
def test_where_a_stay_is_listed_follows_from_its_state(
    story: tuple[StayFacts, ...], listings: set[object]
) -> None:
    assert joined(*story).listings() == listings


def test_a_listed_stay_has_every_line_filled_in() -> None:
    line = joined(REQUESTED, CHECKED_IN).guest_line()
    assert line == {
        "reservationId": "r-1",
        "guestId": "g-1",
        "guestName": "Ada Lovelace",
        "roomType": "STD",
        "roomNumber": "101",
        "checkIn": "2031-05-01",
        "checkOut": "2031-05-04",
        "status": "CheckedIn",
    }


def test_an_older_status_never_overwrites_a_newer_one() -> None:
    stay = joined(REQUESTED, CHECKED_IN)
    assert not stay.apply(CONFIRMED)
    assert not stay.apply(REQUESTED)
    assert stay.status == "CheckedIn"
    cancelled = joined(CANCELLED)
    cancelled.apply(CONFIRMED)  # a late confirmation still tells the room: a fact, kept
    assert (cancelled.status, cancelled.room_number) == ("Cancelled", "101")
    assert cancelled.listings() == set()


def test_facts_of_another_reservation_are_refused() -> None:
    other = REQUESTED.model_copy(update={"reservation_id": "r-2"})
    with pytest.raises(ValueError, match="r-2"):
        joined(REQUESTED).apply(other)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), story=st.sampled_from(STORIES))
def test_any_order_with_duplicates_ends_as_in_order(data: st.DataObject, story: object) -> None:
    assert isinstance(story, tuple)
    duplicates = data.draw(st.lists(st.sampled_from(story), max_size=4), label="duplicates")
    deliveries = data.draw(st.permutations([*story, *duplicates]), label="deliveries")
    in_order = joined(*story)
    stay = FrontdeskStay.new(deliveries[0])
    changes = [stay.apply(item) for item in deliveries]
    assert stay.model_dump() == in_order.model_dump()
    assert stay.listings() == in_order.listings()
    # A delivery told something new at most once per event: duplicates never write.
    assert sum(changes) <= len(story)
    assert not any(stay.apply(item) for item in story)
