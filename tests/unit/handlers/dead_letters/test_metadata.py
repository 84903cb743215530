"""What the app reads back from a dead-letter blob's name."""

from __future__ import annotations

import pytest

from handlers.dead_letters import subscription_of
from handlers.dead_letters.blob_format import folder_of


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


# Named exactly as Azure names dead letters: the subscription upper-cased, the UTC date and hour
# not zero-padded, a lower-case GUID (Microsoft Learn's example and blobs seen from Azure).
AZURE_GUID = "e3b13e86-a4b8-429d-a6c2-74ba646f1c5e"


@pytest.mark.parametrize(
    ("name", "subscription"),
    [
        (f"BILLING/2019/6/13/5/{AZURE_GUID}.json", "billing"),
        (f"RESERVATIONS/2031/12/31/23/{AZURE_GUID}.json", "reservations"),
        (f"ROOMS/2019/8/8/0/{AZURE_GUID}.json", "rooms"),
        # A prefix before the subscription (a topic name, a folder) does not hide it.
        (f"hotel-events/LOYALTY/2019/8/8/5/{AZURE_GUID}.json", "loyalty"),
        (f"archive/2024/BILLING/2019/8/8/5/{AZURE_GUID}.json", "billing"),
        # A subscription that is not ours is unknown, even in Azure's shape.
        (f"ASB-SUB-2-STORAGE/2019/6/13/5/{AZURE_GUID}.json", None),
    ],
)
def test_azure_named_blobs_map_to_their_subscription(name: str, subscription: str | None) -> None:
    assert subscription_of(name) == subscription


def test_the_folder_of_an_azure_named_blob_is_the_segment_before_its_date() -> None:
    assert folder_of(f"topic/ASB-SUB-2-STORAGE/2019/6/13/5/{AZURE_GUID}.json") == (
        "ASB-SUB-2-STORAGE"
    )
    assert folder_of("ROOMS/2019/13/1/1/x.json") == "ROOMS"  # not Azure's shape: first segment
