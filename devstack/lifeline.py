"""Child processes that die with their parent, even when the parent is SIGKILLed.

Linux's ``PR_SET_PDEATHSIG`` makes the kernel signal a process when the thread that forked it
exits, so a killed ``devstack up`` or host supervisor never leaves a process holding a port.
The death signal is tied to the forking *thread*: spawn children that use it from a thread that
lives as long as the parent (the main thread). On other systems this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import runpy
import signal
import sys
from typing import Final

PR_SET_PDEATHSIG: Final = 1
# The parent's pid, set by the parent in the child's environment, so the child can tell that
# its parent died before it asked to be signalled (that death sends no signal).
PARENT_PID: Final = "DEVSTACK_PARENT_PID"


def die_with_parent(parent_pid: int | None, sig: int = signal.SIGKILL) -> None:
    """Ask for ``sig`` when the parent dies; exit at once if ``parent_pid`` is already gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def parent_pid_from_environment() -> int | None:
    value = os.environ.get(PARENT_PID, "")
    return int(value) if value.isdigit() else None


def child_environment(base: dict[str, str]) -> dict[str, str]:
    """``base`` plus this process's pid as the child's expected parent."""
    return {**base, PARENT_PID: str(os.getpid())}


def main(argv: list[str]) -> None:
    """``python -m devstack.lifeline MODULE [ARGS...]``: run ``python -m MODULE ARGS...`` in
    this process, dying with the parent that started it."""
    die_with_parent(parent_pid_from_environment())
    sys.argv = [argv[0], *argv[1:]]
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
