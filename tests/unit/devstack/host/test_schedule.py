from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devstack.host.errors import HostStartError
from devstack.host.schedule import (
    CronSchedule,
    IntervalSchedule,
    ncrontab_to_croniter,
    parse_schedule,
)

BASE = datetime(2031, 5, 1, 10, 0, 0, tzinfo=UTC)  # a Thursday


def occurrences(expression: str, start: datetime, count: int) -> list[datetime]:
    schedule = parse_schedule(expression, {})
    found, moment = [], start
    for _ in range(count):
        moment = schedule.next_after(moment)
        found.append(moment)
    return found


def test_the_seconds_field_moves_from_first_to_last() -> None:
    assert ncrontab_to_croniter("5 4 3 2 1 0") == "4 3 2 1 0 5"


def test_five_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="six fields"):
        ncrontab_to_croniter("*/5 * * * *")
    with pytest.raises(HostStartError, match="six fields"):
        parse_schedule("*/5 * * * *", {})


def test_every_fifteen_seconds() -> None:
    assert occurrences("*/15 * * * * *", BASE + timedelta(seconds=1), 3) == [
        BASE + timedelta(seconds=15),
        BASE + timedelta(seconds=30),
        BASE + timedelta(seconds=45),
    ]


def test_seconds_first_means_seconds_not_minutes() -> None:
    # "30 * * * * *" is second 30 of every minute, not minute 30 of every hour.
    assert occurrences("30 * * * * *", BASE, 2) == [
        BASE + timedelta(seconds=30),
        BASE + timedelta(minutes=1, seconds=30),
    ]


def test_every_five_minutes_on_the_minute() -> None:
    assert occurrences("0 */5 * * * *", BASE + timedelta(seconds=1), 2) == [
        BASE + timedelta(minutes=5),
        BASE + timedelta(minutes=10),
    ]


def test_weekdays_at_half_past_nine() -> None:
    friday = datetime(2031, 5, 2, 9, 30, tzinfo=UTC)
    monday = datetime(2031, 5, 5, 9, 30, tzinfo=UTC)
    assert occurrences("0 30 9 * * 1-5", BASE, 2) == [friday, monday]


def test_day_of_month_and_day_of_week_must_both_match_like_ncrontab() -> None:
    # Friday the 13th: ncrontab checks both fields (Vixie cron would take either).
    [first] = occurrences("0 0 0 13 * 5", BASE, 1)
    assert first == datetime(2031, 6, 13, tzinfo=UTC)
    assert first.weekday() == 4


def test_names_are_accepted() -> None:
    [first] = occurrences("0 0 12 * JAN MON", BASE, 1)
    assert first == datetime(2032, 1, 5, 12, tzinfo=UTC)


def test_next_is_strictly_after_even_within_a_second() -> None:
    schedule = parse_schedule("* * * * * *", {})
    assert schedule.next_after(BASE) == BASE + timedelta(seconds=1)
    assert schedule.next_after(BASE + timedelta(milliseconds=999)) == BASE + timedelta(seconds=1)


def test_results_are_utc() -> None:
    plus_two = BASE.astimezone(datetime.fromisoformat("2031-01-01T00:00:00+02:00").tzinfo)
    assert parse_schedule("0 0 * * * *", {}).next_after(plus_two) == BASE + timedelta(hours=1)
    assert parse_schedule("0 0 * * * *", {}).next_after(plus_two).tzinfo == UTC


def test_timespan_schedules_are_intervals() -> None:
    schedule = parse_schedule("00:05:00", {})
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(BASE) == BASE + timedelta(minutes=5)
    assert parse_schedule("1.02:00:00", {}).next_after(BASE) == BASE + timedelta(days=1, hours=2)


def test_schedule_from_an_app_setting() -> None:
    schedule = parse_schedule("%CLEANUP_SCHEDULE%", {"CLEANUP_SCHEDULE": "0 0 3 * * *"})
    assert isinstance(schedule, CronSchedule)
    assert schedule.expression == "0 0 3 * * *"
    with pytest.raises(HostStartError, match="CLEANUP_SCHEDULE"):
        parse_schedule("%CLEANUP_SCHEDULE%", {})


@pytest.mark.parametrize(
    "expression", ["61 * * * * *", "* * * * * * *", "soon", "00:99:00", "0:0:0"]
)
def test_invalid_schedules_are_a_start_error(expression: str) -> None:
    with pytest.raises(HostStartError):
        parse_schedule(expression, {})


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    st.sampled_from(["*/7 * * * * *", "0 */13 * * * *", "15 30 */5 * * *", "0 0 0 * * 0"]),
)
def test_next_occurrence_is_after_and_matches_the_seconds_field(
    moment: datetime, expression: str
) -> None:
    start = moment.replace(tzinfo=UTC)
    found = parse_schedule(expression, {}).next_after(start)
    assert found > start
    seconds_field = expression.split()[0]
    if seconds_field.startswith("*/"):
        assert found.second % int(seconds_field[2:]) == 0
    else:
        assert found.second == int(seconds_field)
