"""The loyalty context: points for each captured stay, exactly once per reservation."""

from __future__ import annotations

import logging
from typing import Any

from domain.events import DomainEvent, PaymentCaptured
from domain.ids import is_safe_id
from domain.loyalty import LoyaltyAccount
from handlers.outbox import publish_recorded
from handlers.ports import OutboxEntry, Ports
from handlers.retry import retry_on_conflict

log = logging.getLogger(__name__)


def handle_event(event: DomainEvent, ports: Ports) -> None:
    """The ``loyalty`` subscription: PaymentCaptured(kind=stay) -> LoyaltyPointsAwarded."""
    if not isinstance(event, PaymentCaptured) or event.kind != "stay":
        log.info("loyalty: ignoring %s %s", event.event_type(), event.event_id)
        return
    key = event.guest_id

    def attempt() -> list[OutboxEntry]:
        if ports.loyalty.was_processed(key, event.event_id):
            return []
        account = ports.loyalty.get(key) or LoyaltyAccount(guest_id=key)
        awarded = account.award_stay(
            reservation_id=event.reservation_id,
            hotel_id=event.hotel_id,
            amount=event.amount,
            nights=event.nights,
            at=ports.clock(),
        )
        if awarded is None:
            return []  # this reservation was awarded before (another capture event)
        return ports.loyalty.save(key, account, processed_event_id=event.event_id)

    publish_recorded(retry_on_conflict(attempt), ports)


def loyalty_view(guest_id: str, ports: Ports) -> dict[str, Any]:
    """``{"guestId", "points", "tier", "nights"}``; an unknown guest has zeros and ``Member``."""
    if not is_safe_id(guest_id):  # no booking can have created it: unknown, hence empty
        return LoyaltyAccount(guest_id=guest_id).to_body()
    account = ports.loyalty.get(guest_id) or LoyaltyAccount(guest_id=guest_id)
    return account.to_body()
