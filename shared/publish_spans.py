"""FastStream's Kafka telemetry, with one span a published record instead of two.

FastStream's ``KafkaTelemetryMiddleware`` traces each record it publishes with a ``<topic>
create`` span, ended at once, and a ``<topic> publish`` span under it, and puts the first one's
context in the record's headers. The outbox relay publishes every event a service causes one
record at a time, each continuing the trace of the work that stored it: those two spans (and the
baggage FastStream reads and writes around them) were about a quarter of a consumed event's CPU
in the relay and the consumer together (``scripts.bench.consumed_batch``: 0.07 of 0.26 ms an
event; issue #25, docs/benchmark.md).

``KafkaTelemetry`` is FastStream's middleware for consuming, unchanged, and for a single record
published outside a consumer's own reply: one ``<topic> publish`` span (a producer span, with
FastStream's attributes: ``messaging.system``, ``messaging.destination.name``, the message and
correlation ids, ``messaging.operation`` ``publish``), a child of the current span (the work
that stored the event), whose context goes in the record's ``traceparent`` header for the
consumers' spans to link to. The journey's trace stays whole: the consumer's ``<topic>
handle`` span continues the event's own trace context (``shared.batches``). Anything else (a
batch, a reply, a message with baggage) is FastStream's own path. FastStream's OpenTelemetry
metrics of publishing are not recorded on this path: the services set no OpenTelemetry meter
(their metrics are Prometheus's, where FastStream's middleware still counts every publish).
"""

from __future__ import annotations

from typing import Any

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.response import KafkaPublishCommand
from faststream.opentelemetry.middleware import BaseTelemetryMiddleware
from opentelemetry.semconv.trace import SpanAttributes
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


class KafkaTelemetry(KafkaTelemetryMiddleware):
    """FastStream's ``KafkaTelemetryMiddleware``, publishing a record with one span (see the
    module docstring)."""

    def __call__(self, msg: Any | None, /, *, context: Any) -> _OneSpanPublish:
        return _OneSpanPublish(
            msg,
            tracer=self._tracer,
            metrics_container=self._metrics,
            settings_provider_factory=self._settings_provider_factory,
            context=context,
        )


class _OneSpanPublish(BaseTelemetryMiddleware[KafkaPublishCommand]):
    __slots__ = ("_provider",)

    def __init__(self, msg: Any | None, /, **kwargs: Any) -> None:
        super().__init__(msg, **kwargs)
        self._provider = kwargs["settings_provider_factory"](msg)

    async def publish_scope(self, call_next: Any, msg: KafkaPublishCommand) -> Any:
        provider = self._provider
        if (
            provider is None
            or len(msg.batch_bodies) > 1
            or self._current_span is not None  # a reply from within this middleware's consume
            or self.context.get_local("baggage")
        ):
            return await super().publish_scope(call_next, msg)
        attributes = provider.get_publish_attrs_from_cmd(msg)
        attributes[SpanAttributes.MESSAGING_OPERATION] = "publish"
        with self._tracer.start_as_current_span(
            f"{provider.get_publish_destination_name(msg)} publish",
            kind=SpanKind.PRODUCER,
            attributes=attributes,
        ):
            _PROPAGATOR.inject(msg.headers)
            return await call_next(msg)
