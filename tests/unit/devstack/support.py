"""What the devstack unit tests share: a local storage account on ports nothing listens on."""

from __future__ import annotations

from typing import Final

from devstack.azurite import AzuritePorts, connection_string

STORAGE_PORTS: Final = AzuritePorts(blob=20000, queue=20001, table=20002)
STORAGE: Final = connection_string(STORAGE_PORTS)
