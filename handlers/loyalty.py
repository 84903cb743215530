"""The loyalty context: points for each captured stay, exactly once per reservation.

The once-per-reservation rule is the reaction's marker (``stay|{reservationId}``, a row of its
own in the guest's partition), not a list in the account: an account stays one small entity
whatever the number of stays.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from domain.events import PaymentCaptured
from domain.ids import is_safe_id
from domain.loyalty import LoyaltyAccount
from handlers.ports import Ports
from handlers.unit_of_work import Change, Reaction, RepositorySlot

log = logging.getLogger(__name__)

CONTEXT: Final = "loyalty"


def _slot(event: PaymentCaptured, ports: Ports) -> RepositorySlot[LoyaltyAccount]:
    return RepositorySlot(ports.loyalty, event.guest_id, CONTEXT)


def stay_marker(event: PaymentCaptured) -> str:
    """Awarded once per reservation, whichever capture event says so."""
    return f"stay|{event.reservation_id}"


def decide_award(
    event: PaymentCaptured, current: LoyaltyAccount | None, ports: Ports
) -> Change[LoyaltyAccount] | None:
    """PaymentCaptured(kind=stay) -> LoyaltyPointsAwarded; cancellation fees earn nothing."""
    if event.kind != "stay":
        log.info("loyalty: no points for a %s capture of %s", event.kind, event.reservation_id)
        return None
    account = current or LoyaltyAccount(guest_id=event.guest_id)
    account.award_stay(
        reservation_id=event.reservation_id,
        hotel_id=event.hotel_id,
        amount=event.amount,
        nights=event.nights,
        at=ports.clock(),
        checked_out_at=event.checked_out_at,
    )
    return Change(account)


REACTIONS: Final[tuple[Reaction[Any, Any], ...]] = (
    Reaction(CONTEXT, PaymentCaptured, _slot, decide_award, marker=stay_marker),
)


def loyalty_view(guest_id: str, ports: Ports) -> dict[str, Any]:
    """``{"guestId", "points", "tier", "nights"}``; an unknown guest has zeros and ``Member``."""
    if not is_safe_id(guest_id):  # no booking can have created it: unknown, hence empty
        return LoyaltyAccount(guest_id=guest_id).to_body()
    account = ports.loyalty.get(guest_id) or LoyaltyAccount(guest_id=guest_id)
    return account.to_body()
