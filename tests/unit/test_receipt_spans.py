"""A delivery receipt's request makes no server span (#25): Notify posts one a message, each a
trace of one span (the receipt's events continue the message's own trace), ~4.5% of the
notifications service's CPU. Its token is still checked, and other routes are still traced."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from notifications.app import create_app
from notifications.config import NotificationsSettings
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.telemetry import setup_tracing

RECEIPT = {"id": "n-1", "reference": None, "status": "delivered", "notification_type": "email"}


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    processor = SimpleSpanProcessor(spans)
    setup_tracing("tests").add_span_processor(processor)  # the provider the services use
    yield spans
    processor.shutdown()  # it stays on the provider, storing nothing


async def test_a_receipt_makes_no_server_span_and_a_wrong_token_is_still_refused(
    exporter: InMemorySpanExporter,
) -> None:
    settings = NotificationsSettings(database_url="postgresql://unused@127.0.0.1:1/unused")
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        refused = await client.post(
            "/v1/notify/receipts", json=RECEIPT, headers={"Authorization": "Bearer wrong"}
        )
        unsigned = await client.post("/v1/notify/receipts", json=RECEIPT)
        other = await client.get("/v1/referrals/00000000-0000-0000-0000-000000000001/notifications")
    assert refused.status_code == 401
    assert unsigned.status_code == 401
    assert other.status_code == 401  # not signed in
    routes = [
        dict(s.attributes or {}).get("http.route")
        for s in exporter.get_finished_spans()
        if s.kind is SpanKind.SERVER
    ]
    assert routes == ["/v1/referrals/{referral_id}/notifications"]
