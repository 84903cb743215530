"""The Outbox port: rows written by saves, unpublished until marked, a reservation's stream."""

from __future__ import annotations

from datetime import date

from handlers.ports import OutboxEntry
from tests.port_suites.factory import PortFactory
from tests.port_suites.support import Tally, allocation, at, stay, unique


def _ids(entries: list[OutboxEntry]) -> list[str]:
    return [str(e.cloudevent["id"]) for e in entries]


def _save_new(factory: PortFactory, context: str, key: str, aggregate: Tally) -> list[OutboxEntry]:
    return factory.repository(Tally, context).save(key, aggregate)


class OutboxContract:
    def test_saved_events_are_unpublished_until_marked(self, factory: PortFactory) -> None:
        outbox = factory.outbox()
        key = unique("r")
        tally = Tally(reservation_id=key)
        tally.bump()
        tally.bump()
        saved = _save_new(factory, "reservations", key, tally)
        mine = set(_ids(saved))

        pending = [e for e in outbox.unpublished(limit=100_000) if e.cloudevent["id"] in mine]
        assert [e.cloudevent for e in pending] == [e.cloudevent for e in saved]
        assert not any(e.published for e in pending)

        outbox.mark_published(pending)
        assert not mine & set(_ids(outbox.unpublished(limit=100_000)))

    def test_unpublished_is_oldest_first_across_contexts(self, factory: PortFactory) -> None:
        outbox = factory.outbox()
        key, guest = unique("r"), unique("g")
        reservation, folio, account = (
            Tally(reservation_id=key),
            Tally(reservation_id=key),
            Tally(reservation_id=guest),
        )
        late = reservation.bump(when=at(30))
        early = folio.bump(when=at(10))
        middle = account.bump(when=at(20), reservation_id=key)
        _save_new(factory, "reservations", key, reservation)
        _save_new(factory, "billing", key, folio)
        _save_new(factory, "loyalty", guest, account)

        entries = outbox.unpublished(limit=100_000)
        mine = [e for e in _ids(entries) if e in {early, middle, late}]
        assert mine == [early, middle, late]
        assert len(outbox.unpublished(limit=2)) <= 2
        outbox.mark_published([e for e in entries if e.cloudevent["id"] in mine])

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
        pending = outbox.unpublished(limit=100_000)
        outbox.mark_published([e for e in pending if e.partition_key in {key, guest}])

    def test_relayed_cloudevents_are_identical_to_the_saved_ones(
        self, factory: PortFactory
    ) -> None:
        outbox = factory.outbox()
        key = unique("r")
        tally = Tally(reservation_id=key)
        tally.bump()
        (saved,) = _save_new(factory, "billing", key, tally)
        (relayed,) = [e for e in outbox.unpublished(limit=100_000) if e.row_key == saved.row_key]
        assert relayed.cloudevent == saved.cloudevent
        assert (relayed.context, relayed.partition_key) == ("billing", key)
        outbox.mark_published([relayed])
