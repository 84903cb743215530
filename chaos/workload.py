"""The seeded workload: a plan (pure) and its execution against the HTTP API (threads).

The mix: bookings spread over three room types, a sold-out suite (two rooms, many bookings for
the same nights), declined cards, repeat guests, ``Idempotency-Key`` on half of the bookings and
re-sent on some (sequentially or as a concurrent twin), cancels racing the saga (right after the
202), cancels of confirmed bookings (some within 48 h of check-in: a fee), check-in then
check-out (loyalty points), check-in only. Every answer goes into the ``Journal``.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, Literal

import httpx

from chaos.model import Booking, Journal, Outcome

Action = Literal["none", "cancel_now", "cancel_confirmed", "cancel_late", "stay", "check_in"]
ACTIONS: Final[tuple[tuple[Action, int], ...]] = (
    ("none", 25),
    ("cancel_now", 15),
    ("cancel_confirmed", 10),
    ("cancel_late", 6),
    ("stay", 34),
    ("check_in", 10),
)
REPEAT_GUESTS: Final = 5
SOLD_OUT: Final = ("grand-lisbon", "STE")
OTHER_TYPES: Final = (("grand-lisbon", "STD"), ("grand-lisbon", "DLX"), ("harbor-porto", "STD"))


@dataclass(frozen=True)
class Plan:
    index: int
    start_at: float  # seconds after the load starts
    hotel_id: str
    room_type: str
    check_in: date
    check_out: date
    guest_id: str
    token: str
    idempotency_key: str | None
    resend: Literal["no", "after", "twin"]
    action: Action

    def body(self) -> dict[str, Any]:
        return {
            "hotelId": self.hotel_id,
            "roomType": self.room_type,
            "checkIn": self.check_in.isoformat(),
            "checkOut": self.check_out.isoformat(),
            "guests": 2,
            "guest": {"id": self.guest_id, "name": "Chaos Guest", "email": "chaos@example.com"},
            "paymentToken": self.token,
        }


def plan_workload(
    rng: random.Random, *, bookings: int, tag: str, today: date, load_seconds: float
) -> list[Plan]:
    """The bookings and what happens to each; the same ``rng`` seed gives the same plan."""
    repeat = [f"chaos-{tag}-g{k}" for k in range(REPEAT_GUESTS)]
    actions = [a for a, _ in ACTIONS]
    weights = [w for _, w in ACTIONS]
    sold_out_start = today + timedelta(days=60)
    plans: list[Plan] = []
    for index in range(bookings):
        action = rng.choices(actions, weights)[0]
        if rng.random() < 0.25:
            hotel_id, room_type = SOLD_OUT
            check_in = sold_out_start + timedelta(days=rng.choice((0, 1)))
            nights = 2
        else:
            hotel_id, room_type = rng.choice(OTHER_TYPES)
            check_in = today + timedelta(days=rng.randint(3, 300))
            if hotel_id == "harbor-porto":  # ten rooms, a narrow window: some contention
                check_in = today + timedelta(days=100 + rng.randint(0, 4))
            nights = rng.randint(1, 4)
        if action == "cancel_late":  # check-in within 48 h: a confirmed one pays the first night
            check_in = today + timedelta(days=1)
        keyed = rng.random() < 0.5
        resend: Literal["no", "after", "twin"] = (
            rng.choice(("after", "twin")) if keyed and rng.random() < 0.4 else "no"
        )
        plans.append(
            Plan(
                index=index,
                start_at=rng.uniform(0, load_seconds),
                hotel_id=hotel_id,
                room_type=room_type,
                check_in=check_in,
                check_out=check_in + timedelta(days=nights),
                guest_id=rng.choice(repeat) if rng.random() < 0.6 else f"chaos-{tag}-u{index}",
                token="tok_declined" if rng.random() < 0.12 else "tok_visa",
                idempotency_key=f"chaos-{tag}-{index}-{rng.getrandbits(32):08x}" if keyed else None,
                resend=resend,
                action=action,
            )
        )
    return plans


class Api:
    """HTTP calls with a timeout each and retries while a process restarts.

    ``safe`` calls (reads, keyed bookings, cancels) are retried on any transport error or 5xx;
    the others only when the request was certainly not sent (connection refused).
    """

    def __init__(self, base_url: str, headers: dict[str, str], *, retry_for: float = 40.0):
        self.client = httpx.Client(
            base_url=base_url,
            headers=headers,
            timeout=10.0,
            trust_env=False,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self.retry_for = retry_for

    def close(self) -> None:
        self.client.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        safe: bool,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                response = self.client.request(method, path, json=json, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                pass  # not sent: always safe to retry
            except httpx.TransportError:
                if not safe:
                    return None
            else:
                if not (safe and response.status_code >= 500):
                    return response
            if time.monotonic() > deadline:
                return None
            time.sleep(0.3)

    def status_of(self, reservation_id: str) -> str | None:
        response = self.call("GET", f"/reservations/{reservation_id}", safe=True)
        if response is None or response.status_code != 200:
            return None
        status: str = response.json()["status"]
        return status


class Runner:
    """Runs a plan with a thread pool, recording every answer in ``journal``."""

    def __init__(
        self, api: Api, *, concurrency: int, poll_deadline: float, progress: Callable[[str], None]
    ) -> None:
        self.api = api
        self.concurrency = concurrency
        self.poll_deadline = poll_deadline
        self.progress = progress
        self.journal = Journal()
        self._lock = threading.Lock()
        self._done = 0

    def run(self, plans: list[Plan]) -> Journal:
        started = time.monotonic()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="chaos-load") as pool:
            for future in [pool.submit(self._script, p, started) for p in plans]:
                future.result()
        return self.journal

    # -- one booking's script ----------------------------------------------------------------

    def _post(self, plan: Plan) -> httpx.Response | None:
        headers = {"Idempotency-Key": plan.idempotency_key} if plan.idempotency_key else None
        return self.api.call(
            "POST",
            "/reservations",
            json=plan.body(),
            headers=headers,
            safe=plan.idempotency_key is not None,
        )

    def _script(self, plan: Plan, started: float) -> None:
        delay = plan.start_at - (time.monotonic() - started)
        if delay > 0:
            time.sleep(delay)
        twin: list[httpx.Response | None] = []
        twin_thread = None
        if plan.resend == "twin":
            twin_thread = threading.Thread(target=lambda: twin.append(self._post(plan)))
            twin_thread.start()
        response = self._post(plan)
        if twin_thread is not None:
            twin_thread.join()
        with self._lock:
            self.journal.guests.add(plan.guest_id)
        if response is None:
            with self._lock:
                self.journal.lost_posts += 1
            return self._finish()
        if response.status_code != 202:
            with self._lock:
                self.journal.refused_posts.append(response.status_code)
            return self._finish()
        rid = str(response.json()["reservationId"])
        booking = Booking(
            reservation_id=rid,
            guest_id=plan.guest_id,
            hotel_id=plan.hotel_id,
            room_type=plan.room_type,
            check_in=plan.check_in,
            check_out=plan.check_out,
            token=plan.token,
            idempotency_key=plan.idempotency_key,
        )
        if plan.resend == "after":
            twin.append(self._post(plan))
        for answer in twin:
            booking.resent_ids.append(
                None
                if answer is None or answer.status_code != 202
                else str(answer.json()["reservationId"])
            )
        with self._lock:
            self.journal.bookings[rid] = booking
        self._act(plan, booking)
        self._finish()

    def _act(self, plan: Plan, booking: Booking) -> None:
        rid = booking.reservation_id
        if plan.action == "cancel_now":
            booking.cancel = self._command(rid, "cancel", safe=True)
            return
        if plan.action == "none":
            return
        status = self._wait_settled(rid)
        if status != "Confirmed":
            return
        if plan.action in ("cancel_confirmed", "cancel_late"):
            booking.saw_confirmed_before_cancel = True
            booking.cancel = self._command(rid, "cancel", safe=True)
            return
        booking.check_in_outcome = self._command(rid, "check-in", safe=False)
        if plan.action == "stay" and booking.check_in_outcome.http == 202:
            booking.check_out_outcome = self._command(rid, "check-out", safe=False)

    def _command(self, rid: str, verb: str, *, safe: bool) -> Outcome:
        response = self.api.call("POST", f"/reservations/{rid}/{verb}", safe=safe)
        if response is None:
            return Outcome(None)
        status = None
        if response.status_code in (200, 202) and response.content:
            status = response.json().get("status")
        return Outcome(response.status_code, status)

    def _wait_settled(self, rid: str) -> str | None:
        deadline = time.monotonic() + self.poll_deadline
        status = None
        while time.monotonic() < deadline:
            status = self.api.status_of(rid)
            if status is not None and status != "Pending":
                return status
            time.sleep(0.4)
        return status

    def _finish(self) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        if done % 10 == 0:
            self.progress(f"    {done} booking scripts done")


def new_tag(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex[:6]
