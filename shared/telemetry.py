"""OpenTelemetry setup and trace-context helpers.

Span attributes must hold ids only, never names, contact details or needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def setup_tracing(service_name: str, otlp_endpoint: str | None) -> TracerProvider:
    """Install a tracer provider for this process; export over OTLP/HTTP when configured.

    Called once per process. When a provider is already installed (several services in one
    test process) it is returned as it is, so all their spans reach the same exporter.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if otlp_endpoint:
        # Imported here: the exporter pulls in protobuf, which a process without OTLP skips.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces"))
        )
    trace.set_tracer_provider(provider)
    return provider


def current_trace_headers() -> dict[str, str]:
    """The current span's W3C ``traceparent`` (and ``tracestate``) as a dict, for the outbox."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def tag_current_span(
    *, referral_id: str, event_id: str | None = None, event_type: str | None = None
) -> None:
    """Put the ids an operator searches by on the current span (ids only, never personal data)."""
    span = trace.get_current_span()
    span.set_attribute("send.referral_id", referral_id)
    if event_id is not None:
        span.set_attribute("send.event_id", event_id)
    if event_type is not None:
        span.set_attribute("send.event_type", event_type)


@contextmanager
def continued_trace(headers: dict[str, str]) -> Iterator[None]:
    """Make the trace stored in ``headers`` current for the block (the relay's publish)."""
    # A fresh context: the relay's own bookkeeping runs with instrumentation suppressed, and
    # that flag must not leak into the publish it continues.
    token = otel_context.attach(_PROPAGATOR.extract(headers, context=otel_context.Context()))
    try:
        yield
    finally:
        otel_context.detach(token)
