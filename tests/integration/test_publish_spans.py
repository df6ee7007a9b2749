"""A record the platform publishes is traced with one producer span (``shared.publish_spans``),
a child of the work that stored the event, whose context the record carries for its
consumers' spans to link to (FastStream's own middleware made two: ``<topic> create`` and
``<topic> publish`` under it, about a quarter of a consumed event's CPU; issue #25)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry

from shared.broker import create_broker
from shared.settings import KafkaSettings
from tests.integration.conftest import Counted, read_topic


async def test_a_published_record_is_one_producer_span_whose_context_it_carries(
    kafka_settings: KafkaSettings, event_class: type[Counted]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    topic = event_class.topic()
    broker = create_broker(
        kafka_settings,
        client_id="publish-spans-test",
        tracer_provider=provider,
        registry=CollectorRegistry(),
    )
    publisher = broker.publisher(topic)
    await broker.start()
    try:
        with provider.get_tracer("tests").start_as_current_span("the event stored") as stored:
            await publisher.publish(b'{"an": "event"}', key=b"referral")
    finally:
        await broker.stop()
        provider.shutdown()
    (record,) = await read_topic(kafka_settings.kafka_bootstrap_servers, topic, 1)

    producer_spans = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.PRODUCER]
    assert [s.name for s in producer_spans] == [f"{topic} publish"]
    (span,) = producer_spans
    assert span.parent is not None
    assert span.parent.span_id == stored.get_span_context().span_id  # the journey's trace
    assert span.attributes is not None
    assert span.attributes["messaging.system"] == "kafka"
    assert span.attributes["messaging.destination.name"] == topic
    assert span.attributes["messaging.operation"] == "publish"
    traceparent = dict(record.headers)["traceparent"].decode()
    _, trace_id, span_id, _ = traceparent.split("-")
    assert (trace_id, span_id) == (
        format(span.context.trace_id, "032x"),
        format(span.context.span_id, "016x"),
    )
    assert record.value == b'{"an": "event"}'
