"""The reprocessor's counts as OpenTelemetry counters (what Application Insights shows)."""

from __future__ import annotations

import dataclasses

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from adapters.metrics import DeadLetterMeters
from handlers.dead_letters import reprocess_dead_letters
from tests.support.azure_format import (
    as_cloudevents_letter,
    blob,
    blob_name,
    book_with_billing_down,
)
from tests.support.harness import Bus, Clock, make_ports
from tests.support.memory_deadletters import InMemoryDeadLetterStore


def test_each_run_adds_its_blobs_and_events_by_outcome_and_trigger() -> None:
    clock = Clock()
    ports = make_ports(clock)
    bus = Bus(ports)
    store = InMemoryDeadLetterStore(clock=clock)
    _, allocated = book_with_billing_down(ports, bus)
    store.put(blob_name("billing"), blob([as_cloudevents_letter(allocated)]))
    store.put("NOBODY/2031/4/1/9/x.json", b"[]")
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    metered = dataclasses.replace(ports, dead_letter_metrics=DeadLetterMeters(meter))

    reprocess_dead_letters(store, metered, trigger="operator")

    data = reader.get_metrics_data()
    assert data is not None
    points = {
        (metric.name, point.attributes["outcome"], point.attributes["trigger"]): point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint) and point.attributes is not None
    }
    assert points[("hotel.dead_letters.blobs", "found", "operator")] == 2
    assert points[("hotel.dead_letters.blobs", "archived", "operator")] == 1
    assert points[("hotel.dead_letters.blobs", "poisoned", "operator")] == 1
    assert points[("hotel.dead_letters.events", "replayed", "operator")] == 1
    assert points[("hotel.dead_letters.events", "found", "operator")] == 1
