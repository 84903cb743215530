from __future__ import annotations

import pytest

from devstack.host.faults import FaultInjector


def test_a_counted_fault_runs_out() -> None:
    faults = FaultInjector()
    faults.set("billing", 2, 503)
    assert [faults.take("BILLING"), faults.take("billing"), faults.take("billing")] == [
        503,
        503,
        None,
    ]
    assert faults.active() == []


def test_minus_one_fails_until_cleared() -> None:
    faults = FaultInjector()
    faults.set("rooms", -1, 500)
    assert [faults.take("rooms") for _ in range(5)] == [500] * 5
    assert faults.take("billing") is None
    faults.clear()
    assert faults.take("rooms") is None


def test_zero_failures_removes_a_fault() -> None:
    faults = FaultInjector()
    faults.set("rooms", 3, 500)
    faults.set("rooms", 0, 500)
    assert faults.take("rooms") is None


@pytest.mark.parametrize(("failures", "status"), [(-2, 500), (1, 99), (1, 600)])
def test_bad_faults_are_refused(failures: int, status: int) -> None:
    with pytest.raises(ValueError, match=r"failures|status"):
        FaultInjector().set("rooms", failures, status)
