from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.events import LoyaltyPointsAdjusted, LoyaltyPointsAwarded
from domain.loyalty import RECENT_STAYS, LoyaltyAccount, points_for, tier_for

T0 = datetime(2031, 4, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("nights", "tier"),
    [
        (0, "Member"),
        (9, "Member"),
        (10, "Silver"),
        (24, "Silver"),
        (25, "Gold"),
        (49, "Gold"),
        (50, "Platinum"),
        (500, "Platinum"),
    ],
)
def test_tier_boundaries(nights: int, tier: str) -> None:
    assert tier_for(nights) == tier


@pytest.mark.parametrize(
    ("amount", "tier", "points"),
    [
        (Decimal("360.00"), "Member", 360),
        (Decimal("360.99"), "Member", 360),
        (Decimal("95.00"), "Silver", 118),  # 118.75 floored
        (Decimal("95.00"), "Gold", 142),  # 142.5 floored
        (Decimal("95.01"), "Platinum", 190),  # 190.02 floored
    ],
)
def test_points_are_floored(amount: Decimal, tier: str, points: int) -> None:
    assert points_for(amount, tier) == points  # type: ignore[arg-type]


def test_multiplier_comes_from_the_tier_before_the_stay() -> None:
    account = LoyaltyAccount(guest_id="g-1", nights=9, points=10)
    awarded = account.award_stay(
        reservation_id="r-1", hotel_id="h", amount=Decimal("100.00"), nights=1, at=T0
    )
    assert awarded == 100  # Member x1, although the stay makes the guest Silver
    assert (account.points, account.nights, account.tier) == (110, 10, "Silver")
    [event] = account.pending_events
    assert isinstance(event, LoyaltyPointsAwarded)
    assert (event.points, event.tier, event.total_points, event.total_nights) == (
        100,
        "Member",
        110,
        10,
    )
    account.clear_events()
    account.award_stay(reservation_id="r-2", hotel_id="h", amount=Decimal("100"), nights=1, at=T0)
    assert account.points == 235  # now Silver x1.25


def test_unknown_guest_view_is_zero_member() -> None:
    assert LoyaltyAccount(guest_id="g-9").to_body() == {
        "guestId": "g-9",
        "points": 0,
        "tier": "Member",
        "nights": 0,
    }


def test_account_round_trips_through_json() -> None:
    account = LoyaltyAccount(guest_id="g-1", points=120, nights=3)
    again = LoyaltyAccount.model_validate_json(account.model_dump_json())
    assert again == account


def test_an_account_stored_with_the_old_awarded_list_still_loads() -> None:
    stored = '{"version": 4, "guest_id": "g-1", "points": 9, "nights": 2, '
    stored += '"awarded_reservations": ["r-1", "r-2"], "updated_at": null}'
    account = LoyaltyAccount.model_validate_json(stored)
    assert (account.points, account.nights, account.version) == (9, 2, 4)


def test_an_account_stays_small_whatever_the_number_of_stays() -> None:
    account = LoyaltyAccount(guest_id="g-1")
    for stay in range(5000):
        account.award_stay(
            reservation_id=f"r-{stay:05d}-0000-0000-0000-000000000000",
            hotel_id="h",
            amount=Decimal("100.00"),
            nights=1,
            at=datetime(2031, 1, 1, tzinfo=UTC),
        )
        account.clear_events()
    assert len(account.recent_stays) == RECENT_STAYS
    assert len(account.model_dump_json()) < 8 * 1024  # one small entity, far below 64 KiB


def _stay(account: LoyaltyAccount, rid: str, nights: int, amount: str, minute: int) -> int:
    return account.award_stay(
        reservation_id=rid,
        hotel_id="h",
        amount=Decimal(amount),
        nights=nights,
        at=datetime(2031, 2, 1, tzinfo=UTC),
        checked_out_at=datetime(2031, 1, 1, 0, minute, tzinfo=UTC),
    )


def test_a_stay_awarded_late_is_rated_in_check_out_order_and_rerates_later_ones() -> None:
    in_order, late = LoyaltyAccount(guest_id="g"), LoyaltyAccount(guest_id="g")
    _stay(in_order, "r-1", 10, "950.00", minute=1)  # Member
    _stay(in_order, "r-2", 1, "95.00", minute=2)  # Silver: 118
    assert _stay(late, "r-2", 1, "95.00", minute=2) == 95  # arrives first: Member, for now
    late.clear_events()
    assert _stay(late, "r-1", 10, "950.00", minute=1) == 950
    assert (late.points, late.nights, late.tier) == (in_order.points, in_order.nights, "Silver")
    awarded, adjusted = late.pending_events
    assert isinstance(awarded, LoyaltyPointsAwarded)
    assert (awarded.reservation_id, awarded.points, awarded.tier) == ("r-1", 950, "Member")
    assert isinstance(adjusted, LoyaltyPointsAdjusted)
    assert (adjusted.reservation_id, adjusted.points, adjusted.tier) == ("r-2", 23, "Silver")
    assert adjusted.total_points == 1068


def test_a_stay_older_than_every_remembered_one_is_rated_at_the_tier_it_finds() -> None:
    account = LoyaltyAccount(guest_id="g")
    for number in range(RECENT_STAYS):
        _stay(account, f"r-{number + 10:03d}", 1, "10.00", minute=number + 10)
    before, tier = account.points, account.tier
    account.clear_events()
    # Checked out before all of them, but what came between may be forgotten: no re-rating.
    assert _stay(account, "r-000", 1, "10.00", minute=0) == points_for(Decimal("10.00"), tier)
    assert account.points == before + points_for(Decimal("10.00"), tier)
    assert [type(e) for e in account.pending_events] == [LoyaltyPointsAwarded]
