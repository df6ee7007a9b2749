"""The one way a service gets a Kafka broker: safe producer, commit-after-processing consumers,
telemetry and Prometheus middleware."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.settings import KafkaSettings


def create_broker(
    settings: KafkaSettings,
    *,
    client_id: str,
    tracer_provider: TracerProvider,
    registry: CollectorRegistry,
) -> KafkaBroker:
    """A broker whose producer waits for all in-sync replicas and never duplicates on retry.

    Subscribers default to ``NACK_ON_ERROR``: the offset is committed only after the handler
    returns, and a handler that raises leaves the offset where it was, so the event comes
    again. (FastStream's own default commits first: at-most-once, which we must not use.)
    """
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        # Handlers parse messages themselves (shared.inbox), so a malformed message reaches
        # our code and its dead-letter path instead of failing inside the framework.
        apply_types=False,
        graceful_timeout=20.0,
        middlewares=[
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(registry=registry, app_name=client_id),
        ],
    )
