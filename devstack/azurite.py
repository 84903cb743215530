"""Start and stop Azurite from the project's own ``node_modules``.

Azurite is installed by ``npm ci`` from ``package-lock.json`` (pinned to 3.35.0, the newest that
runs on Node 20). It is started with ``--skipApiVersionCheck`` because current SDKs send a newer
storage API version than Azurite knows, and ``--disableTelemetry`` because it otherwise phones
home and logs errors on a machine without internet.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from adapters.connection import (
    DEV_ACCOUNT_KEY,
    DEV_ACCOUNT_NAME,
    development_connection_string,
    expand_connection_string,
)
from adapters.storage_names import CONTAINERS, TABLES

log = logging.getLogger("devstack.azurite")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AZURITE_JS = PROJECT_ROOT / "node_modules" / "azurite" / "dist" / "src" / "azurite.js"

ACCOUNT_NAME = DEV_ACCOUNT_NAME
ACCOUNT_KEY = DEV_ACCOUNT_KEY


class AzuriteError(RuntimeError):
    """Azurite could not be started (missing Node, not installed, port in use, timeout)."""


@dataclass(frozen=True)
class AzuritePorts:
    blob: int = 10000
    queue: int = 10001
    table: int = 10002

    @classmethod
    def free(cls) -> AzuritePorts:
        return cls(blob=free_port(), queue=free_port(), table=free_port())


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def connection_string(ports: AzuritePorts, host: str = "127.0.0.1") -> str:
    """An explicit connection string (``UseDevelopmentStorage=true`` only covers default ports)."""
    return development_connection_string(ports.blob, ports.queue, ports.table, host)


def ports_from_connection_string(value: str) -> AzuritePorts:
    """The Azurite ports a connection string points at (defaults where it does not say)."""
    parts = dict(
        part.split("=", 1) for part in expand_connection_string(value).split(";") if "=" in part
    )
    defaults = AzuritePorts()

    def port_of(key: str, default: int) -> int:
        endpoint = parts.get(key)
        if not endpoint:
            return default
        return httpx.URL(endpoint).port or default

    return AzuritePorts(
        blob=port_of("BlobEndpoint", defaults.blob),
        queue=port_of("QueueEndpoint", defaults.queue),
        table=port_of("TableEndpoint", defaults.table),
    )


class Azurite:
    """A running Azurite process; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        ports: AzuritePorts | None = None,
        location: Path | None = None,
        in_memory: bool = False,
        host: str = "127.0.0.1",
        log_file: Path | None = None,
    ) -> None:
        if in_memory and location is not None:
            raise ValueError("Azurite cannot combine --inMemoryPersistence with --location")
        self.ports = ports or AzuritePorts()
        self.location = location
        self.in_memory = in_memory
        self.host = host
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        return connection_string(self.ports, self.host)

    @property
    def pid(self) -> int | None:
        """The Azurite process id while it runs."""
        return None if self._process is None else self._process.pid

    def command(self) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise AzuriteError("Node.js was not found on PATH: install Node 20+ (it runs Azurite)")
        if not AZURITE_JS.exists():
            raise AzuriteError(f"Azurite is not installed ({AZURITE_JS} missing): run 'npm ci'")
        cmd = [
            node,
            str(AZURITE_JS),
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
            "--blobHost", self.host, "--blobPort", str(self.ports.blob),
            "--queueHost", self.host, "--queuePort", str(self.ports.queue),
            "--tableHost", self.host, "--tablePort", str(self.ports.table),
        ]  # fmt: skip
        if self.in_memory:
            cmd.append("--inMemoryPersistence")
        else:
            location = self.location or PROJECT_ROOT / ".azurite"
            location.mkdir(parents=True, exist_ok=True)
            cmd += ["--location", str(location)]
        return cmd

    def start(self, timeout: float = 30.0) -> None:
        for name, port in (
            ("blob", self.ports.blob),
            ("queue", self.ports.queue),
            ("table", self.ports.table),
        ):
            if port_in_use(port, self.host):
                raise AzuriteError(
                    f"port {port} ({name}) is already in use: stop the other Azurite/process "
                    "or choose other ports in AzureWebJobsStorage"
                )
        cmd = self.command()
        log.info("starting Azurite: blob %s, queue %s, table %s", *self._port_list())
        stdout = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.STDOUT)
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _port_list(self) -> tuple[int, int, int]:
        return (self.ports.blob, self.ports.queue, self.ports.table)

    def wait_ready(self, timeout: float) -> None:
        """Block until Blob, Queue and Table all answer HTTP (any status means it is up)."""
        deadline = time.monotonic() + timeout
        pending = {
            f"http://{self.host}:{port}/{ACCOUNT_NAME}?comp=list" for port in self._port_list()
        }
        with httpx.Client(timeout=1.0) as client:
            while pending:
                if self._process is not None and self._process.poll() is not None:
                    raise AzuriteError(
                        f"Azurite exited with code {self._process.returncode} during start-up"
                    )
                for url in sorted(pending):
                    try:
                        client.get(url)
                        pending.discard(url)
                    except httpx.TransportError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise AzuriteError(f"Azurite did not answer within {timeout:.0f}s: {pending}")
                if pending:
                    time.sleep(0.1)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> Azurite:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def ensure_resources(
    conn_str: str,
    tables: Iterable[str] = TABLES,
    containers: Iterable[str] = CONTAINERS,
) -> None:
    """Create the tables and blob containers the app needs; existing ones are left alone."""
    conn_str = expand_connection_string(conn_str)
    with TableServiceClient.from_connection_string(conn_str) as table_service:
        for table in tables:
            table_service.create_table_if_not_exists(table)
    with BlobServiceClient.from_connection_string(conn_str) as blob_service:
        for container in containers:
            with contextlib.suppress(ResourceExistsError):
                blob_service.create_container(container)
