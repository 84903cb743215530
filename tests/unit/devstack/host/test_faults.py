from __future__ import annotations

import pytest

from devstack.host.faults import FaultInjector, Injection, Phase


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


def draws(faults: FaultInjector, name: str, n: int) -> list[Injection | None]:
    return [faults.decide(name) for _ in range(n)]


def test_a_random_fault_fails_about_rate_of_the_deliveries() -> None:
    faults = FaultInjector()
    faults.set_random("rooms", 0.2, 503, "before", seed=7)
    results = draws(faults, "ROOMS", 2000)
    failed = [r for r in results if r is not None]
    assert 300 < len(failed) < 500
    assert {r.status for r in failed} == {503}
    assert not any(r.after for r in failed)
    assert faults.decide("billing") is None


def test_a_seeded_random_fault_is_repeatable() -> None:
    first, second = FaultInjector(), FaultInjector()
    first.set_random("*", 0.5, 500, "either", seed=42)
    second.set_random("*", 0.5, 500, "either", seed=42)
    assert draws(first, "rooms", 50) == draws(second, "rooms", 50)


def test_after_fails_after_invoking_and_either_mixes_both() -> None:
    after = FaultInjector()
    after.set_random("rooms", 1.0, 500, Phase.AFTER)
    assert draws(after, "rooms", 3) == [Injection(500, after=True)] * 3
    either = FaultInjector()
    either.set_random("rooms", 1.0, 500, Phase.EITHER, seed=1)
    assert {r.after for r in draws(either, "rooms", 50) if r is not None} == {True, False}


def test_star_matches_every_function_and_a_named_fault_wins_over_it() -> None:
    faults = FaultInjector()
    faults.set_random("*", 1.0, 500)
    faults.set_random("billing", 1.0, 429)
    assert faults.decide("rooms") == Injection(500)
    assert faults.decide("billing") == Injection(429)


def test_a_counted_fault_wins_over_a_random_one_and_clear_removes_both() -> None:
    faults = FaultInjector()
    faults.set_random("rooms", 1.0, 500)
    faults.set("rooms", 1, 418)
    assert draws(faults, "rooms", 2) == [Injection(418), Injection(500)]
    assert len(faults.active()) == 1
    faults.clear()
    assert faults.active() == []
    assert faults.decide("rooms") is None


def test_rate_zero_removes_a_random_fault() -> None:
    faults = FaultInjector()
    faults.set_random("rooms", 0.5, 500)
    faults.set_random("rooms", 0, 500)
    assert faults.active() == []


def test_the_random_fault_is_listed_as_json() -> None:
    faults = FaultInjector()
    faults.set_random("*", 0.2, 500, "either", seed=7)
    assert [f.as_json() for f in faults.active()] == [
        {"functionName": "*", "rate": 0.2, "status": 500, "phase": "either", "seed": 7}
    ]


@pytest.mark.parametrize(
    ("rate", "status", "phase"), [(-0.1, 500, "before"), (1.5, 500, "before"), (0.5, 99, "before"),
                                  (0.5, 500, "during")],
)  # fmt: skip
def test_bad_random_faults_are_refused(rate: float, status: int, phase: str) -> None:
    with pytest.raises(ValueError, match=r"rate|status|during"):
        FaultInjector().set_random("rooms", rate, status, phase)
