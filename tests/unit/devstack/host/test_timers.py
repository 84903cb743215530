from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import azure.functions as func

from devstack.host.indexing import FunctionInfo, index_app
from devstack.host.timers import TimerScheduler

START = datetime(2031, 5, 1, 10, 0, 0, 500_000, tzinfo=UTC)


def timer_function(schedule: str, *, run_on_startup: bool = False) -> FunctionInfo:
    app = func.FunctionApp()

    @app.schedule(schedule=schedule, arg_name="timer", run_on_startup=run_on_startup)
    def tick(timer: func.TimerRequest) -> None: ...

    return index_app(app)["tick"]


class FakeTime:
    """A clock that moves only when the scheduler sleeps (optionally oversleeping)."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.now = START
        self.oversleep = oversleep

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds + self.oversleep)
        await asyncio.sleep(0)


def run_until(
    info: FunctionInfo, fake: FakeTime, count: int
) -> list[tuple[datetime, func.TimerRequest]]:
    fired: list[tuple[datetime, func.TimerRequest]] = []

    async def main() -> None:
        done = asyncio.Event()

        async def run(_: FunctionInfo, request: func.TimerRequest) -> None:
            if len(fired) < count:
                fired.append((fake.now, request))
            if len(fired) == count:
                done.set()

        scheduler = TimerScheduler([info], run, clock=fake.clock, sleep=fake.sleep)
        scheduler.start()
        await asyncio.wait_for(done.wait(), timeout=5)
        await scheduler.stop()

    asyncio.run(main())
    return fired


def test_fires_on_each_occurrence_and_is_not_past_due() -> None:
    fired = run_until(timer_function("*/10 * * * * *"), FakeTime(), 3)
    assert [when for when, _ in fired] == [
        datetime(2031, 5, 1, 10, 0, 10, tzinfo=UTC),
        datetime(2031, 5, 1, 10, 0, 20, tzinfo=UTC),
        datetime(2031, 5, 1, 10, 0, 30, tzinfo=UTC),
    ]
    assert [request.past_due for _, request in fired] == [False, False, False]


class EarlyWaking(FakeTime):
    """A sleep of more than a second wakes 2 ms early by the wall clock (the loop's monotonic
    clock and the wall clock drift apart); a shorter one is exact."""

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds - (0.002 if seconds > 1 else 0.0))
        await asyncio.sleep(0)


def test_a_sleep_that_ends_early_by_the_wall_clock_does_not_fire_before_the_occurrence() -> None:
    # Firing at the early wake-up would run the occurrence before its time, its Next being
    # itself (and a worker's tick logged twice under one Next).
    fired = run_until(timer_function("*/10 * * * * *"), EarlyWaking(), 2)
    assert [when for when, _ in fired] == [
        datetime(2031, 5, 1, 10, 0, 10, tzinfo=UTC),
        datetime(2031, 5, 1, 10, 0, 20, tzinfo=UTC),
    ]
    nexts = [getattr(request, "schedule_status")["Next"] for _, request in fired]  # noqa: B009
    assert len(set(nexts)) == 2, nexts


def test_a_late_invocation_is_past_due() -> None:
    fired = run_until(timer_function("0 * * * * *"), FakeTime(oversleep=2.5), 1)
    [(when, request)] = fired
    assert when == datetime(2031, 5, 1, 10, 1, 2, 500_000, tzinfo=UTC)
    assert request.past_due is True


def test_timespan_schedule() -> None:
    fired = run_until(timer_function("00:00:30"), FakeTime(), 2)
    assert [when - START for when, _ in fired] == [timedelta(seconds=30), timedelta(seconds=60)]


def test_run_on_startup_fires_immediately() -> None:
    fired = run_until(timer_function("0 0 0 1 1 *", run_on_startup=True), FakeTime(), 1)
    assert fired[0][0] == START


def test_an_occurrence_is_skipped_while_the_function_still_runs() -> None:
    info = timer_function("* * * * * *")
    fake = FakeTime()
    started: list[datetime] = []

    async def main() -> None:
        release = asyncio.Event()
        second = asyncio.Event()

        async def run(_: FunctionInfo, request: func.TimerRequest) -> None:
            started.append(fake.now)
            if len(started) == 1:
                await release.wait()  # the admin invocation below holds the timer
            else:
                second.set()

        scheduler = TimerScheduler([info], run, clock=fake.clock, sleep=fake.sleep)
        manual = asyncio.create_task(scheduler.invoke_now(info))
        await asyncio.sleep(0)
        scheduler.start()
        for _ in range(20):  # let several occurrences come and go
            await asyncio.sleep(0)
        assert fake.now > START + timedelta(seconds=5)  # occurrences came due...
        assert len(started) == 1  # ...but none started while the function was running
        release.set()
        await manual
        await asyncio.wait_for(second.wait(), timeout=5)
        await scheduler.stop()

    asyncio.run(main())
    assert started[0] == START
    assert len(started) >= 2


def test_a_worker_that_does_not_schedule_fires_only_when_invoked() -> None:
    info = timer_function("* * * * * *", run_on_startup=True)
    fake = FakeTime()
    fired: list[datetime] = []

    async def main() -> None:
        async def run(_: FunctionInfo, request: func.TimerRequest) -> None:
            fired.append(fake.now)

        scheduler = TimerScheduler(
            [info], run, clock=fake.clock, sleep=fake.sleep, scheduling=False
        )
        scheduler.start()
        for _ in range(20):
            await asyncio.sleep(0)
        assert fired == []  # neither at start-up nor on its schedule: another worker does that
        await scheduler.invoke_now(info)
        await scheduler.stop()

    asyncio.run(main())
    assert fired == [START]
