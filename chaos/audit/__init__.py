"""The audit: pure functions from (journal, observation) to one result per invariant.

Every check reports how many things it examined and one line per violation; a check that had
nothing to examine passes with ``checked == 0`` (the report shows the count, so an empty check is
visible). The rules come from the domain modules themselves: rates from the catalog, the
cancellation fee from ``domain.billing.cancellation_fee`` and the points from
``domain.loyalty.LoyaltyAccount``, so the audit checks what the system intends.
"""

from __future__ import annotations

from chaos.audit.check import Check
from chaos.audit.frontdesk import check_frontdesk
from chaos.audit.loyalty import check_loyalty, expected_loyalty
from chaos.audit.payments import check_invoices
from chaos.audit.stays import (
    check_accepted_terminal,
    check_ended_release_everything,
    check_idempotent_retries,
    check_live_have_room_and_authorization,
    check_room_nights,
    expected_statuses,
)
from chaos.audit.streams import check_event_streams, required_events
from chaos.model import Journal, Observed

CHECKS = (
    check_accepted_terminal,
    check_idempotent_retries,
    check_room_nights,
    check_live_have_room_and_authorization,
    check_ended_release_everything,
    check_invoices,
    check_loyalty,
    check_event_streams,
    check_frontdesk,
)


def audit(journal: Journal, observed: Observed) -> list[Check]:
    return [check(journal, observed) for check in CHECKS]


__all__ = [
    "CHECKS",
    "Check",
    "audit",
    "check_accepted_terminal",
    "check_ended_release_everything",
    "check_event_streams",
    "check_frontdesk",
    "check_idempotent_retries",
    "check_invoices",
    "check_live_have_room_and_authorization",
    "check_loyalty",
    "check_room_nights",
    "expected_loyalty",
    "expected_statuses",
    "required_events",
]
