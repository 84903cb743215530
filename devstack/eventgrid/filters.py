"""Event subscription filters: event types, subject prefix/suffix and advanced filters.

Semantics (Event Grid "event filtering"): the values of one advanced filter are OR'd, the
filters (and the event-type and subject filters) are AND'd. A key that is missing (or null) fails
every operator except the negations (``*NotIn``, ``StringNot*``, ``NumberNotInRange``) and
``IsNullOrUndefined``. String comparisons are case-insensitive; event types are compared
case-insensitively; subjects follow ``isSubjectCaseSensitive``.

Keys are ``data.a.b`` (into the payload) or a top-level attribute of the event in its schema
(``type``/``subject``/``source``/an extension for CloudEvents; ``eventType``/``subject``/
``dataVersion`` for the Event Grid schema). Deviation: filtering on array values
(``enableAdvancedFilteringOnArrays``) is not supported: an array or object value matches no
positive operator (negations and ``IsNotNull`` hold).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from devstack.eventgrid.config import AdvancedFilter, FilterConfig, InputSchema

_MISSING: Final = object()

Event = Mapping[str, Any]


def event_type_of(event: Event, schema: InputSchema) -> str:
    key = "type" if schema is InputSchema.CLOUD_EVENTS else "eventType"
    value = event.get(key)
    return value if isinstance(value, str) else ""


def lookup(event: Event, key: str) -> Any:
    """The value at a dotted key, or ``_MISSING``; keys are matched case-insensitively."""
    current: Any = event
    for part in key.split("."):
        if not isinstance(current, Mapping):
            return _MISSING
        if part in current:
            current = current[part]
            continue
        lowered = part.lower()
        for name, value in current.items():
            if isinstance(name, str) and name.lower() == lowered:
                current = value
                break
        else:
            return _MISSING
    return current


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _numbers(values: list[Any]) -> list[float]:
    return [n for n in (_number(v) for v in values) if n is not None]


def _strings(values: list[Any]) -> list[str]:
    return [str(v).lower() for v in values if v is not None]


def _ranges(values: list[Any]) -> list[tuple[float, float]]:
    ranges: list[tuple[float, float]] = []
    for pair in values:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            low, high = _number(pair[0]), _number(pair[1])
            if low is not None and high is not None:
                ranges.append((low, high))
    return ranges


def _filter_values(spec: AdvancedFilter) -> list[Any]:
    if spec.values is not None:
        return list(spec.values)
    return [] if spec.value is None else [spec.value]


def _num_op(test: Callable[[float, float], bool]) -> Callable[[Any, AdvancedFilter], bool]:
    def check(actual: Any, spec: AdvancedFilter) -> bool:
        number, bound = _number(actual), _number(spec.value)
        return number is not None and bound is not None and test(number, bound)

    return check


def _number_in(actual: Any, spec: AdvancedFilter) -> bool:
    number = _number(actual)
    return number is not None and number in _numbers(_filter_values(spec))


def _number_in_range(actual: Any, spec: AdvancedFilter) -> bool:
    number = _number(actual)
    ranges = _ranges(_filter_values(spec))
    return number is not None and any(lo <= number <= hi for lo, hi in ranges)


def _bool_equals(actual: Any, spec: AdvancedFilter) -> bool:
    return isinstance(actual, bool) and isinstance(spec.value, bool) and actual is spec.value


def _string_op(test: Callable[[str, str], bool]) -> Callable[[Any, AdvancedFilter], bool]:
    def check(actual: Any, spec: AdvancedFilter) -> bool:
        if not isinstance(actual, str | int | float) or isinstance(actual, bool):
            return False
        text = str(actual).lower()
        return any(test(text, wanted) for wanted in _strings(_filter_values(spec)))

    return check


Check = Callable[[Any, AdvancedFilter], bool]


def _negate(positive: Check) -> Check:
    def check(actual: Any, spec: AdvancedFilter) -> bool:
        return not positive(actual, spec)

    return check


_string_in = _string_op(lambda text, wanted: text == wanted)
_string_contains = _string_op(lambda text, wanted: wanted in text)
_string_begins = _string_op(lambda text, wanted: text.startswith(wanted))
_string_ends = _string_op(lambda text, wanted: text.endswith(wanted))

# Operators evaluated on a present, non-null value.
_VALUE_OPERATORS: Final[dict[str, Callable[[Any, AdvancedFilter], bool]]] = {
    "NumberIn": _number_in,
    "NumberNotIn": _negate(_number_in),
    "NumberLessThan": _num_op(lambda a, b: a < b),
    "NumberGreaterThan": _num_op(lambda a, b: a > b),
    "NumberLessThanOrEquals": _num_op(lambda a, b: a <= b),
    "NumberGreaterThanOrEquals": _num_op(lambda a, b: a >= b),
    "NumberInRange": _number_in_range,
    "NumberNotInRange": _negate(_number_in_range),
    "BoolEquals": _bool_equals,
    "StringContains": _string_contains,
    "StringNotContains": _negate(_string_contains),
    "StringBeginsWith": _string_begins,
    "StringNotBeginsWith": _negate(_string_begins),
    "StringEndsWith": _string_ends,
    "StringNotEndsWith": _negate(_string_ends),
    "StringIn": _string_in,
    "StringNotIn": _negate(_string_in),
    "IsNullOrUndefined": lambda actual, spec: False,
    "IsNotNull": lambda actual, spec: True,
}
# What each operator says when the key is missing or null.
_ABSENT_RESULT: Final[dict[str, bool]] = {
    "NumberNotIn": True,
    "NumberNotInRange": True,
    "StringNotContains": True,
    "StringNotBeginsWith": True,
    "StringNotEndsWith": True,
    "StringNotIn": True,
    "IsNullOrUndefined": True,
}
OPERATORS: Final[tuple[str, ...]] = tuple(_VALUE_OPERATORS)


def advanced_filter_matches(spec: AdvancedFilter, event: Event) -> bool:
    actual = lookup(event, spec.key)
    if actual is _MISSING or actual is None:
        return _ABSENT_RESULT.get(spec.operator_type, False)
    return _VALUE_OPERATORS[spec.operator_type](actual, spec)


def _subject_matches(flt: FilterConfig, subject: str) -> bool:
    begins, ends = flt.subject_begins_with, flt.subject_ends_with
    if not flt.is_subject_case_sensitive:
        subject, begins, ends = subject.lower(), begins.lower(), ends.lower()
    return subject.startswith(begins) and subject.endswith(ends)


def matches(flt: FilterConfig, event: Event, schema: InputSchema) -> bool:
    """Whether a subscription with this filter receives the event."""
    if flt.included_event_types:  # null or [] means every event type
        event_type = event_type_of(event, schema).lower()
        if event_type not in {t.lower() for t in flt.included_event_types}:
            return False
    if flt.subject_begins_with or flt.subject_ends_with:
        subject = event.get("subject")
        if not _subject_matches(flt, subject if isinstance(subject, str) else ""):
            return False
    return all(advanced_filter_matches(spec, event) for spec in flt.advanced_filters)
