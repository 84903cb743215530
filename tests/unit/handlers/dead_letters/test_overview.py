"""The operator's view: every dead-lettered, archived and poison event, with why and how old."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from handlers.dead_letters import (
    DeadLetterQuery,
    dead_letter_overview,
    reprocess_dead_letters,
)
from handlers.ports import DeadLetterState, Ports
from tests.support.azure_format import (
    a_cloudevent,
    as_cloudevents_letter,
    blob,
    book_with_billing_down,
)
from tests.support.harness import Bus, Clock
from tests.support.memory_deadletters import InMemoryDeadLetterStore


def test_the_overview_lists_each_state_with_reason_attempts_and_age(
    ports: Ports, bus: Bus, clock: Clock
) -> None:
    store = InMemoryDeadLetterStore(clock=clock)
    _, allocated = book_with_billing_down(ports, bus)
    store.put("BILLING/2031/4/1/12/good.json", blob([as_cloudevents_letter(allocated)]))
    store.put("BILLING/2031/4/1/12/broken.json", b"[{")
    waiting = as_cloudevents_letter(
        a_cloudevent("Hotel.PaymentCaptured", {}, subject="/hotels/h/reservations/r"),
        reason="MaxDeliveryAttemptsExceeded",
        attempts=30,
    )
    clock.advance(timedelta(minutes=10))
    reprocess_dead_letters(store, ports)
    store.put("LOYALTY/2031/4/1/12/waiting.json", blob([waiting]))
    clock.advance(timedelta(minutes=5))

    view = dead_letter_overview(store, ports)

    assert view["counts"] == {"deadlettered": 1, "archived": 1, "poison": 1}
    rows = {row["blob"].split("/")[-1]: row for row in view["items"]}
    assert rows["waiting.json"]["state"] == "deadlettered"
    assert rows["waiting.json"]["subscription"] == "loyalty"
    assert rows["waiting.json"]["eventType"] == "Hotel.PaymentCaptured"
    assert rows["waiting.json"]["subject"] == "/hotels/h/reservations/r"
    assert rows["waiting.json"]["reason"] == "MaxDeliveryAttemptsExceeded Busy"
    assert rows["waiting.json"]["attempts"] == 0
    assert rows["waiting.json"]["deliveryAttempts"] == 30
    assert rows["waiting.json"]["ageSeconds"] == 300
    assert rows["good.json"]["state"] == "archived"
    assert rows["good.json"]["eventType"] == "Hotel.RoomAllocated"
    assert rows["good.json"]["attempts"] == 1
    assert rows["good.json"]["ageSeconds"] == 900  # since dead-lettered, not since archived
    assert rows["broken.json"]["state"] == "poison"
    assert rows["broken.json"]["eventType"] is None
    assert "undecodable JSON" in rows["broken.json"]["reason"]

    only_poison = dead_letter_overview(store, ports, states=[DeadLetterState.POISON])
    assert [row["blob"] for row in only_poison["items"]] == ["BILLING/2031/4/1/12/broken.json"]
    assert dead_letter_overview(store, ports, subscription="loyalty")["counts"] == {
        "deadlettered": 1,
        "archived": 0,
        "poison": 0,
    }


def test_the_query_accepts_only_subscription_names() -> None:
    assert DeadLetterQuery.model_validate({"subscription": "billing"}).subscription == "billing"
    for bad in ("\x0f\u00ac", "a/b", "x" * 65, "ab"):
        with pytest.raises(ValidationError):
            DeadLetterQuery.model_validate({"subscription": bad})
