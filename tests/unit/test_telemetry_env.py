"""Tracing follows the standard OpenTelemetry environment variables, not values fixed in code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

from shared.telemetry import span_exporter, tracer_provider, zipkin_exporter
from tests.e2e.otlp_receiver import OtlpReceiver

OTEL_VARIABLES = (
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
)


@pytest.fixture(autouse=True)
def no_otel_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    r = OtlpReceiver()
    r.start()
    yield r
    r.stop()


def test_service_name_defaults_to_the_service_when_no_variable_names_it() -> None:
    assert tracer_provider("plans").resource.attributes["service.name"] == "plans"


def test_otel_service_name_wins_over_the_services_own_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "plans-leeds")
    assert tracer_provider("plans").resource.attributes["service.name"] == "plans-leeds"


def test_resource_attributes_are_kept_and_may_name_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "OTEL_RESOURCE_ATTRIBUTES", "service.name=plans-blue,deployment.environment=staging"
    )
    attributes = tracer_provider("plans").resource.attributes
    assert attributes["service.name"] == "plans-blue"
    assert attributes["deployment.environment"] == "staging"


def test_nothing_is_exported_without_an_otlp_endpoint() -> None:
    assert span_exporter() is None


def test_traces_endpoint_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/custom/path")
    exporter = span_exporter()
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://traces:4318/custom/path"


def test_base_endpoint_gets_the_traces_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")
    exporter = span_exporter()
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://collector:4318/v1/traces"


def test_sampler_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    sampler = tracer_provider("plans").sampler
    assert isinstance(sampler, TraceIdRatioBased)
    assert sampler.rate == 0.25


def test_spans_reach_the_configured_endpoint_under_the_configured_name(
    monkeypatch: pytest.MonkeyPatch, receiver: OtlpReceiver
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "plans-leeds")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{receiver.endpoint}/v1/traces")
    provider = tracer_provider("plans")
    with provider.get_tracer("test").start_as_current_span("draft plan"):
        pass
    assert provider.force_flush(timeout_millis=10_000)
    provider.shutdown()
    assert [(s.service, s.name) for s in receiver.snapshot()] == [("plans-leeds", "draft plan")]


def test_spans_reach_a_zipkin_server_as_json_when_its_endpoint_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """make run's trace UI: Zipkin's JSON API, beside OTLP when both are set."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[str, list[dict[str, Any]]]] = []

    class Zipkin(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(
                (self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            )
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Zipkin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    assert zipkin_exporter() is None
    monkeypatch.setenv(
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT", f"http://127.0.0.1:{server.server_port}/api/v2/spans"
    )
    provider = tracer_provider("plans")
    with provider.get_tracer("test").start_as_current_span("draft plan") as span:
        span.set_attribute("send.referral_id", "r-1")
    assert provider.force_flush(timeout_millis=10_000)
    provider.shutdown()
    server.shutdown()
    server.server_close()
    [(path, [exported])] = received
    assert path == "/api/v2/spans"
    assert exported["name"] == "draft plan"
    assert exported["localEndpoint"]["serviceName"] == "plans"
    assert exported["tags"]["send.referral_id"] == "r-1"
