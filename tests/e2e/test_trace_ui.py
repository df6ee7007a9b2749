"""The sample journey of `make run`, read back from the local Zipkin's API as a person would
find it in the UI: one trace, spans from the four services and their Kafka hops, nothing
personal in any span, at the address `make run` prints."""

from __future__ import annotations

import asyncio
import json

import httpx

from scripts import trace_ui
from scripts.run_platform import sample_referral
from tests.e2e.conftest import wait_for_timeline

EVENT_SERVICES = {"referrals", "plans", "specialists", "notifications"}
HOPS = {  # each Kafka hop of the journey: the topic, who publishes it, who handles it
    "referrals.referral-received.v1": ("referrals", "plans"),
    "plans.plan-drafted.v1": ("plans", "specialists"),
    "specialists.specialist-assigned.v1": ("specialists", "notifications"),
    "notifications.notification-sent.v1": ("notifications", "referrals"),
}


def _service(span: trace_ui.Span) -> str:
    return str(span.get("localEndpoint", {}).get("serviceName", ""))


def _published(spans: list[trace_ui.Span], topic: str) -> set[str]:
    """Services with a Kafka producer span to ``topic`` (FastStream's, in the relay)."""
    return {
        _service(s)
        for s in spans
        if s.get("kind") == "PRODUCER"
        and s.get("tags", {}).get("messaging.system") == "kafka"
        and str(s.get("tags", {}).get("messaging.destination.name", "")).endswith(topic)
    }


def _handled(spans: list[trace_ui.Span], topic: str) -> set[str]:
    """Services that handled an event of ``topic`` in this trace (their handler's span)."""
    return {
        _service(s)
        for s in spans
        if str(s.get("tags", {}).get("send.event_type", "")).endswith(topic)
        and s.get("name", "").endswith(" handle")
    }


async def test_the_sample_journey_is_one_trace_in_zipkin_across_every_service_and_kafka_hop(
    referrals_api: httpx.AsyncClient, zipkin: str
) -> None:
    body = sample_referral()
    created = await referrals_api.post("/v1/referrals", json=body)
    assert created.status_code == 201
    referral_id = created.json()["id"]
    await wait_for_timeline(referrals_api, referral_id)

    traces = await asyncio.to_thread(
        trace_ui.journey_trace, referral_id, EVENT_SERVICES, timeout_s=30, zipkin_url=zipkin
    )
    assert len(traces) == 1, [sorted(trace_ui.services_of(t)) for t in traces]
    (spans,) = traces
    trace_id = spans[0]["traceId"]
    assert {s["traceId"] for s in spans} == {trace_id}
    assert trace_ui.services_of(spans) == EVENT_SERVICES
    assert any(_service(s) == "referrals" and s.get("kind") == "SERVER" for s in spans)
    for topic, (publisher, handler) in HOPS.items():
        assert publisher in _published(spans, topic), topic
        assert handler in _handled(spans, topic), topic

    child, contact = body["child"], body["family_contact"]
    personal = [
        *(child[k] for k in ("given_name", "family_name", "nhs_number", "date_of_birth")),
        child["postcode"],
        contact["name"],
        contact["email"],
    ]
    everything = json.dumps(spans)
    assert [p for p in personal if p in everything] == []

    # The address `make run` prints: Zipkin's UI page for the trace, and the trace it shows.
    async with httpx.AsyncClient(timeout=10) as client:
        page = await client.get(trace_ui.trace_address(trace_id, zipkin))
        shown = await client.get(f"{zipkin}/api/v2/trace/{trace_id}")
    assert page.status_code == 200
    assert "<title>Zipkin</title>" in page.text
    assert {s["id"] for s in shown.json()} >= {s["id"] for s in spans}  # (and any later ones)
