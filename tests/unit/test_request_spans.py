"""A request is one server span in its trace, with its route and status: no span of its own
for each ASGI message it reads or answers with (OpenTelemetry's ``http receive`` and ``http
send``, three more spans a referral taken in, ~4% of the intake's CPU: issue #25)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from referrals.app import create_app

from shared.telemetry import setup_tracing


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    processor = SimpleSpanProcessor(spans)
    setup_tracing("tests").add_span_processor(processor)  # the provider the services use
    yield spans
    processor.shutdown()  # it stays on the provider, storing nothing


async def test_a_request_is_one_server_span_with_its_route_and_status(
    exporter: InMemorySpanExporter,
) -> None:
    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        # Not signed in: refused before the database, after the body was read.
        answer = await client.post("/v1/referrals", json={"local_authority": "E08000035"})
    assert answer.status_code == 401

    spans = exporter.get_finished_spans()
    [server] = [s for s in spans if s.kind is SpanKind.SERVER]
    attributes = dict(server.attributes or {})
    assert attributes.get("http.route") == "/v1/referrals"
    assert 401 in (attributes.get("http.status_code"), attributes.get("http.response.status_code"))
    assert server.end_time is not None
    internal = [s.name for s in spans if s.context.trace_id == server.context.trace_id]
    assert internal == [server.name], "only the server span: no http receive/send spans"
