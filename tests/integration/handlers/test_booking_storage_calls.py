"""What one confirmed booking costs in storage calls, on a real Azurite with the Table adapters.

The booking runs through the handlers as the function app runs it: ``create_reservation``
(the HTTP route), then each published event to every subscription routed to it, each inside the
saga step of the function Event Grid would invoke. The figures are exact, so a change that adds
a storage call to the booking path fails here and has to say why.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient

from adapters.accounting import saga_step
from adapters.azure_tables import AzureTableStore, StorageTransactionCounter
from adapters.bootstrap import build_table_ports, seed_catalog
from handlers.dispatch import dispatch
from handlers.ports import Ports
from handlers.reservations import get_reservation
from handlers.routing import SUBSCRIPTIONS
from tests.support.harness import book
from tests.support.memory_ports import InMemoryPublisher

pytestmark = pytest.mark.integration

# The cost of one confirmed booking, per saga step and kind of call: the booking's
# pending-publish intent (insert, then delete once published) around its one transaction; rooms
# reads the held nights; billing reads the card token; reservations reads its marker and state
# in one range query. An Idempotency-Key costs nothing: it names the reservation id.
EXPECTED = {
    "create_reservation": {"insert": 1, "transaction": 1, "delete": 1},
    "rooms": {"query": 1, "transaction": 1},
    "billing": {"read": 1, "transaction": 1},
    "reservations": {"query": 1, "transaction": 1},
}
# The front desk's read model is no step of the saga (nothing waits for it): counted apart, one
# read and one transaction for each of the two reservation events it sees before Confirmed.
FRONTDESK = "frontdesk"
EXPECTED_FRONTDESK = {"read": 2, "transaction": 2}


@pytest.fixture
def counted_ports(
    storage_connection_string: str,
) -> Iterator[tuple[Ports, StorageTransactionCounter]]:
    seed_catalog(storage_connection_string)
    counter = StorageTransactionCounter()
    with TableServiceClient.from_connection_string(storage_connection_string) as service:
        ports = build_table_ports(
            AzureTableStore(service, counter=counter),
            publisher=InMemoryPublisher(),
            clock=lambda: datetime.now(UTC),
        )
        # A worker reads the catalog and the idempotency secret once; that is not the booking's.
        ports.catalog.hotels()
        ports.idempotency.reservation_id("warm-up")
        counter.reset()
        yield ports, counter


def _free_stay() -> tuple[date, date]:
    # Nights no other test of the session books: the booking must find a room at once.
    check_in = datetime.now(UTC).date() + timedelta(days=random.randrange(4_000, 30_000))
    return check_in, check_in + timedelta(days=3)


def _run_saga(ports: Ports) -> list[str]:
    """Deliver everything published, as Event Grid does, each in its subscriber's step."""
    publisher = ports.publisher
    assert isinstance(publisher, InMemoryPublisher)
    delivered: list[str] = []
    cursor = 0
    while cursor < len(publisher.published):
        cloudevent = publisher.published[cursor]
        cursor += 1
        for subscription in SUBSCRIPTIONS:
            if cloudevent["type"] in subscription.included_event_types:
                with saga_step(subscription.function_name):
                    dispatch(subscription.name, cloudevent["type"], cloudevent["data"], ports)
                delivered.append(f"{subscription.name}:{cloudevent['type']}")
    return delivered


@pytest.mark.parametrize("idempotency_key", [None, "booking-calls-key"])
def test_a_confirmed_booking_costs_nine_storage_calls_four_of_them_transactions(
    counted_ports: tuple[Ports, StorageTransactionCounter], idempotency_key: str | None
) -> None:
    ports, counter = counted_ports
    check_in, check_out = _free_stay()
    key = None if idempotency_key is None else f"{idempotency_key}-{random.getrandbits(64)}"
    with saga_step("create_reservation"):
        reservation = book(
            ports,
            idempotency_key=key,
            checkIn=check_in.isoformat(),
            checkOut=check_out.isoformat(),
        )
    delivered = _run_saga(ports)
    calls = counter.snapshot()
    frontdesk = calls.pop(FRONTDESK)
    assert get_reservation(reservation.reservation_id, ports).status == "Confirmed"
    assert [step for step in delivered if not step.startswith(f"{FRONTDESK}:")] == [
        "rooms:Hotel.ReservationRequested",
        "billing:Hotel.RoomAllocated",
        "reservations:Hotel.PaymentAuthorized",
    ]
    assert [step for step in delivered if step.startswith(f"{FRONTDESK}:")] == [
        "frontdesk:Hotel.ReservationRequested",
        "frontdesk:Hotel.ReservationConfirmed",
    ]
    assert frontdesk == EXPECTED_FRONTDESK

    print(f"\nstorage calls per step of one confirmed booking (key: {key is not None}): {calls}")
    assert calls == EXPECTED
    transactions = sum(step.get("transaction", 0) for step in calls.values())
    assert (sum(sum(step.values()) for step in calls.values()), transactions) == (9, 4)
