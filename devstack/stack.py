"""The whole local platform in one object: Azurite, the Functions host and the Event Grid emulator.

``LocalStack(config).start()`` (or ``with LocalStack(config) as stack:``) starts, in order:

1. Azurite on the ports of ``config.storage`` -- unless an Azurite already answers there, which is
   then reused (and said so); a storage account that is not local is used as it is;
2. the app's tables and containers (``ensure_resources``);
3. the ``on_storage_ready(connection_string)`` hook, e.g. seeding the demo catalog;
4. the Functions host serving ``function_app.py`` on ``config.host_port``, with the app settings
   pointing at this stack (``StackConfig.app_settings``);
5. the Event Grid emulator on ``config.eventgrid_port``, its subscriptions built from
   ``handlers.routing.SUBSCRIPTIONS`` and delivering to the host. The host starts first so the
   validation handshakes succeed at once; ``start()`` waits (briefly) for them.

``stop()`` stops them in reverse order; an Azurite that was reused is left running.
``python -m devstack up`` is this class plus settings, a banner and signal handling.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx

from devstack.azurite import (
    ACCOUNT_NAME,
    PROJECT_ROOT,
    Azurite,
    AzuritePorts,
    ensure_resources,
    port_in_use,
    ports_from_connection_string,
)
from devstack.eventgrid import EventGridEmulator
from devstack.eventgrid.config import parse_config
from devstack.host import FunctionsHost
from devstack.server import ServerThread
from devstack.settings import RETRY_DELAYS, StackConfig
from handlers.routing import SUBSCRIPTIONS, TOPIC_NAME, Subscription

EVENTGRID_SAMPLE_CONFIG: Final = PROJECT_ROOT / "devstack" / "eventgrid.local.json"
# Next to Azurite's data, so the events pending delivery live and die with the data they are about.
EVENTGRID_JOURNAL_FILE: Final = "eventgrid-journal.sqlite"
AZURITE_RECORD_FILE: Final = "devstack-azurite.json"
SEED_MODULE: Final = "adapters.bootstrap"
SEED_FUNCTION: Final = "seed_catalog"

Report = Callable[[str], None]
StorageHook = Callable[[str], None]


class StackError(RuntimeError):
    """The stack cannot start; the message is one line saying what to do."""


def _print(line: str) -> None:
    print(line, flush=True)


def _line(component: str, text: str) -> str:
    return f"  {component:<11} {text}"


# -- Event Grid emulator configuration --------------------------------------------------------


def webhook_url(host_url: str, function_name: str) -> str:
    """Where the Functions host takes Event Grid deliveries for one function."""
    return f"{host_url}/runtime/webhooks/eventgrid?functionName={function_name}"


def eventgrid_config(
    *,
    host_url: str,
    topic_key: str,
    storage: str,
    subscriptions: Iterable[Subscription] = SUBSCRIPTIONS,
    retry_delays_seconds: Sequence[float] | None = None,
    delivery_multiplier: int = 1,
    max_delivery_attempts: int | None = None,
    journal: Path | None = None,
) -> dict[str, Any]:
    """The emulator's JSON configuration (contract.md format) for the routing table."""
    config: dict[str, Any] = {
        "topic": {"name": TOPIC_NAME, "key": topic_key, "inputSchema": "CloudEventSchemaV1_0"},
        "storage": storage,
    }
    if retry_delays_seconds:
        config["retryDelaysSeconds"] = list(retry_delays_seconds)
    if delivery_multiplier != 1:
        config["deliveryMultiplier"] = delivery_multiplier
    if journal is not None:
        config["journal"] = str(journal)
    config["subscriptions"] = [
        {
            "name": sub.name,
            "endpoint": webhook_url(host_url, sub.function_name),
            "filter": {"includedEventTypes": list(sub.included_event_types)},
            "retryPolicy": {
                "maxDeliveryAttempts": max_delivery_attempts or sub.max_delivery_attempts,
                "eventTimeToLiveInMinutes": sub.event_ttl_minutes,
            },
            "deadLetter": {"container": sub.deadletter_container},
        }
        for sub in subscriptions
    ]
    return config


def sample_eventgrid_config() -> dict[str, Any]:
    """``devstack/eventgrid.local.json``: the emulator alone, in front of ``func start``."""
    return eventgrid_config(
        host_url="http://127.0.0.1:7071",
        topic_key="local-dev-key",
        storage="UseDevelopmentStorage=true",
    )


# -- the seeding hook -------------------------------------------------------------------------


def seed_catalog_if_available(
    connection_string: str,
    *,
    module: str = SEED_MODULE,
    function: str = SEED_FUNCTION,
    report: Report = _print,
) -> bool:
    """Call ``module.function(connection_string)`` if the app provides it; True if it did.

    Imported lazily, so the stack runs before the app's seeding code exists. Only the module's
    own absence is skipped: an ImportError inside it is a bug and propagates.
    """
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not missing or not (module == missing or module.startswith(missing + ".")):
            raise
        report(_line("seed", f"skipped: no {module} module yet"))
        return False
    seed = getattr(loaded, function, None)
    if not callable(seed):
        report(_line("seed", f"skipped: {module} has no {function}()"))
        return False
    seed(connection_string)
    report(_line("seed", f"done ({module}.{function})"))
    return True


def app_seed_hook(report: Report = _print) -> StorageHook:
    """The hook ``devstack up`` passes as ``on_storage_ready``: seeds the demo catalog."""

    def hook(connection_string: str) -> None:
        seed_catalog_if_available(connection_string, report=report)

    return hook


# -- ports ------------------------------------------------------------------------------------


def check_port_free(host: str, port: int, what: str, setting: str) -> None:
    """StackError (one line, with the setting to change) if ``port`` cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError:
            raise StackError(
                f"port {port} on {host} ({what}) is already in use: stop the other process "
                f"(another 'devstack up' or 'func start'?) or change {setting}"
            ) from None


def _storage_parts(connection_string: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)


def is_local_storage(connection_string: str) -> bool:
    """True for the Azurite development account (whatever its ports)."""
    return _storage_parts(connection_string).get("AccountName") == ACCOUNT_NAME


def azurite_host(connection_string: str, default: str = "127.0.0.1") -> str:
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


# -- the stack --------------------------------------------------------------------------------


class LocalStack:
    """Azurite + Functions host + Event Grid emulator; see the module docstring."""

    def __init__(
        self,
        config: StackConfig | None = None,
        *,
        project_root: Path = PROJECT_ROOT,
        module: str = "function_app",
        on_storage_ready: StorageHook | None = None,
        report: Report = _print,
        validation_timeout: float = 5.0,
    ) -> None:
        self.config = config or StackConfig()
        self.project_root = project_root
        self.module = module
        self.on_storage_ready = on_storage_ready
        self.report = report
        self.validation_timeout = validation_timeout
        self.azurite: Azurite | None = None  # only when this stack started it
        self.reused_azurite = False
        self.azurite_location: Path | None = None  # only when this stack keeps Azurite on disk
        self.host: FunctionsHost | None = None
        self.emulator: EventGridEmulator | None = None
        self._host_server: ServerThread | None = None
        self._eventgrid_server: ServerThread | None = None

    # -- addresses --------------------------------------------------------------------------

    @property
    def host_url(self) -> str:
        return self.config.host_url

    @property
    def eventgrid_url(self) -> str:
        return self.config.eventgrid_url

    @property
    def topic_endpoint(self) -> str:
        """What ``EventGridPublisherClient`` wants: the emulator URL + ``/api/events``."""
        return f"{self.eventgrid_url}/api/events"

    @property
    def connection_string(self) -> str:
        return self.config.storage

    @property
    def function_key(self) -> str | None:
        return self.config.function_key

    @property
    def topic_key(self) -> str:
        return self.config.topic_key

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LocalStack:
        """Start everything (see the module docstring); on any failure stop what started."""
        if self._host_server is not None:
            raise RuntimeError("the stack is already started")
        self.check_ports()
        try:
            self._start_storage()
            if self.on_storage_ready is not None:
                os.environ.update(self.config.app_settings())  # what the app will see
                self.on_storage_ready(self.connection_string)
            self._start_host()
            self._start_eventgrid()
            self._await_validation()
        except BaseException:
            self.stop()
            raise
        return self

    def check_ports(self) -> None:
        """Fail before starting anything if the host's or the emulator's port is taken."""
        config = self.config
        if config.host_port == config.eventgrid_port:
            raise StackError(
                f"the Functions host and the Event Grid emulator both want port {config.host_port}"
                ": change DEVSTACK_HOST_PORT or DEVSTACK_EVENTGRID_PORT"
            )
        bind = config.bind_host
        check_port_free(bind, config.host_port, "Functions host", "DEVSTACK_HOST_PORT")
        check_port_free(bind, config.eventgrid_port, "Event Grid", "DEVSTACK_EVENTGRID_PORT")

    def _start_storage(self) -> None:
        storage = self.connection_string
        if not is_local_storage(storage):
            self.report(_line("storage", "using the storage account in AzureWebJobsStorage"))
        else:
            ports = ports_from_connection_string(storage)
            host = azurite_host(storage)
            where = f"{host}, blob {ports.blob}, queue {ports.queue}, table {ports.table}"
            if running_azurite(ports, host):
                self.reused_azurite = True
                self.azurite_location = self._own_azurite_data(ports)
                self.report(_line("azurite", f"{where}: reusing the Azurite already running"))
            else:
                location = None if self.config.azurite_in_memory else self._azurite_location()
                azurite = Azurite(
                    ports=ports, host=host, location=location, in_memory=location is None
                )
                azurite.start()
                self.azurite = azurite
                self.azurite_location = location
                if location is not None:
                    self._record_azurite(location, ports, azurite)
                data = "in memory" if location is None else f"data in {location}"
                self.report(_line("azurite", f"{where}; {data}"))
        try:
            ensure_resources(storage)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StackError(
                f"creating the tables and containers failed ({first}); if you started Azurite "
                "yourself, start it with --skipApiVersionCheck"
            ) from exc

    def _record_azurite(self, location: Path, ports: AzuritePorts, azurite: Azurite) -> None:
        """Note which Azurite keeps its data in ``location``: if this process is killed, that
        Azurite lives on, and the next ``devstack up`` reuses it -- and must then resume the
        emulator's journal kept beside its data (``_own_azurite_data``)."""
        record = {"blob": ports.blob, "queue": ports.queue, "table": ports.table}
        record["pid"] = azurite.pid or 0
        (location / AZURITE_RECORD_FILE).write_text(json.dumps(record), encoding="utf-8")

    def _own_azurite_data(self, ports: AzuritePorts) -> Path | None:
        """The data folder of a running Azurite that an earlier ``devstack up`` started on these
        ports (its record matches and its process lives), else None."""
        if self.config.azurite_in_memory:
            return None
        location = self._azurite_location()
        try:
            record = json.loads((location / AZURITE_RECORD_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        same_ports = [record.get(k) for k in ("blob", "queue", "table")] == [
            ports.blob,
            ports.queue,
            ports.table,
        ]
        pid = record.get("pid")
        if not same_ports or not isinstance(pid, int) or pid <= 0:
            return None
        try:
            os.kill(pid, 0)  # signal 0: does that process still exist?
        except OSError:
            return None
        return location

    def _azurite_location(self) -> Path:
        location = self.config.azurite_location or self.project_root / ".azurite"
        return location if location.is_absolute() else self.project_root / location

    def eventgrid_journal(self) -> Path | None:
        """The emulator's journal file (see ``StackConfig.eventgrid_journal``), or None."""
        setting = self.config.eventgrid_journal
        if setting is None:
            # Automatic: only when Azurite's data is on disk where we know it (we started that
            # Azurite, now or in an earlier run); another reused Azurite (e.g. the tests'
            # in-memory one) gets no journal, so no file appears in the project.
            if self.azurite_location is None:
                return None
            return self.azurite_location / EVENTGRID_JOURNAL_FILE
        if not setting:
            return None
        path = Path(setting)
        return path if path.is_absolute() else self.project_root / path

    def _start_host(self) -> None:
        config = self.config
        host = FunctionsHost.load(
            self.project_root,
            module=self.module,
            settings=config.app_settings(),
            function_key=config.function_key,
        )
        server = ServerThread(
            host.asgi, host=config.bind_host, port=config.host_port, name="functions-host"
        )
        server.start()
        self.host, self._host_server = host, server
        keys = "function key required" if config.function_key else "no keys checked"
        self.report(
            _line("functions", f"{self.host_url}/api ({len(host.functions)} functions, {keys})")
        )

    def _start_eventgrid(self) -> None:
        config = self.config
        document = eventgrid_config(
            host_url=self.host_url,
            topic_key=config.topic_key,
            storage=self.connection_string,
            retry_delays_seconds=config.retry_delays_seconds,
            delivery_multiplier=config.delivery_multiplier,
            max_delivery_attempts=config.max_delivery_attempts,
            journal=self.eventgrid_journal(),
        )
        emulator = EventGridEmulator(parse_config(document))
        server = ServerThread(
            emulator.asgi, host=config.bind_host, port=config.eventgrid_port, name="eventgrid"
        )
        server.start()
        self.emulator, self._eventgrid_server = emulator, server
        delays = (
            f"retry delays {', '.join(f'{d:g}' for d in config.retry_delays_seconds)} s"
            if config.retry_delays_seconds
            else f"Azure's retry schedule ({RETRY_DELAYS} to shrink it)"
        )
        journal = document.get("journal")
        self.report(
            _line(
                "eventgrid",
                f"{self.topic_endpoint} (topic {TOPIC_NAME}, "
                f"{len(document['subscriptions'])} subscriptions, {delays}; "
                + (f"pending deliveries journaled in {journal})" if journal else "no journal)"),
            )
        )

    def routed_functions_missing(self) -> list[Subscription]:
        """Subscriptions whose function the app does not define (their events wait)."""
        host = self.host
        if host is None:
            return list(SUBSCRIPTIONS)
        return [sub for sub in SUBSCRIPTIONS if host.function(sub.function_name) is None]

    def _await_validation(self) -> None:
        missing = self.routed_functions_missing()
        for sub in missing:
            self.report(
                _line(
                    "eventgrid",
                    f"subscription {sub.name}: function_app has no function "
                    f"'{sub.function_name}' yet; its events wait",
                )
            )
        expected = {sub.name for sub in SUBSCRIPTIONS} - {sub.name for sub in missing}
        deadline = time.monotonic() + self.validation_timeout
        while expected - self.validated_subscriptions():
            if time.monotonic() > deadline:
                late = ", ".join(sorted(expected - self.validated_subscriptions()))
                self.report(_line("eventgrid", f"not validated yet: {late} (still retrying)"))
                return
            time.sleep(0.02)

    def validated_subscriptions(self) -> set[str]:
        if self.emulator is None:
            return set()
        subscriptions: dict[str, dict[str, Any]] = self.emulator.stats()["subscriptions"]  # type: ignore[assignment]
        return {name for name, sub in subscriptions.items() if sub["validated"]}

    def stop(self) -> None:
        """Stop everything this stack started, in reverse order; safe to call twice."""
        eventgrid, self._eventgrid_server = self._eventgrid_server, None
        host, self._host_server = self._host_server, None
        azurite, self.azurite = self.azurite, None
        if eventgrid is not None:
            eventgrid.stop()
        if host is not None:
            host.stop()
        if azurite is not None:
            azurite.stop()
        self.emulator = None
        self.host = None
        self.azurite_location = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- observing the emulator ---------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """``GET /devstack/stats`` of the emulator (see devstack/eventgrid/README.md)."""
        response = httpx.get(f"{self.eventgrid_url}/devstack/stats", timeout=5.0, trust_env=False)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def wait_idle(self, timeout: float = 30.0, interval: float = 0.05) -> dict[str, Any]:
        """Poll the emulator until nothing is pending; the final stats, or TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            if stats["pending"] == 0:
                return stats
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the Event Grid emulator still has {stats['pending']} pending deliveries "
                    f"after {timeout:g}s: {stats['subscriptions']}"
                )
            time.sleep(interval)
