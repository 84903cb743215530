"""Reading ``AzureWebJobsStorage`` and the record of an Azurite the stack started."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.azurite import AzuritePorts
from devstack.storage_probe import (
    AZURITE_RECORD_FILE,
    azurite_host,
    is_local_storage,
    record_azurite,
    recorded_azurite_running,
)
from tests.unit.devstack.support import STORAGE, STORAGE_PORTS


def test_local_storage_is_the_development_account_whatever_its_ports() -> None:
    assert is_local_storage(STORAGE)
    assert azurite_host(STORAGE) == "127.0.0.1"
    real = "DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=a2V5;EndpointSuffix=x.net"
    assert not is_local_storage(real)


def test_a_recorded_azurite_is_recognised_while_its_process_lives(tmp_path: Path) -> None:
    ports = STORAGE_PORTS
    assert not recorded_azurite_running(tmp_path, ports)  # no record yet
    record_azurite(tmp_path, ports, os.getpid())  # a process that certainly exists
    assert recorded_azurite_running(tmp_path, ports)
    assert not recorded_azurite_running(tmp_path, AzuritePorts(blob=20000, queue=20001, table=1))


def test_a_record_without_a_process_or_unreadable_is_not_trusted(tmp_path: Path) -> None:
    ports = STORAGE_PORTS
    record_azurite(tmp_path, ports, None)  # Azurite's process id was unknown
    assert not recorded_azurite_running(tmp_path, ports)
    (tmp_path / AZURITE_RECORD_FILE).write_text("{not json", encoding="utf-8")
    assert not recorded_azurite_running(tmp_path, ports)
