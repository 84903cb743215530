"""The storage-call counter counts by kind and by the saga step making the call."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from adapters.accounting import NO_STEP, current_step, saga_step
from adapters.azure_tables import STORAGE_CALL_KINDS, StorageTransactionCounter


def test_calls_are_counted_by_step_and_kind() -> None:
    counter = StorageTransactionCounter()
    counter.add("create-table")
    with saga_step("create_reservation"):
        counter.add("insert")
        counter.add("transaction")
        counter.add("delete")
    with saga_step("rooms"):
        counter.add("query", 2)
    assert counter.snapshot() == {
        NO_STEP: {"create-table": 1},
        "create_reservation": {"insert": 1, "transaction": 1, "delete": 1},
        "rooms": {"query": 2},
    }
    assert counter.count == 6


def test_reset_forgets_every_step_and_says_how_many_calls_there_were() -> None:
    counter = StorageTransactionCounter()
    with saga_step("billing"):
        counter.add("read")
    snapshot = counter.snapshot()
    assert counter.reset() == 1
    assert (counter.snapshot(), counter.count) == ({}, 0)
    assert snapshot == {"billing": {"read": 1}}  # a copy, not a view


def test_a_step_ends_with_its_block_and_nests() -> None:
    assert current_step() == NO_STEP
    with saga_step("outer"):
        with saga_step("inner"):
            assert current_step() == "inner"
        assert current_step() == "outer"
    assert current_step() == NO_STEP


def test_each_thread_counts_under_its_own_step() -> None:
    counter = StorageTransactionCounter()

    def invoke(step: str) -> None:
        with saga_step(step):
            for _ in range(200):
                counter.add("read")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(invoke, ["a", "b", "c", "d"] * 5))
    assert counter.snapshot() == {step: {"read": 1000} for step in "abcd"}


def test_the_kinds_are_the_shared_contract() -> None:
    assert STORAGE_CALL_KINDS == (
        "transaction", "read", "query", "insert", "upsert", "update", "delete", "create-table"
    )  # fmt: skip
