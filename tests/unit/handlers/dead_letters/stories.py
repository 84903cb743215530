"""Helpers of the dead-letter stories: the states, where a blob is, a dispatcher that is down."""

from __future__ import annotations

from collections import Counter

from handlers.dispatch import dispatch
from handlers.ports import DeadLetterState, Ports
from tests.support.memory_deadletters import InMemoryDeadLetterStore

PENDING, ARCHIVED, POISON = (
    DeadLetterState.PENDING,
    DeadLetterState.ARCHIVED,
    DeadLetterState.POISON,
)


def where(store: InMemoryDeadLetterStore, name: str) -> DeadLetterState | None:
    found = [state for state in DeadLetterState if store.read(state, name) is not None]
    assert len(found) <= 1, f"{name} is in {found}"
    return found[0] if found else None


class Flaky:
    """A dispatcher whose handlers are down until healed (a transient failure)."""

    def __init__(self) -> None:
        self.down = True
        self.calls: Counter[str] = Counter()

    def __call__(self, subscription: str, event_type: str, data: object, ports: Ports) -> None:
        self.calls[event_type] += 1
        if self.down:
            raise ConnectionError("table storage is unreachable")
        dispatch(subscription, event_type, data, ports)
