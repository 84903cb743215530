"""The loyalty context: points and nights per guest, awarded once per reservation on check-out.

Tiers by nights stayed: Member (< 10) x1, Silver (10-24) x1.25, Gold (25-49) x1.5,
Platinum (>= 50) x2. A stay earns floor(captured amount x multiplier) points, the multiplier
taken from the tier the guest had BEFORE the stay; the stay's nights then accrue.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Final, Literal

from pydantic import model_validator

from domain.aggregate import Aggregate
from domain.events import LoyaltyPointsAwarded

Tier = Literal["Member", "Silver", "Gold", "Platinum"]

# (minimum nights, tier, multiplier), highest first.
TIERS: Final[tuple[tuple[int, Tier, Decimal], ...]] = (
    (50, "Platinum", Decimal("2")),
    (25, "Gold", Decimal("1.5")),
    (10, "Silver", Decimal("1.25")),
    (0, "Member", Decimal("1")),
)


def tier_for(nights: int) -> Tier:
    return next(tier for minimum, tier, _ in TIERS if nights >= minimum)


def multiplier_for(tier: Tier) -> Decimal:
    return next(multiplier for _, name, multiplier in TIERS if name == tier)


def points_for(amount: Decimal, tier: Tier) -> int:
    return int((amount * multiplier_for(tier)).to_integral_value(rounding=ROUND_FLOOR))


class LoyaltyAccount(Aggregate):
    guest_id: str
    points: int = 0
    nights: int = 0
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_awarded_list(cls, data: Any) -> Any:
        # Accounts once kept every awarded reservation id here, which capped a guest at ~836
        # stays (64 KiB per property); once-per-reservation is now the reaction's marker row.
        if isinstance(data, dict) and "awarded_reservations" in data:
            data = {k: v for k, v in data.items() if k != "awarded_reservations"}
        return data

    @property
    def tier(self) -> Tier:
        return tier_for(self.nights)

    def award_stay(
        self, *, reservation_id: str, hotel_id: str, amount: Decimal, nights: int, at: datetime
    ) -> int:
        """Award a stay's points (the caller awards each reservation once); returns them."""
        tier = self.tier
        points = points_for(amount, tier)
        self.points += points
        self.nights += nights
        self.updated_at = at
        self.record(
            LoyaltyPointsAwarded(
                reservation_id=reservation_id,
                hotel_id=hotel_id,
                occurred_at=at,
                guest_id=self.guest_id,
                points=points,
                tier=tier,
                total_points=self.points,
                total_nights=self.nights,
            )
        )
        return points

    def to_body(self) -> dict[str, Any]:
        """The contract's loyalty body: ``{"guestId", "points", "tier", "nights"}``."""
        return {
            "guestId": self.guest_id,
            "points": self.points,
            "tier": self.tier,
            "nights": self.nights,
        }
