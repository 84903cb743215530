"""The open-loop load generator, run in its own process: ``python -m bench.load SPEC OUT``.

SPEC is a JSON ``LoadSpec``; OUT gets one JSON record per request. Every request is sent at its
intended time (``bench.schedule``) on its own task, whatever earlier requests are doing, and its
latency is measured from that intended time. A progress line goes to stdout every second.
Running in a separate process keeps the generator's own CPU out of the host's measurements
(and the host's out of the generator's timing).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.schedule import arrivals
from bench.workload import MIX, PURE, Booking, FollowUp, plan

HTTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class LoadSpec:
    api_url: str
    function_key: str
    rate: float
    duration: float
    mix: str  # "mix" or "pure"
    day_offset: int
    seed: int
    today: str  # ISO date: the host's "today" (UTC)

    @classmethod
    def from_json(cls, text: str) -> LoadSpec:
        return cls(**json.loads(text))

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass
class Record:
    index: int
    kind: str
    op: str  # book, cancel, check-in, check-out
    intended: float  # epoch seconds the request was meant to leave
    latency: float | None  # seconds from ``intended`` to the answer; None if no answer
    status: int  # HTTP status, 0 when the request failed without one
    reservation_id: str | None


class Generator:
    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        mix = PURE if spec.mix == "pure" else MIX
        self.schedule = arrivals(spec.rate, spec.duration)
        self.bookings = plan(
            len(self.schedule),
            mix=mix,
            today=date.fromisoformat(spec.today),
            day_offset=spec.day_offset,
            seed=spec.seed,
        )
        self.records: list[Record] = []
        self.sent = 0

    async def run(self) -> list[Record]:
        limits = httpx.Limits(max_connections=1024, max_keepalive_connections=256)
        headers = {"x-functions-key": self.spec.function_key}
        async with httpx.AsyncClient(
            base_url=self.spec.api_url,
            headers=headers,
            timeout=HTTP_TIMEOUT,
            limits=limits,
            trust_env=False,
        ) as client:
            # Anchor both clocks at once: monotonic for sleeping, epoch for the records, which
            # are compared with the server's createdAt/updatedAt afterwards.
            start_mono = time.monotonic() + 0.2
            start_epoch = time.time() + 0.2
            progress = asyncio.create_task(self._progress())
            tasks = [
                asyncio.create_task(
                    self._booking(
                        client, booking, start_mono + arrival.at, start_epoch + arrival.at
                    )
                )
                for booking, arrival in zip(self.bookings, self.schedule, strict=True)
            ]
            await asyncio.gather(*tasks)
            progress.cancel()
        return self.records

    async def _progress(self) -> None:
        total = len(self.schedule)
        while True:
            await asyncio.sleep(1.0)
            answered = sum(1 for r in self.records if r.op == "book")
            print(
                f"    load {self.spec.rate:g}/s: sent {self.sent}/{total}, answered {answered}",
                flush=True,
            )

    async def _send(
        self, client: httpx.AsyncClient, method: str, path: str, body: Any, due: float
    ) -> tuple[int, float | None, dict[str, Any] | None]:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            response = await client.request(method, path, json=body)
        except httpx.HTTPError:
            return 0, None, None
        latency = time.monotonic() - due
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return response.status_code, latency, payload if isinstance(payload, dict) else None

    async def _booking(
        self, client: httpx.AsyncClient, booking: Booking, due: float, due_epoch: float
    ) -> None:
        self.sent += 1
        status, latency, payload = await self._send(
            client, "POST", "/reservations", booking.body(), due
        )
        rid = payload.get("reservationId") if payload and status == 202 else None
        self.records.append(
            Record(booking.index, booking.kind, "book", due_epoch, latency, status, rid)
        )
        if rid is None:
            return
        for follow in booking.follow_ups:
            await self._follow_up(client, booking, follow, rid, due, due_epoch)

    async def _follow_up(
        self,
        client: httpx.AsyncClient,
        booking: Booking,
        follow: FollowUp,
        rid: str,
        due: float,
        due_epoch: float,
    ) -> None:
        status, latency, _ = await self._send(
            client, "POST", f"/reservations/{rid}/{follow.action}", None, due + follow.after
        )
        self.records.append(
            Record(
                booking.index,
                booking.kind,
                follow.action,
                due_epoch + follow.after,
                latency,
                status,
                rid,
            )
        )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.load SPEC.json OUT.json", file=sys.stderr)
        return 2
    spec = LoadSpec.from_json(Path(args[0]).read_text(encoding="utf-8"))
    records = asyncio.run(Generator(spec).run())
    Path(args[1]).write_text(json.dumps([asdict(r) for r in records]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
