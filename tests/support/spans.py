"""An in-memory span exporter on the process's tracer provider, for unit and e2e tests.

OpenTelemetry lets a process install its tracer provider once, so every test shares one SDK
provider: whoever comes first installs it (``configure_telemetry`` leaves it alone, or installed
it itself), and each exporter added later sees the spans ended after it was added.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def sdk_tracer_provider() -> TracerProvider:
    """The process's SDK provider, installing one if none is set yet."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), f"not an SDK tracer provider: {provider!r}"
    return provider


def memory_exporter() -> InMemorySpanExporter:
    """A fresh exporter receiving every span ended from now on (synchronously)."""
    exporter = InMemorySpanExporter()
    sdk_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def trace_id_hex(span: ReadableSpan) -> str:
    return format(span.context.trace_id, "032x")
