"""The timer trigger: fire each timer function on its schedule (UTC), never overlapping itself.

Like the host's timer listener, the next occurrence is computed after an invocation finishes,
so a slow run skips the occurrences it overran rather than queueing them. ``past_due`` is set
when an invocation starts more than ``past_due_after`` (1 s) behind its scheduled time.
Schedule status is kept in memory only: ``useMonitor`` past-due detection across restarts
(which the host keeps in storage) is not emulated.

With several worker processes, only one of them runs the schedules (``scheduling=False`` in the
others), so a timer fires once per occurrence, as the host's singleton lock makes it in Azure;
every worker still runs a timer function invoked through ``/admin/functions/{name}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import azure.functions as func

from devstack.host.bindings import build_timer_request
from devstack.host.indexing import FunctionInfo

log = logging.getLogger("devstack.host")

RunTimer = Callable[[FunctionInfo, func.TimerRequest], Awaitable[object]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Status:
    last: datetime | None = None
    next: datetime | None = None
    last_updated: datetime | None = None


class TimerScheduler:
    def __init__(
        self,
        timers: Sequence[FunctionInfo],
        run: RunTimer,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        past_due_after: timedelta = timedelta(seconds=1),
        scheduling: bool = True,
    ) -> None:
        for info in timers:
            if info.timer is None:
                raise ValueError(f"{info.name} is not a timer function")
        self._timers = {info.name: info for info in timers}
        self._run = run
        self._clock = clock
        self._sleep = sleep
        self._past_due_after = past_due_after
        self.scheduling = scheduling
        self._locks = {name: asyncio.Lock() for name in self._timers}
        self._status = {name: _Status() for name in self._timers}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start one loop per timer (call on the event loop that serves the host); nothing
        when this worker does not run the schedules."""
        if not self.scheduling:
            return
        for info in self._timers.values():
            assert info.timer is not None
            if info.timer.run_on_startup:
                task = asyncio.create_task(self._startup(info), name=f"timer-startup-{info.name}")
                self._tasks.append(task)
            self._tasks.append(asyncio.create_task(self._loop(info), name=f"timer-{info.name}"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def invoke_now(self, info: FunctionInfo) -> None:
        """Invoke a timer function now (admin call), waiting for a running one to finish."""
        async with self._locks[info.name]:
            await self._fire(info, past_due=False)

    async def _startup(self, info: FunctionInfo) -> None:
        async with self._locks[info.name]:
            await self._fire(info, past_due=False)

    async def _loop(self, info: FunctionInfo) -> None:
        assert info.timer is not None
        schedule = info.timer.schedule
        due = schedule.next_after(self._clock())
        while True:
            self._status[info.name].next = due
            # The event loop sleeps on the monotonic clock and the schedule is on the wall clock:
            # a sleep can end a moment before ``due`` by the latter, and firing then would give
            # the occurrence a ``Next`` equal to itself. Sleep until the wall clock is there.
            while (delay := (due - self._clock()).total_seconds()) > 0:
                await self._sleep(delay)
            lock = self._locks[info.name]
            if lock.locked():
                log.info("Timer 'Functions.%s' is still running: skipping %s", info.name, due)
            else:
                late = self._clock() - due
                async with lock:
                    await self._fire(info, past_due=late > self._past_due_after)
            due = schedule.next_after(max(self._clock(), due))

    async def _fire(self, info: FunctionInfo, *, past_due: bool) -> None:
        status = self._status[info.name]
        assert info.timer is not None
        now = self._clock()
        request = build_timer_request(
            past_due=past_due,
            last=status.last,
            next_=info.timer.schedule.next_after(now),
            last_updated=status.last_updated,
        )
        status.last = now
        status.last_updated = now
        await self._run(info, request)
