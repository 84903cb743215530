"""Names of the tables and blob containers the app owns.

One list, read by the local Azurite launcher (which creates them), the adapters (which use them)
and the Bicep generator (which declares them in Azure), so the three never disagree.
"""

from __future__ import annotations

from typing import Final

RESERVATIONS_TABLE: Final = "Reservations"
ROOMS_TABLE: Final = "Rooms"
BILLING_TABLE: Final = "Billing"
LOYALTY_TABLE: Final = "Loyalty"
CATALOG_TABLE: Final = "Catalog"
# The front desk's read model (day sheets per hotel): PK = hotel id.
FRONTDESK_TABLE: Final = "Frontdesk"
# Payment tokens, out of events (the vault): PK = reservation id.
PAYMENT_METHODS_TABLE: Final = "PaymentMethods"

DEADLETTER_CONTAINER: Final = "deadletter"
DEADLETTER_ARCHIVE_CONTAINER: Final = "deadletter-archive"
DEADLETTER_POISON_CONTAINER: Final = "deadletter-poison"

TABLES: Final[tuple[str, ...]] = (
    RESERVATIONS_TABLE,
    ROOMS_TABLE,
    BILLING_TABLE,
    LOYALTY_TABLE,
    CATALOG_TABLE,
    PAYMENT_METHODS_TABLE,
    FRONTDESK_TABLE,
)
CONTAINERS: Final[tuple[str, ...]] = (
    DEADLETTER_CONTAINER,
    DEADLETTER_ARCHIVE_CONTAINER,
    DEADLETTER_POISON_CONTAINER,
)
