"""The loyalty context: points and nights per guest, awarded once per reservation on check-out.

Tiers by nights stayed: Member (< 10) x1, Silver (10-24) x1.25, Gold (25-49) x1.5,
Platinum (>= 50) x2. A stay earns floor(captured amount x multiplier) points, the multiplier
taken from the tier the guest had BEFORE the stay -- in check-out order; the stay's nights then
accrue.

Captures may be delivered in any order. The account keeps its most recent stays (at most
``RECENT_STAYS``, so it stays one small entity): a stay that checked out before some already
awarded is rated with the nights before it, and the later stays are re-rated
(``LoyaltyPointsAdjusted``) since their tier was too low. A capture delivered after more than
``RECENT_STAYS`` later check-outs of the same guest is rated at the tier it finds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Final, Literal

from pydantic import BaseModel, model_validator

from domain.aggregate import Aggregate
from domain.events import LoyaltyPointsAdjusted, LoyaltyPointsAwarded

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


RECENT_STAYS: Final = 32


class RatedStay(BaseModel):
    """One awarded stay, as the account remembers it to re-rate it if an earlier one comes late."""

    checked_out_at: datetime
    reservation_id: str
    hotel_id: str
    nights: int
    amount: Decimal
    points: int

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.checked_out_at, self.reservation_id)


class LoyaltyAccount(Aggregate):
    guest_id: str
    points: int = 0
    nights: int = 0
    recent_stays: list[RatedStay] = []  # in check-out order, at most RECENT_STAYS
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
        self,
        *,
        reservation_id: str,
        hotel_id: str,
        amount: Decimal,
        nights: int,
        at: datetime,
        checked_out_at: datetime | None = None,
    ) -> int:
        """Award a stay's points (the caller awards each reservation once); returns them."""
        stay_order = (checked_out_at or at, reservation_id)
        later = [stay for stay in self.recent_stays if stay.order > stay_order]
        known = len(later) < len(self.recent_stays) or len(self.recent_stays) < RECENT_STAYS
        if not known:  # older than every remembered stay: what came between is forgotten
            later = []
        nights_before = self.nights - sum(stay.nights for stay in later)
        tier = tier_for(nights_before)
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
        self._rerate(later, nights_before + nights, at=at)
        stay = RatedStay(
            checked_out_at=stay_order[0],
            reservation_id=reservation_id,
            hotel_id=hotel_id,
            nights=nights,
            amount=amount,
            points=points,
        )
        recent = sorted([*self.recent_stays, stay], key=lambda s: s.order)
        self.recent_stays = recent[-RECENT_STAYS:]
        return points

    def _rerate(self, later: list[RatedStay], nights_before: int, *, at: datetime) -> None:
        """Rate again the stays that checked out after a late one: their tier was too low."""
        for stay in later:
            tier = tier_for(nights_before)
            rated = points_for(stay.amount, tier)
            nights_before += stay.nights
            if rated == stay.points:
                continue
            self.points += rated - stay.points
            self.record(
                LoyaltyPointsAdjusted(
                    reservation_id=stay.reservation_id,
                    hotel_id=stay.hotel_id,
                    occurred_at=at,
                    guest_id=self.guest_id,
                    points=rated - stay.points,
                    tier=tier,
                    total_points=self.points,
                    total_nights=self.nights,
                )
            )
            stay.points = rated

    def to_body(self) -> dict[str, Any]:
        """The contract's loyalty body: ``{"guestId", "points", "tier", "nights"}``."""
        return {
            "guestId": self.guest_id,
            "points": self.points,
            "tier": self.tier,
            "nights": self.nights,
        }
