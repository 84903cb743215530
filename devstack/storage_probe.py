"""What storage the stack finds: a local Azurite or not, one already running, one it started.

- ``is_local_storage`` / ``azurite_host``: read ``AzureWebJobsStorage``;
- ``running_azurite``: is an Azurite already answering on the connection string's ports (then the
  stack reuses it), are they all free (then it starts one), or is something else in the way;
- ``record_azurite`` / ``recorded_azurite_running``: the note an Azurite started by the stack
  leaves beside its data. If ``devstack up`` is killed that Azurite lives on, and the next
  ``devstack up`` reuses it -- and must then resume the emulator's journal kept beside its data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

import httpx

from devstack.azurite import ACCOUNT_NAME, AzuritePorts, port_in_use
from devstack.errors import StackError

AZURITE_RECORD_FILE: Final = "devstack-azurite.json"


def _storage_parts(connection_string: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)


def is_local_storage(connection_string: str) -> bool:
    """True for the Azurite development account (whatever its ports)."""
    return _storage_parts(connection_string).get("AccountName") == ACCOUNT_NAME


def azurite_host(connection_string: str, default: str = "127.0.0.1") -> str:
    """The host of the blob endpoint, where Azurite listens; ``default`` without one."""
    endpoint = _storage_parts(connection_string).get("BlobEndpoint")
    return (httpx.URL(endpoint).host or default) if endpoint else default


def running_azurite(ports: AzuritePorts, host: str) -> bool:
    """True if Azurite answers on all three ports; False if all are free; else StackError."""
    named = {"blob": ports.blob, "queue": ports.queue, "table": ports.table}
    busy = {name: port for name, port in named.items() if port_in_use(port, host)}
    if not busy:
        return False
    for name, port in named.items():
        server = ""
        if name in busy:
            try:
                response = httpx.get(
                    f"http://{host}:{port}/{ACCOUNT_NAME}?comp=list", timeout=2.0, trust_env=False
                )
                server = response.headers.get("server", "")
            except httpx.HTTPError:
                server = ""
        if not server.startswith("Azurite"):
            state = "in use by something that is not Azurite" if name in busy else "free"
            raise StackError(
                f"Azurite {name} port {port} on {host} is {state} while other Azurite ports are "
                "in use: stop the other process or change the ports in AzureWebJobsStorage"
            )
    return True


def record_azurite(location: Path, ports: AzuritePorts, pid: int | None) -> None:
    """Note which Azurite (ports and process) keeps its data in ``location``."""
    record = {"blob": ports.blob, "queue": ports.queue, "table": ports.table, "pid": pid or 0}
    (location / AZURITE_RECORD_FILE).write_text(json.dumps(record), encoding="utf-8")


def recorded_azurite_running(location: Path, ports: AzuritePorts) -> bool:
    """True if ``location``'s record names these ports and a process that still exists: the
    Azurite running on them is the one an earlier ``devstack up`` started with this data."""
    try:
        record = json.loads((location / AZURITE_RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    same_ports = [record.get(k) for k in ("blob", "queue", "table")] == [
        ports.blob,
        ports.queue,
        ports.table,
    ]
    pid = record.get("pid")
    if not same_ports or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: does that process still exist?
    except OSError:
        return False
    return True
