"""A devstack component (the Functions host, the Event Grid emulator) in a process of its own.

``LocalStack`` runs each component as ``python -m devstack.lifeline MODULE ...``: in a session of
its own, so Ctrl-C in a terminal reaches only ``devstack up``, which then stops the components
in order; and dying with the process that started it (``devstack.lifeline``), so a SIGKILLed
``devstack up`` leaves no process behind holding a port. Start components from the main thread:
the lifeline is tied to the thread that started the child.

The child's stderr (its logs) is copied to ours line by line; its last ``error: ...`` line is
kept instead, so a start-up failure becomes one exception with that message.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO

from devstack.azurite import PROJECT_ROOT
from devstack.errors import StackError
from devstack.lifeline import child_environment

ERROR_PREFIX = "error: "


class ComponentProcess:
    """One component's process; ``start()`` then ``wait_ready()``; ``stop()`` is safe twice."""

    def __init__(
        self, name: str, module: str, args: Sequence[str], environment: Mapping[str, str]
    ) -> None:
        self.name = name
        self.command = [sys.executable, "-m", "devstack.lifeline", module, *args]
        self.environment = dict(environment)
        self.error: str | None = None  # the last "error: ..." line it printed
        self._process: subprocess.Popen[bytes] | None = None
        self._copier: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env=child_environment({**self.environment, "PYTHONUNBUFFERED": "1"}),
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self._process.stderr is not None
        self._copier = threading.Thread(
            target=self._copy, args=(self._process.stderr,), name=f"{self.name}-log", daemon=True
        )
        self._copier.start()

    def _copy(self, stream: IO[bytes]) -> None:
        for line in stream:
            text = line.decode(errors="replace").rstrip()
            if text.startswith(ERROR_PREFIX):
                self.error = text.removeprefix(ERROR_PREFIX)
            else:
                with contextlib.suppress(OSError):
                    os.write(2, line)  # fd 2 rather than sys.stderr, which tests swap

    def exit_code(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        """Until ``ready()``; StackError if the process exits first or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not ready():
            code = self.exit_code()
            if code is not None:
                if self._copier is not None:
                    self._copier.join(5)  # its last words
                raise StackError(self.error or f"the {self.name} exited with code {code}")
            if time.monotonic() > deadline:
                raise StackError(f"the {self.name} did not start within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self, timeout: float) -> None:
        """SIGTERM (a graceful stop), SIGKILL to its whole group after ``timeout``."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything of its group it left behind
        if self._copier is not None:
            self._copier.join(5)
        if process.stderr is not None:
            process.stderr.close()
