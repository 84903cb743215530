"""A guest's loyalty keeps working past any number of stays (on a real Azurite).

Accounts once listed every awarded reservation in one property; at 837 stays that list passed
the 64 KiB property limit and every later award failed forever.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from adapters.bootstrap import build_ports
from adapters.settings import Settings
from domain.events import PaymentCaptured
from handlers.dispatch import dispatch
from handlers.loyalty import loyalty_view
from tests.port_suites.support import unique
from tests.support.memory_ports import InMemoryPublisher

pytestmark = pytest.mark.integration

STAYS = 840  # past the 836 that one property could hold


def test_a_guest_earns_points_for_every_stay_past_the_old_limit(
    storage_connection_string: str,
) -> None:
    settings = Settings.load(
        {
            "AzureWebJobsStorage": storage_connection_string,
            "EVENTGRID_TOPIC_ENDPOINT": "http://127.0.0.1:9/api/events",
            "EVENTGRID_TOPIC_KEY": "unused",
        }
    )
    publisher = InMemoryPublisher()
    ports = dataclasses.replace(build_ports(settings), publisher=publisher)
    guest = unique("g")
    captures = [
        PaymentCaptured(
            reservation_id=str(uuid.uuid4()),
            hotel_id="grand-lisbon",
            occurred_at=datetime(2031, 1, 1, tzinfo=UTC),
            guest_id=guest,
            amount=Decimal("10.00"),
            currency="EUR",
            kind="stay",
            nights=1,
        )
        for _ in range(STAYS)
    ]
    for capture in captures:
        dispatch("loyalty", capture.event_type(), capture.to_data(), ports)
    # A redelivery of an old stay still awards nothing.
    dispatch("loyalty", captures[0].event_type(), captures[0].to_data(), ports)

    view = loyalty_view(guest, ports)
    assert view["nights"] == STAYS
    assert view["tier"] == "Platinum"
    awarded = [ce for ce in publisher.published if ce["type"] == "Hotel.LoyaltyPointsAwarded"]
    assert len({ce["id"] for ce in awarded}) == STAYS
    # 10 points a stay up to 10 nights, then x1.25, x1.5 from 25 and x2 from 50 nights.
    assert view["points"] == 10 * 10 + 12 * 15 + 15 * 25 + 20 * (STAYS - 50)
