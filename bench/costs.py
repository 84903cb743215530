"""What a million bookings would cost on Azure, from the run's per-booking figures (pure).

Published pay-as-you-go retail prices in USD (East US; Table storage Standard LRS, Event Grid
Basic custom topics, Flex Consumption on demand), as listed in ``PRICES_AS_OF``. Monthly free
grants (Event Grid 100,000 operations; Flex Consumption 100,000 GB-s and 250,000 executions) are
left out: per million bookings they change little, and they are per subscription.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

PRICES_AS_OF: Final = "2026-07"
REGION: Final = "East US"
TABLE_TRANSACTION_USD: Final = 0.00036 / 10_000
EVENTGRID_OPERATION_USD: Final = 0.60 / 1_000_000
FLEX_EXECUTION_USD: Final = 0.40 / 1_000_000
FLEX_GB_SECOND_USD: Final = 0.000026
INSTANCE_MEMORY_GB: Final = 2.0  # infra/main.bicep instanceMemoryMB = 2048
# Entities in one of the app's entity-group transactions (state, guard, outbox row, marker):
# used where a batch is billed per entity rather than as one transaction.
ENTITIES_PER_BATCH: Final = 4
MILLION: Final = 1_000_000


def cost_per_million(
    storage: Mapping[str, Any] | None,
    grid: Mapping[str, Any] | None,
    executions: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """USD per million bookings, each item with a low and a high estimate and how it is made."""
    if not storage or not grid or not executions:
        return None
    calls = float(storage["total"])
    batches = float(storage["byKind"].get("transaction", 0))
    per_entity = calls + batches * (ENTITIES_PER_BATCH - 1)
    operations = float(grid["publishes"]) + float(grid["deliveries"])
    runs = float(executions["executions"])
    active = float(executions["executionSeconds"])
    items = {
        "tableTransactions": (
            calls * MILLION * TABLE_TRANSACTION_USD,
            per_entity * MILLION * TABLE_TRANSACTION_USD,
            f"{calls:g} calls per booking (a batch as one transaction) .. {per_entity:g} "
            f"(a batch as {ENTITIES_PER_BATCH} entities)",
        ),
        "eventGridOperations": (
            operations * MILLION * EVENTGRID_OPERATION_USD,
            operations * MILLION * EVENTGRID_OPERATION_USD,
            f"{operations:g} operations per booking (publishes + delivery attempts)",
        ),
        "flexExecutions": (
            runs * MILLION * FLEX_EXECUTION_USD,
            runs * MILLION * FLEX_EXECUTION_USD,
            f"{runs:g} executions per booking",
        ),
        "flexGbSeconds": (
            active * INSTANCE_MEMORY_GB * MILLION * FLEX_GB_SECOND_USD,
            runs * 1.0 * INSTANCE_MEMORY_GB * MILLION * FLEX_GB_SECOND_USD,
            f"{active:g} s of measured execution per booking .. 1 s per execution, "
            f"x {INSTANCE_MEMORY_GB:g} GB",
        ),
    }
    result: dict[str, Any] = {
        name: {"low": round(low, 2), "high": round(high, 2), "basis": basis}
        for name, (low, high, basis) in items.items()
    }
    result["total"] = {
        "low": round(sum(v[0] for v in items.values()), 2),
        "high": round(sum(v[1] for v in items.values()), 2),
    }
    result["pricesAsOf"] = PRICES_AS_OF
    result["region"] = REGION
    return result
