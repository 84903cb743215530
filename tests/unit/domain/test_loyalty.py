from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.events import LoyaltyPointsAwarded
from domain.loyalty import LoyaltyAccount, points_for, tier_for

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
    assert len(account.model_dump_json()) < 300
