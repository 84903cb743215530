"""The whole local platform in one object: Azurite, the Functions host and the Event Grid emulator.

``LocalStack(config).start()`` (or ``with LocalStack(config) as stack:``) starts, in order:

1. Azurite on the ports of ``config.storage`` -- unless an Azurite already answers there, which is
   then reused (and said so); a storage account that is not local is used as it is
   (``devstack.storage_probe``);
2. the app's tables and containers (``ensure_resources``);
3. the ``on_storage_ready(connection_string)`` hook, e.g. seeding the demo catalog
   (``devstack.seed.app_seed_hook``);
4. the Functions host serving ``function_app.py`` on ``config.host_port``, with the app settings
   pointing at this stack (``StackConfig.app_settings``): ``python -m devstack.host``, a
   supervisor and ``FUNCTIONS_WORKER_PROCESS_COUNT`` worker processes (default: one per core)
   behind the one port; with ``config.host_in_process`` it runs on a thread of this process
   instead (tests that look at the app's in-process state, e.g. its spans);
5. the Event Grid emulator on ``config.eventgrid_port`` (``python -m devstack.eventgrid``), its
   subscriptions built from ``handlers.routing.SUBSCRIPTIONS`` and delivering to the host
   (``devstack.eventgrid_subscriptions``). The host starts first so the validation handshakes
   succeed at once; ``start()`` waits (briefly) for them.

The host and the emulator are processes of their own (``devstack.processes``): each uses a core
of its own, and each dies with this process, even a SIGKILLed one. Their configuration and the
host's shared state live in a temporary directory while the stack runs.

``stop()`` stops them in reverse order; an Azurite that was reused is left running.
``python -m devstack up`` is this class plus settings, a banner and signal handling.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx

from devstack.azurite import (
    PROJECT_ROOT,
    Azurite,
    AzuritePorts,
    ensure_resources,
    ports_from_connection_string,
)
from devstack.errors import StackError
from devstack.eventgrid.config import parse_config
from devstack.eventgrid_subscriptions import eventgrid_config
from devstack.host import FunctionsHost, HostStartError
from devstack.host.supervisor import READY_FILE, STOP_SECONDS, worker_count
from devstack.host.worker import FUNCTIONS_FILE
from devstack.ports import check_stack_ports
from devstack.processes import ComponentProcess
from devstack.report import Report, component_line, print_line
from devstack.server import ServerThread
from devstack.settings import RETRY_DELAYS, StackConfig
from devstack.storage_probe import (
    azurite_host,
    is_local_storage,
    record_azurite,
    recorded_azurite_running,
    running_azurite,
)
from handlers.routing import SUBSCRIPTIONS, TOPIC_NAME, Subscription

# Next to Azurite's data, so the events pending delivery live and die with the data they are about.
EVENTGRID_JOURNAL_FILE: Final = "eventgrid-journal.sqlite"
HOST_START_SECONDS: Final = 120.0  # every worker imports the app; slow on a loaded machine
EMULATOR_START_SECONDS: Final = 30.0

StorageHook = Callable[[str], None]


class LocalStack:
    """Azurite + Functions host + Event Grid emulator; see the module docstring."""

    def __init__(
        self,
        config: StackConfig | None = None,
        *,
        project_root: Path = PROJECT_ROOT,
        module: str = "function_app",
        on_storage_ready: StorageHook | None = None,
        report: Report = print_line,
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
        self.host: FunctionsHost | None = None  # only with config.host_in_process
        self.functions: list[str] = []  # the functions the host found
        self.host_workers = 0  # worker processes (0: the host runs in this process)
        self._workdir: Path | None = None
        self._host_server: ServerThread | None = None
        self._host_process: ComponentProcess | None = None
        self._emulator_process: ComponentProcess | None = None

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
    def master_key(self) -> str | None:
        """The key for admin-level routes (``/api/ops/*``) and the host's ``/admin/*``."""
        return self.config.master_key

    @property
    def topic_key(self) -> str:
        return self.config.topic_key

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LocalStack:
        """Start everything (see the module docstring); on any failure stop what started."""
        if self._workdir is not None:
            raise RuntimeError("the stack is already started")
        self.check_ports()
        self._workdir = Path(tempfile.mkdtemp(prefix="devstack-"))
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
        check_stack_ports(self.config)

    def _start_storage(self) -> None:
        storage = self.connection_string
        if not is_local_storage(storage):
            self.report(
                component_line("storage", "using the storage account in AzureWebJobsStorage")
            )
        else:
            ports = ports_from_connection_string(storage)
            host = azurite_host(storage)
            where = f"{host}, blob {ports.blob}, queue {ports.queue}, table {ports.table}"
            if running_azurite(ports, host):
                self.reused_azurite = True
                self.azurite_location = self._own_azurite_data(ports)
                self.report(
                    component_line("azurite", f"{where}: reusing the Azurite already running")
                )
            else:
                location = None if self.config.azurite_in_memory else self._azurite_location()
                azurite = Azurite(
                    ports=ports, host=host, location=location, in_memory=location is None
                )
                azurite.start()
                self.azurite = azurite
                self.azurite_location = location
                if location is not None:
                    record_azurite(location, ports, azurite.pid)
                data = "in memory" if location is None else f"data in {location}"
                self.report(component_line("azurite", f"{where}; {data}"))
        try:
            ensure_resources(storage)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StackError(
                f"creating the tables and containers failed ({first}); if you started Azurite "
                "yourself, start it with --skipApiVersionCheck"
            ) from exc

    def _own_azurite_data(self, ports: AzuritePorts) -> Path | None:
        """The data folder of a running Azurite that an earlier ``devstack up`` started on these
        ports (see ``devstack.storage_probe``), else None."""
        if self.config.azurite_in_memory:
            return None
        location = self._azurite_location()
        return location if recorded_azurite_running(location, ports) else None

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
        if config.host_in_process:
            self._start_host_in_process()
        else:
            self._start_host_process()
        keys = "function key required" if config.function_key else "no keys checked"
        where = f"{self.host_workers} worker processes" if self.host_workers else "in this process"
        self.report(
            component_line(
                "functions",
                f"{self.host_url}/api ({len(self.functions)} functions, {keys}; {where})",
            )
        )

    def _start_host_in_process(self) -> None:
        config = self.config
        host = FunctionsHost.load(
            self.project_root,
            module=self.module,
            settings=config.app_settings(),
            function_key=config.function_key,
            master_key=config.master_key,
        )
        server = ServerThread(
            host.asgi, host=config.bind_host, port=config.host_port, name="functions-host"
        )
        server.start()
        self.host, self._host_server = host, server
        self.functions = sorted(host.functions)

    def _start_host_process(self) -> None:
        assert self._workdir is not None
        config = self.config
        settings = config.app_settings()
        environment = {**os.environ, **settings}
        self.host_workers = worker_count(environment)
        state = self._workdir / "host"
        state.mkdir()
        # The settings travel in the environment; an empty settings file keeps the host from
        # reading the project's local.settings.json, which may say otherwise.
        settings_file = self._workdir / "host.settings.json"
        settings_file.write_text(json.dumps({"Values": {}}), encoding="utf-8")
        process = ComponentProcess(
            "Functions host",
            "devstack.host",
            [
                "--script-root", str(self.project_root), "--module", self.module,
                "--host", config.bind_host, "--port", str(config.host_port),
                "--settings", str(settings_file), "--state-dir", str(state),
                "--log-level", _log_level_name(logging.getLogger().getEffectiveLevel()),
            ],
            environment,
        )  # fmt: skip
        self._host_process = process
        process.start()
        try:
            process.wait_ready((state / READY_FILE).is_file, HOST_START_SECONDS)
        except StackError as exc:
            if process.exit_code() is None:
                raise  # it did not come up in time: not the app's fault
            raise HostStartError(str(exc)) from None
        self.functions = json.loads((state / FUNCTIONS_FILE).read_text(encoding="utf-8"))

    def _start_eventgrid(self) -> None:
        assert self._workdir is not None
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
        parse_config(document)  # a ConfigError here, in one line, rather than from the child
        config_file = self._workdir / "eventgrid.json"
        config_file.write_text(json.dumps(document, indent=2), encoding="utf-8")
        process = ComponentProcess(
            "Event Grid emulator",
            "devstack.eventgrid",
            [
                "--config", str(config_file),
                "--host", config.bind_host, "--port", str(config.eventgrid_port),
                "--log-level", _log_level_name(logging.getLogger().getEffectiveLevel()),
            ],
            os.environ,
        )  # fmt: skip
        self._emulator_process = process
        process.start()
        process.wait_ready(self._emulator_answers, EMULATOR_START_SECONDS)
        delays = (
            f"retry delays {', '.join(f'{d:g}' for d in config.retry_delays_seconds)} s"
            if config.retry_delays_seconds
            else f"Azure's retry schedule ({RETRY_DELAYS} to shrink it)"
        )
        journal = document.get("journal")
        self.report(
            component_line(
                "eventgrid",
                f"{self.topic_endpoint} (topic {TOPIC_NAME}, "
                f"{len(document['subscriptions'])} subscriptions, {delays}; "
                + (f"pending deliveries journaled in {journal})" if journal else "no journal)"),
            )
        )

    def _emulator_answers(self) -> bool:
        try:
            self.stats()
        except httpx.HTTPError:
            return False
        return True

    def routed_functions_missing(self) -> list[Subscription]:
        """Subscriptions whose function the app does not define (their events wait)."""
        defined = {name.lower() for name in self.functions}
        return [sub for sub in SUBSCRIPTIONS if sub.function_name.lower() not in defined]

    def _await_validation(self) -> None:
        missing = self.routed_functions_missing()
        for sub in missing:
            self.report(
                component_line(
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
                self.report(
                    component_line("eventgrid", f"not validated yet: {late} (still retrying)")
                )
                return
            time.sleep(0.02)

    def validated_subscriptions(self) -> set[str]:
        if self._emulator_process is None:
            return set()
        subscriptions: dict[str, dict[str, Any]] = self.stats()["subscriptions"]
        return {name for name, sub in subscriptions.items() if sub["validated"]}

    def stop(self) -> None:
        """Stop everything this stack started, in reverse order; safe to call twice."""
        emulator, self._emulator_process = self._emulator_process, None
        host_process, self._host_process = self._host_process, None
        host_server, self._host_server = self._host_server, None
        azurite, self.azurite = self.azurite, None
        workdir, self._workdir = self._workdir, None
        if emulator is not None:
            emulator.stop(timeout=10.0)
        if host_process is not None:
            host_process.stop(timeout=STOP_SECONDS + 5.0)
        if host_server is not None:
            host_server.stop()
        if azurite is not None:
            azurite.stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        self.host = None
        self.functions = []
        self.host_workers = 0
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


def _log_level_name(level: int) -> str:
    """The emulator's ``--log-level`` closest to ours (it knows debug, info and warning)."""
    if level <= logging.DEBUG:
        return "debug"
    return "info" if level <= logging.INFO else "warning"
