"""The stack under test, as separate processes: Azurite, the Event Grid emulator, the host.

The one module that knows how the local platform is launched (it reuses ``chaos.stack``'s
launcher, which already runs each part in its own process group), so a change to the launcher
touches only this file. Everything else in ``bench`` sees addresses, keys, process ids and the
admin reads below.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from chaos.stack import FUNCTION_KEY, ChaosStack, EmulatorFaults

MASTER_KEY_SETTING = "DEVSTACK_MASTER_KEY"
# The host's log line per invocation, as the Functions host writes it.
EXECUTED = re.compile(
    r"Executed 'Functions\.([^']+)' \((?:Succeeded|Failed), Id=[^,]*, Duration=(\d+)ms\)"
)
STORAGE_CALLS_PATH = "/admin/devstack/storage-calls"


class BenchStack:
    def __init__(self, workdir: Path, report: Any = print) -> None:
        self.workdir = workdir
        self._stack = ChaosStack(workdir, seed=1, faults=EmulatorFaults(), report=report)
        self.client = httpx.Client(timeout=30.0, trust_env=False)

    def start(self) -> None:
        self._stack.start()

    def stop(self) -> None:
        self.client.close()
        self._stack.stop()

    # -- addresses and keys ---------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self._stack.api_url

    @property
    def host_url(self) -> str:
        return self._stack.host_url

    @property
    def connection_string(self) -> str:
        return self._stack.connection_string

    @property
    def function_key(self) -> str:
        return FUNCTION_KEY

    @property
    def master_key(self) -> str:
        # Admin routes take the master key; a host that has none yet takes the function key.
        return self._stack.config.app_settings().get(MASTER_KEY_SETTING) or FUNCTION_KEY

    def admin(self, method: str, path: str, json: Any = None) -> httpx.Response:
        headers = {"x-functions-key": self.master_key}
        return self.client.request(method, f"{self.host_url}{path}", headers=headers, json=json)

    # -- processes ------------------------------------------------------------------------------

    def processes(self) -> dict[str, psutil.Process]:
        """Every process of the stack by role: the host and each of its workers, the emulator,
        Azurite's node process."""
        found: dict[str, psutil.Process] = {}
        # The launcher keeps its processes to itself; reading them here keeps that dependence
        # in this one module.
        roots = {
            "host": getattr(self._stack, "_host", None),
            "emulator": getattr(self._stack, "_emulator", None),
        }
        for role, popen in roots.items():
            if popen is None:
                continue
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(popen.pid)
                found[role] = root
                children = sorted(root.children(recursive=True), key=lambda p: p.pid)
                for n, child in enumerate(children, start=1):
                    found[f"{role}-child-{n}"] = child
        azurite_pid = self._stack.azurite.pid
        if azurite_pid is not None:
            with contextlib.suppress(psutil.Error):
                found["azurite"] = psutil.Process(azurite_pid)
        return found

    # -- the host's log -------------------------------------------------------------------------

    def _host_logs(self) -> list[Path]:
        return sorted(self.workdir.glob("host*.log"))

    def log_mark(self) -> dict[Path, int]:
        """Where each host log ends now (``executions`` reads from there)."""
        return {path: path.stat().st_size for path in self._host_logs()}

    def executions(self, mark: dict[Path, int]) -> dict[str, list[float]]:
        """Duration (ms) of every invocation logged since ``mark``, per function."""
        found: dict[str, list[float]] = {}
        for path in self._host_logs():
            with path.open("rb") as log:
                log.seek(mark.get(path, 0))
                text = log.read().decode("utf-8", errors="replace")
            for name, ms in EXECUTED.findall(text):
                found.setdefault(name, []).append(float(ms))
        return found

    # -- admin reads ----------------------------------------------------------------------------

    def storage_calls(self) -> dict[str, Any] | None:
        """``{"total": {kind: n}, "bySteps": {step: {kind: n}}}``, or None when the host does not
        count storage calls (an older host answers 404)."""
        with contextlib.suppress(httpx.HTTPError):
            response = self.admin("GET", STORAGE_CALLS_PATH)
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
        return None

    def reset_storage_calls(self) -> None:
        with contextlib.suppress(httpx.HTTPError):
            self.admin("DELETE", STORAGE_CALLS_PATH)

    def emulator_stats(self) -> dict[str, Any]:
        return self._stack.emulator_stats() or {}

    def wait_quiet(self, timeout: float) -> bool:
        """Wait until the emulator has nothing pending (every event delivered); False on timeout.

        This reads the emulator, not the system under test: the figures come from the server's
        own timestamps afterwards."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.emulator_stats().get("pending", 1) == 0:
                return True
            time.sleep(0.25)
        return False

    def invoke_timer(self, function_name: str) -> bool:
        response = self.admin("POST", f"/admin/functions/{function_name}", json={"input": ""})
        return response.status_code == 202

    def invocations(self) -> dict[str, dict[str, int]]:
        response = self.admin("GET", "/admin/devstack/invocations")
        body: dict[str, dict[str, int]] = response.json() if response.status_code == 200 else {}
        return body

    def stop_app(self) -> None:
        """Stop the host and the emulator, leaving Azurite alone (for the ceiling replay)."""
        self._stack.kill_emulator()
        self._stack.kill_host()
