"""The bench's pure parts: percentiles, rates, the open-loop schedule and the workload plan."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import date

import pytest

from bench.schedule import arrivals
from bench.stats import per_second_bins, percentile, rate, summary_ms
from bench.workload import MIX, PURE, plan


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]  # 1..100, shuffled order must not matter
    shuffled = values[50:] + values[:50]
    assert percentile(shuffled, 50) == 50.0
    assert percentile(shuffled, 95) == 95.0
    assert percentile(shuffled, 99) == 99.0
    assert percentile(shuffled, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0], 0) == 1.0


def test_percentile_of_nothing_is_nan_and_out_of_range_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 101)


def test_summary_is_in_milliseconds_with_a_count() -> None:
    assert summary_ms([0.010, 0.020, 0.030, 0.040]) == {
        "count": 4,
        "p50": 20.0,
        "p95": 40.0,
        "p99": 40.0,
    }
    assert summary_ms([]) == {"count": 0, "p50": None, "p95": None, "p99": None}


def test_per_second_bins_and_rate() -> None:
    assert per_second_bins([100.1, 100.9, 102.5, 99.0], start=100.0) == [2, 0, 1]
    assert rate(10, 100.0, 105.0) == 2.0
    assert rate(0, 100.0, 105.0) == 0.0
    assert rate(3, None, 105.0) == 0.0
    assert rate(3, 105.0, 105.0) == 0.0


def test_arrivals_are_evenly_spaced_at_the_offered_rate() -> None:
    schedule = arrivals(8, 2.5)
    assert len(schedule) == 20
    assert [a.index for a in schedule] == list(range(20))
    gaps = {round(b.at - a.at, 6) for a, b in itertools.pairwise(schedule)}
    assert gaps == {0.125}
    assert schedule[0].at == 0.0
    with pytest.raises(ValueError, match="positive"):
        arrivals(0, 1)


def test_plan_is_seeded_and_gives_each_booking_its_own_check_in_day() -> None:
    today = date(2030, 1, 1)
    first = plan(200, mix=MIX, today=today, day_offset=30, seed=7)
    assert first == plan(200, mix=MIX, today=today, day_offset=30, seed=7)
    assert len({b.check_in for b in first}) == 200
    assert min(b.check_in for b in first) == date(2030, 1, 31)
    kinds = Counter(b.kind for b in first)
    assert kinds["book"] > 100  # mostly bookings
    assert {"declined", "cancel", "stay"} <= set(kinds)


def test_mix_kinds_carry_their_card_and_follow_ups() -> None:
    bookings = plan(300, mix=MIX, today=date(2030, 1, 1), day_offset=0, seed=1)
    for booking in bookings:
        body = booking.body()
        assert (body["paymentToken"] == "tok_declined") == (booking.kind == "declined")
        actions = [f.action for f in booking.follow_ups]
        expected = {"cancel": ["cancel"], "stay": ["check-in", "check-out"]}.get(booking.kind, [])
        assert actions == expected
        assert booking.settles_alone == (not expected)
        assert body["checkIn"] < body["checkOut"]


def test_pure_plan_is_only_bookings() -> None:
    bookings = plan(50, mix=PURE, today=date(2030, 1, 1), day_offset=0, seed=3)
    assert {b.kind for b in bookings} == {"book"}
