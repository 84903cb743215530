"""OpenTelemetry metrics: the ``DeadLetterMetrics`` port as counters.

The counters are no-ops until a MeterProvider is configured (in Azure, by the Azure Monitor
distro that ``configure_telemetry`` calls); Application Insights shows them as customMetrics.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import metrics

__all__ = ["DeadLetterMeters"]


class DeadLetterMeters:
    """``hotel.dead_letters.blobs`` and ``hotel.dead_letters.events`` by outcome and trigger."""

    def __init__(self, meter: metrics.Meter | None = None) -> None:
        # The global meter is a proxy until a provider is set, so building this early is fine.
        meter = meter or metrics.get_meter("hotel.dead_letters")
        self._counters = {
            "blobs": meter.create_counter(
                "hotel.dead_letters.blobs",
                unit="{blob}",
                description="dead-letter blobs by outcome",
            ),
            "events": meter.create_counter(
                "hotel.dead_letters.events",
                unit="{event}",
                description="dead-lettered events by outcome",
            ),
        }

    def record(self, trigger: str, counts: Mapping[str, Mapping[str, int]]) -> None:
        for kind, counter in self._counters.items():
            for outcome, value in counts[kind].items():
                counter.add(value, {"outcome": outcome, "trigger": trigger})
