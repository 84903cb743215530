"""The Outbox port: the pending-publish index of commands, and a reservation's stream."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

from adapters.layout import checked_key
from handlers.ports import OutboxEntry, PendingPublish
from tests.port_suites.factory import PortFactory
from tests.port_suites.support import Tally, allocation, at, stay, unique

FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)


def _save_new(factory: PortFactory, context: str, key: str, aggregate: Tally) -> list[OutboxEntry]:
    return factory.repository(Tally, context).save(key, aggregate)


def _mine(intents: list[PendingPublish], *keys: str) -> list[PendingPublish]:
    return [intent for intent in intents if intent.reservation_id in keys]


class OutboxContract:
    def test_an_intent_is_pending_until_settled(self, factory: PortFactory) -> None:
        outbox = factory.outbox()
        key = unique("r")
        intent = outbox.intend(
            context="reservations", partition_key=key, reservation_id=key, version=1
        )
        assert outbox.committed_events(intent) is None  # its commit has not happened yet
        tally = Tally(reservation_id=key)
        tally.bump()
        tally.bump()
        saved = _save_new(factory, "reservations", key, tally)

        (pending,) = _mine(outbox.pending(created_before=FAR_FUTURE, limit=100_000), key)
        assert pending == intent
        assert outbox.committed_events(pending) == [entry.cloudevent for entry in saved]

        outbox.settle(pending)
        outbox.settle(pending)  # idempotent
        assert _mine(outbox.pending(created_before=FAR_FUTURE, limit=100_000), key) == []

    def test_committed_events_are_those_of_the_intended_version(self, factory: PortFactory) -> None:
        outbox = factory.outbox()
        repo = factory.repository(Tally, "reservations")
        key = unique("r")
        tally = Tally(reservation_id=key)
        tally.bump()
        repo.save(key, tally)
        second = tally.bump()
        intent = outbox.intend(
            context="reservations", partition_key=key, reservation_id=key, version=2
        )
        repo.save(key, tally)
        events = outbox.committed_events(intent)
        assert events is not None
        assert [event["id"] for event in events] == [second]
        outbox.settle(intent)

    def test_pending_is_oldest_first_and_pages_with_a_cursor(self, factory: PortFactory) -> None:
        outbox = factory.outbox()
        keys = [unique("r") for _ in range(3)]
        intents = [
            outbox.intend(context="reservations", partition_key=k, reservation_id=k, version=1)
            for k in keys
        ]
        mine = _mine(outbox.pending(created_before=FAR_FUTURE, limit=100_000), *keys)
        assert mine == intents
        after = _mine(
            outbox.pending(created_before=FAR_FUTURE, after=intents[0].row_key, limit=100_000),
            *keys,
        )
        assert after == intents[1:]
        early = intents[0].created_at + timedelta(microseconds=1)
        assert _mine(outbox.pending(created_before=early, limit=100_000), *keys) == intents[:1]
        for intent in intents:
            outbox.settle(intent)

    def test_stream_merges_every_context_oldest_first(self, factory: PortFactory) -> None:
        outbox = factory.outbox()
        key, other, guest = unique("r"), unique("r"), unique("g")
        hotel = unique("h")
        reservation = Tally(reservation_id=key, hotel_id=hotel)
        first = reservation.bump(when=at(0))
        fourth = reservation.bump(when=at(3))
        _save_new(factory, "reservations", key, reservation)

        nights = stay(date(2031, 5, 1), 2)
        allocated = allocation(
            hotel_id=hotel, room_type="STD", room="101", nights=nights, reservation_id=key,
            when=at(1),
        )  # fmt: skip
        second = allocated.pending_events[0].event_id
        inventory = factory.inventory()
        inventory.save(hotel, "STD", allocated, hold=[(n, "101") for n in nights])
        # Another reservation in the same rooms partition is not part of this stream.
        inventory.save(
            hotel, "STD", allocation(hotel_id=hotel, room_type="STD", room="102", nights=nights)
        )

        folio = Tally(reservation_id=key, hotel_id=hotel)
        third = folio.bump(when=at(2))
        _save_new(factory, "billing", key, folio)

        account = Tally(reservation_id=guest, hotel_id=hotel)
        fifth = account.bump(when=at(4), reservation_id=key)
        account.bump(when=at(5), reservation_id=other)  # the guest's other stay
        _save_new(factory, "loyalty", guest, account)

        events = outbox.stream(key, hotel_id=hotel, room_type="STD", guest_id=guest)
        assert [e["id"] for e in events] == [first, second, third, fourth, fifth]
        assert [e["source"] for e in events] == [
            "/hotel/reservations",
            "/hotel/rooms",
            "/hotel/billing",
            "/hotel/reservations",
            "/hotel/loyalty",
        ]
        assert outbox.stream(unique("r"), hotel_id=hotel, room_type="STD", guest_id=guest) == []


class IdempotencyKeysContract:
    def test_every_request_with_one_key_books_one_id(self, factory: PortFactory) -> None:
        key = unique("k")
        first = factory.idempotency().reservation_id(key)
        assert factory.idempotency().reservation_id(key) == first  # another worker agrees
        assert factory.idempotency().reservation_id(unique("k")) != first
        assert uuid.UUID(first).version == 4

    def test_any_client_key_books_an_id_usable_as_a_table_key(self, factory: PortFactory) -> None:
        keys = factory.idempotency()
        for key in ("a/b#c?d\\e", "x" * 255, "clé ünïcode", unique("k") + "|", "1"):
            assert checked_key(keys.reservation_id(key)) == keys.reservation_id(key)

    def test_the_id_depends_on_the_deployment_not_only_on_the_key(
        self, factory: PortFactory
    ) -> None:
        """A guessable key makes no guessable id: it is no digest of the key alone (and the
        handlers' tests show two deployments book two ids for one key)."""
        key = "order-1"
        booked = factory.idempotency().reservation_id(key)
        digest = hashlib.sha256(key.encode()).digest()[:16]
        assert booked not in {
            str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
            str(uuid.uuid5(uuid.NAMESPACE_OID, key)),
            str(uuid.UUID(bytes=digest, version=4)),
        }
