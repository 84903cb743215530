"""The Catalog port: hotels as seeded, seeding twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

from domain.catalog import Hotel, RoomType
from tests.port_suites.factory import PortFactory
from tests.port_suites.support import unique


def _hotel(hotel_id: str) -> Hotel:
    std = RoomType("STD", 2, Decimal("99.50"), ("101", "102"))
    ste = RoomType("STE", 4, Decimal("350.00"), ("301",))
    return Hotel(hotel_id, "Test Hotel", "EUR", {"STD": std, "STE": ste})


class CatalogContract:
    def test_seeding_twice_lists_each_hotel_once(self, factory: PortFactory) -> None:
        hotels = [_hotel(unique("hotel")), _hotel(unique("hotel"))]
        factory.seeded_catalog(hotels)
        catalog = factory.seeded_catalog(hotels)

        mine = [h for h in catalog.hotels() if h.hotel_id in {x.hotel_id for x in hotels}]
        assert sorted(mine, key=lambda h: h.hotel_id) == sorted(hotels, key=lambda h: h.hotel_id)
        assert catalog.get(hotels[0].hotel_id) == hotels[0]
        assert catalog.get(unique("hotel")) is None
