from __future__ import annotations

from devstack.host.storage_calls import combine


def test_no_worker_counted_anything() -> None:
    assert combine([{}, {}]) == {"total": {}, "bySteps": {}}


def test_the_workers_counts_are_summed_per_step_and_in_total() -> None:
    first = {"rooms": {"transaction": 2, "read": 1}, "": {"create-table": 1}}
    second = {"rooms": {"read": 3}, "billing": {"transaction": 1}}
    assert combine([first, second]) == {
        "total": {"create-table": 1, "read": 4, "transaction": 3},
        "bySteps": {
            "": {"create-table": 1},
            "billing": {"transaction": 1},
            "rooms": {"read": 4, "transaction": 2},
        },
    }
