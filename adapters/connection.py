"""Storage connection strings: the Azurite development account and its shorthand.

Lives with the app (not devstack/, which is never deployed) because the app itself must
understand ``UseDevelopmentStorage=true``, the value Core Tools users put in local.settings.json.
"""

from __future__ import annotations

from typing import Final

# The well-known development account (public, documented by Microsoft; not a secret).
DEV_ACCOUNT_NAME: Final = "devstoreaccount1"
DEV_ACCOUNT_KEY: Final = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
DEFAULT_BLOB_PORT: Final = 10000
DEFAULT_QUEUE_PORT: Final = 10001
DEFAULT_TABLE_PORT: Final = 10002


def development_connection_string(
    blob: int = DEFAULT_BLOB_PORT,
    queue: int = DEFAULT_QUEUE_PORT,
    table: int = DEFAULT_TABLE_PORT,
    host: str = "127.0.0.1",
) -> str:
    """An explicit Azurite connection string (the shorthand only covers the default ports)."""
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={DEV_ACCOUNT_NAME};AccountKey={DEV_ACCOUNT_KEY};"
        f"BlobEndpoint=http://{host}:{blob}/{DEV_ACCOUNT_NAME};"
        f"QueueEndpoint=http://{host}:{queue}/{DEV_ACCOUNT_NAME};"
        f"TableEndpoint=http://{host}:{table}/{DEV_ACCOUNT_NAME};"
    )


def expand_connection_string(value: str) -> str:
    """Turn the ``UseDevelopmentStorage=true`` shorthand into the explicit local string.

    The Python SDKs do not understand the shorthand; Core Tools and the Functions host do.
    """
    if value.strip().rstrip(";").lower() == "usedevelopmentstorage=true":
        return development_connection_string()
    return value
