"""What the app reads back from a dead-letter blob's name."""

from __future__ import annotations

import pytest

from handlers.dead_letters import subscription_of


@pytest.mark.parametrize(
    ("name", "subscription"),
    [
        ("BILLING/2031/1/1/1/x.json", "billing"),
        ("billing/2031/1/1/1/x.json", "billing"),
        ("LOYALTY/x.json", "loyalty"),
        ("PAYMENTS/2031/1/1/1/x.json", None),
    ],
)
def test_the_folder_names_the_subscription(name: str, subscription: str | None) -> None:
    assert subscription_of(name) == subscription
