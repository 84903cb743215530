"""CPU seconds and peak RSS of every process of the stack during a phase (psutil).

A sampler thread reads each process's memory every ``interval`` seconds (peak RSS is the largest
sample) and picks up worker processes that start during the phase; CPU seconds are the
difference of user+system time between the first and the last sample of each process.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psutil

Processes = Callable[[], dict[str, psutil.Process]]


@dataclass
class _Seen:
    process: psutil.Process
    cpu_start: float
    cpu_last: float
    peak_rss: int


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


class ProcessSampler:
    def __init__(self, processes: Processes, interval: float = 0.5) -> None:
        self._processes = processes
        self._interval = interval
        self._seen: dict[str, _Seen] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-procstats", daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def _sample(self) -> None:
        for role, process in self._processes().items():
            with contextlib.suppress(psutil.Error):
                cpu = _cpu(process)
                rss = int(process.memory_info().rss)
                seen = self._seen.get(role)
                if seen is None or seen.process.pid != process.pid:
                    self._seen[role] = _Seen(process, cpu, cpu, rss)
                else:
                    seen.cpu_last = cpu
                    seen.peak_rss = max(seen.peak_rss, rss)

    def result(self) -> dict[str, dict[str, float]]:
        """Per role: ``cpuSeconds`` used during the phase and ``peakRssMb``."""
        return {
            role: {
                "pid": seen.process.pid,
                "cpuSeconds": round(seen.cpu_last - seen.cpu_start, 2),
                "peakRssMb": round(seen.peak_rss / 2**20, 1),
            }
            for role, seen in sorted(self._seen.items())
        }
