from __future__ import annotations

import os

import pytest

from devstack.host.supervisor import MAX_WORKERS, SupervisorError, worker_count


def test_the_worker_count_defaults_to_the_number_of_cores() -> None:
    assert worker_count({}) == max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    assert worker_count({"FUNCTIONS_WORKER_PROCESS_COUNT": " "}) == worker_count({})


@pytest.mark.parametrize("text", ["1", "3", "10"])
def test_the_worker_count_is_taken_from_the_setting(text: str) -> None:
    assert worker_count({"FUNCTIONS_WORKER_PROCESS_COUNT": text}) == int(text)


@pytest.mark.parametrize("text", ["0", "11", "two", "-1", "1.5"])
def test_a_worker_count_azure_would_refuse_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(SupervisorError, match=r"FUNCTIONS_WORKER_PROCESS_COUNT .* 1 to 10"):
        worker_count({"FUNCTIONS_WORKER_PROCESS_COUNT": text})
