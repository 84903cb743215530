"""Timer trigger schedules: NCRONTAB (six fields, seconds first, UTC) and TimeSpan.

The Functions host reads ``schedule`` as an NCRONTAB expression
``{second} {minute} {hour} {day} {month} {day-of-week}`` and, failing that, as a TimeSpan
``[d.]hh:mm:ss`` (a fixed interval). ``%NAME%`` is replaced by the app setting NAME first.

croniter takes six-field expressions with the seconds field *last*, so the NCRONTAB seconds field
is moved from the front to the back. NCRONTAB also differs from Vixie cron when both day-of-month
and day-of-week are restricted: a time must match **both** (ncrontab checks the day of week after
the day of month), so croniter runs with ``day_or=False``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from croniter import CroniterError, croniter

from devstack.host.errors import HostStartError

_SETTING = re.compile(r"^%([^%]+)%$")
_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{1,2}):(?P<s>\d{1,2})$")


class Schedule(Protocol):
    @property
    def expression(self) -> str:
        """The schedule as written (after ``%SETTING%`` resolution)."""
        ...

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after ``moment`` (aware, UTC)."""
        ...


def ncrontab_to_croniter(expression: str) -> str:
    """Reorder a six-field NCRONTAB expression (seconds first) for croniter (seconds last)."""
    fields = expression.split()
    if len(fields) != 6:
        raise ValueError(
            f"NCRONTAB needs six fields '{{second}} {{minute}} {{hour}} {{day}} {{month}} "
            f"{{day-of-week}}', got {len(fields)} in {expression!r}"
        )
    return " ".join([*fields[1:], fields[0]])


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("schedules work on timezone-aware datetimes (UTC)")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class CronSchedule:
    expression: str

    def __post_init__(self) -> None:
        reordered = ncrontab_to_croniter(self.expression)
        try:
            croniter(reordered, datetime(2000, 1, 1, tzinfo=UTC), day_or=False)
        except (CroniterError, ValueError, KeyError) as exc:
            raise ValueError(f"invalid NCRONTAB expression {self.expression!r}: {exc}") from exc

    def next_after(self, moment: datetime) -> datetime:
        start = _utc(moment)
        # croniter works in whole seconds: step from the second we are in.
        base = start.replace(microsecond=0)
        it = croniter(ncrontab_to_croniter(self.expression), base, day_or=False)
        found: datetime = it.get_next(datetime)
        while found <= start:
            found = it.get_next(datetime)
        return found.astimezone(UTC)


@dataclass(frozen=True)
class IntervalSchedule:
    expression: str
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return _utc(moment) + self.interval


def _timespan(expression: str) -> timedelta | None:
    match = _TIMESPAN.match(expression)
    if match is None:
        return None
    hours, minutes, seconds = int(match["h"]), int(match["m"]), int(match["s"])
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return timedelta(days=int(match["days"] or 0), hours=hours, minutes=minutes, seconds=seconds)


def parse_schedule(expression: str, environ: Mapping[str, str] | None = None) -> Schedule:
    """Parse a timer schedule like the host: ``%SETTING%``, then NCRONTAB, then TimeSpan."""
    env = os.environ if environ is None else environ
    text = expression.strip()
    setting = _SETTING.match(text)
    if setting is not None:
        if setting[1] not in env:
            raise HostStartError(
                f"timer schedule {expression!r}: app setting {setting[1]!r} is unset"
            )
        text = env[setting[1]].strip()
    if len(text.split()) > 1:
        try:
            return CronSchedule(text)
        except ValueError as exc:
            raise HostStartError(str(exc)) from exc
    interval = _timespan(text)
    if interval is None or interval <= timedelta(0):
        raise HostStartError(
            f"timer schedule {text!r} is neither a six-field NCRONTAB expression nor a TimeSpan "
            "(hh:mm:ss)"
        )
    return IntervalSchedule(text, interval)
