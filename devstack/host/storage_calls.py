"""``/admin/devstack/storage-calls``: the app's storage calls, summed over the host's workers.

The app counts its storage calls per saga step (the function being invoked) and kind in
``adapters.bootstrap.PROCESS_STORAGE_COUNTER``, one counter per process; every worker's counter
is read or zeroed through ``devstack.host.peers``.

``GET`` answers ``{"total": {kind: n}, "bySteps": {step: {kind: n}}}``; ``DELETE`` zeroes every
worker's counter (204).
"""

from __future__ import annotations

import asyncio
from typing import Final, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adapters.bootstrap import PROCESS_STORAGE_COUNTER
from devstack.host.peers import Peers
from devstack.host.web import empty

SNAPSHOT: Final = "storage-calls"
RESET: Final = "storage-calls-reset"

Snapshot = dict[str, dict[str, int]]  # step -> kind -> count


class Counter(Protocol):
    def snapshot(self) -> Snapshot: ...

    def reset(self) -> object: ...


def combine(snapshots: list[object]) -> dict[str, dict[str, object]]:
    """The route's body: every step's counts summed over ``snapshots``, and the grand total."""
    by_steps: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for snapshot in snapshots:
        assert isinstance(snapshot, dict)
        for step, kinds in snapshot.items():
            into = by_steps.setdefault(step, {})
            for kind, count in kinds.items():
                into[kind] = into.get(kind, 0) + count
                total[kind] = total.get(kind, 0) + count
    return {
        "total": dict(sorted(total.items())),
        "bySteps": {step: dict(sorted(kinds.items())) for step, kinds in sorted(by_steps.items())},
    }


class StorageCalls:
    """The route, answering for this worker's counter through ``peers``."""

    def __init__(self, peers: Peers, counter: Counter = PROCESS_STORAGE_COUNTER) -> None:
        self._peers = peers

        def reset() -> bool:
            counter.reset()
            return True

        peers.answer(SNAPSHOT, counter.snapshot)
        peers.answer(RESET, reset)

    async def handle(self, request: Request) -> Response:
        if request.method == "DELETE":
            await asyncio.to_thread(self._peers.ask_all, RESET)
            return empty(204)
        snapshots = await asyncio.to_thread(self._peers.ask_all, SNAPSHOT)
        return JSONResponse(combine(snapshots))
