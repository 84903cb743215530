from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devstack.eventgrid.config import AdvancedFilter, FilterConfig, InputSchema
from devstack.eventgrid.filters import advanced_filter_matches, lookup, matches

CE = InputSchema.CLOUD_EVENTS
EG = InputSchema.EVENT_GRID


def ce(
    type_: str = "Hotel.RoomAllocated", subject: str = "/hotels/h1/reservations/r1", **data: Any
) -> dict[str, Any]:
    return {
        "id": "1",
        "source": "s",
        "specversion": "1.0",
        "type": type_,
        "subject": subject,
        "data": data,
    }


def adv(
    operator: str, key: str = "data.n", value: Any = None, values: list[Any] | None = None
) -> AdvancedFilter:
    return AdvancedFilter(operator_type=operator, key=key, value=value, values=values)


def test_included_event_types_select_by_type_ignoring_case() -> None:
    flt = FilterConfig(included_event_types=["hotel.roomallocated", "Hotel.PaymentCaptured"])
    assert matches(flt, ce("Hotel.RoomAllocated"), CE)
    assert not matches(flt, ce("Hotel.ReservationRequested"), CE)


def test_event_grid_schema_filters_on_event_type() -> None:
    flt = FilterConfig(included_event_types=["A"])
    assert matches(flt, {"eventType": "A", "subject": "x"}, EG)
    assert not matches(flt, {"type": "A", "subject": "x"}, EG)


def test_null_or_empty_included_event_types_mean_all() -> None:
    assert matches(FilterConfig(), ce("Anything"), CE)
    assert matches(FilterConfig(included_event_types=[]), ce("Anything"), CE)


def test_subject_filters_are_case_insensitive_by_default() -> None:
    flt = FilterConfig(subject_begins_with="/HOTELS/h1/", subject_ends_with="/R1")
    assert matches(flt, ce(), CE)
    sensitive = flt.model_copy(update={"is_subject_case_sensitive": True})
    assert not matches(sensitive, ce(), CE)
    assert not matches(flt, ce(subject="/hotels/h2/reservations/r1"), CE)


@pytest.mark.parametrize(
    ("spec", "data", "expected"),
    [
        (adv("NumberIn", values=[1, 2]), {"n": 2}, True),
        (adv("NumberIn", values=[1, 2]), {"n": 3}, False),
        (adv("NumberIn", values=[1]), {"n": True}, False),
        (adv("NumberNotIn", values=[1, 2]), {"n": 3}, True),
        (adv("NumberNotIn", values=[1, 2]), {}, True),
        (adv("NumberIn", values=[1]), {}, False),
        (adv("NumberLessThan", value=5), {"n": 4.5}, True),
        (adv("NumberLessThan", value=5), {"n": 5}, False),
        (adv("NumberLessThanOrEquals", value=5), {"n": 5}, True),
        (adv("NumberGreaterThan", value=5), {"n": 5}, False),
        (adv("NumberGreaterThanOrEquals", value=5), {"n": 5}, True),
        (adv("NumberGreaterThan", value=5), {"n": "6"}, False),
        (adv("NumberInRange", values=[[1, 3], [10, 20]]), {"n": 15}, True),
        (adv("NumberInRange", values=[[1, 3]]), {"n": 4}, False),
        (adv("BoolEquals", value=True), {"n": True}, True),
        (adv("BoolEquals", value=True), {"n": 1}, False),
        (adv("BoolEquals", value=False), {}, False),
        (adv("StringContains", values=["LIS", "por"]), {"n": "grand-lisbon"}, True),
        (adv("StringContains", values=["faro"]), {"n": "grand-lisbon"}, False),
        (adv("StringBeginsWith", values=["grand"]), {"n": "Grand-Lisbon"}, True),
        (adv("StringEndsWith", values=["porto"]), {"n": "grand-lisbon"}, False),
        (adv("StringIn", values=["STD", "DLX"]), {"n": "std"}, True),
        (adv("StringIn", values=["STD"]), {"n": "STE"}, False),
        (adv("StringNotIn", values=["STD"]), {"n": "STE"}, True),
        (adv("StringNotIn", values=["STD"]), {}, True),
        (adv("StringIn", values=["STD"]), {}, False),
        (adv("StringNotContains", values=["x"]), {"n": "abc"}, True),
        (adv("IsNullOrUndefined"), {}, True),
        (adv("IsNullOrUndefined"), {"n": None}, True),
        (adv("IsNullOrUndefined"), {"n": 0}, False),
        (adv("IsNotNull"), {"n": 0}, True),
        (adv("IsNotNull"), {"n": None}, False),
        (adv("IsNotNull"), {}, False),
        (adv("StringIn", values=["a"]), {"n": ["a"]}, False),
    ],
)
def test_advanced_operators(spec: AdvancedFilter, data: dict[str, Any], expected: bool) -> None:
    assert advanced_filter_matches(spec, ce(**data)) is expected


def test_advanced_filters_reach_top_level_attributes_and_nested_data() -> None:
    event = ce(hotel={"id": "grand-lisbon", "rooms": 20})
    assert advanced_filter_matches(adv("StringIn", "type", values=["hotel.roomallocated"]), event)
    assert advanced_filter_matches(adv("NumberIn", "data.hotel.rooms", values=[20]), event)
    assert advanced_filter_matches(adv("StringIn", "Data.Hotel.ID", values=["grand-lisbon"]), event)
    assert lookup(event, "data.hotel.rooms.deeper") is not None  # the missing sentinel
    assert not advanced_filter_matches(
        adv("NumberIn", "data.hotel.rooms.deeper", values=[20]), event
    )


def test_filters_are_anded() -> None:
    flt = FilterConfig(
        included_event_types=["Hotel.RoomAllocated"],
        advanced_filters=[
            adv("NumberGreaterThan", value=1),
            adv("StringIn", "data.s", values=["a"]),
        ],
    )
    assert matches(flt, ce(n=2, s="a"), CE)
    assert not matches(flt, ce(n=2, s="b"), CE)
    assert not matches(flt, ce(n=1, s="a"), CE)
    assert not matches(flt, ce("Other", n=2, s="a"), CE)


numbers = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False))


@given(value=numbers, values=st.lists(numbers, max_size=5))
def test_number_not_in_is_the_negation_of_number_in(value: float, values: list[float]) -> None:
    event = ce(n=value)
    positive = advanced_filter_matches(adv("NumberIn", values=list(values)), event)
    negative = advanced_filter_matches(adv("NumberNotIn", values=list(values)), event)
    assert positive != negative
    assert positive == (value in values)


@given(value=numbers, bound=numbers)
def test_number_comparisons_agree_with_python(value: float, bound: float) -> None:
    event = ce(n=value)
    assert advanced_filter_matches(adv("NumberLessThan", value=bound), event) == (value < bound)
    assert advanced_filter_matches(adv("NumberGreaterThanOrEquals", value=bound), event) == (
        value >= bound
    )


@given(text=st.text(max_size=20), prefix=st.text(max_size=5), suffix=st.text(max_size=5))
def test_subject_filters_agree_with_str_methods(text: str, prefix: str, suffix: str) -> None:
    flt = FilterConfig(
        subject_begins_with=prefix, subject_ends_with=suffix, is_subject_case_sensitive=True
    )
    subject = prefix + text + suffix
    assert matches(flt, ce(subject=subject), CE)
    assert matches(flt, ce(subject=text), CE) == (text.startswith(prefix) and text.endswith(suffix))


@given(
    value=st.text(alphabet="abcXYZ", max_size=6),
    values=st.lists(st.text(alphabet="abcxyz", max_size=3), max_size=4),
)
def test_string_operators_are_case_insensitive_and_ored(value: str, values: list[str]) -> None:
    event = ce(n=value)
    lowered = value.lower()
    contains = advanced_filter_matches(adv("StringContains", values=values), event)
    assert contains == any(v.lower() in lowered for v in values)
    string_in = advanced_filter_matches(adv("StringIn", values=values), event)
    assert string_in == any(v.lower() == lowered for v in values)
