"""Seed the demo catalog: ``python -m adapters.seed`` (idempotent).

Locally it uses ``AzureWebJobsStorage`` (``make run`` does this for you). In Azure, where shared
keys are off, pass the table endpoint and sign in with ``az login``: DefaultAzureCredential then
needs Storage Table Data Contributor on the account (the Bicep grants it to the deploying user).
"""

from __future__ import annotations

import argparse
import os
import sys

from azure.data.tables import TableServiceClient
from azure.identity import DefaultAzureCredential

from adapters.azure_tables import AzureTableStore, StorageTransactionCounter
from adapters.bootstrap import seed_catalog
from adapters.storage_names import CATALOG_TABLE
from adapters.table_catalog import TableCatalog
from domain.catalog import DEMO_CATALOG


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.seed", description=__doc__)
    parser.add_argument(
        "--table-endpoint",
        help="e.g. https://<account>.table.core.windows.net (uses DefaultAzureCredential)",
    )
    args = parser.parse_args(argv)
    if args.table_endpoint:
        with TableServiceClient(args.table_endpoint, credential=DefaultAzureCredential()) as svc:
            svc.create_table_if_not_exists(CATALOG_TABLE)
            store = AzureTableStore(svc, counter=StorageTransactionCounter())
            catalog = TableCatalog(store, CATALOG_TABLE)
            catalog.seed_catalog(DEMO_CATALOG)
        where = args.table_endpoint
    else:
        connection_string = os.environ.get("AzureWebJobsStorage")  # noqa: SIM112 (its real name)
        if not connection_string:
            print("error: set AzureWebJobsStorage or pass --table-endpoint", file=sys.stderr)
            return 2
        seed_catalog(connection_string)
        where = "AzureWebJobsStorage"
    print(f"seeded {len(DEMO_CATALOG)} hotels into {CATALOG_TABLE} at {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
