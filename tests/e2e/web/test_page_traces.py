"""A step a caseworker takes on a workspace page starts a trace that follows it on: the
workspace's request, its call to referrals, the event referrals publishes and the services
that handle it, one trace in the local Zipkin, with nothing personal in any span."""

from __future__ import annotations

import asyncio
import json

import httpx
from playwright.async_api import Browser, expect

from scripts import trace_ui
from tests.e2e.web.conftest import new_context, sign_in
from tests.e2e.web.test_caseworker_journey import _day, _ehc_request, _fill_date, _record, _step


def _in_trace_started_by_the_workspace(traces: list[list[trace_ui.Span]]) -> list[trace_ui.Span]:
    for spans in traces:
        roots = [s for s in spans if "parentId" not in s]
        if [r.get("localEndpoint", {}).get("serviceName") for r in roots] == ["web"]:
            return spans
    return []


async def test_a_step_recorded_on_a_page_is_one_trace_from_the_workspace_through_kafka(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, zipkin: str
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=40)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}")
    await _step(page, "Record the decision whether to assess")
    await page.get_by_label("Assess", exact=True).check()
    await _fill_date(page, "decided_on", _day(38))
    await _record(page, "decision whether to assess was recorded")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Referral")
    await context.close()

    async def traced() -> list[trace_ui.Span]:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            traces = await asyncio.to_thread(trace_ui.referral_traces, referral["id"], zipkin)
            spans = _in_trace_started_by_the_workspace(traces)
            handled = [s for s in spans if s.get("name", "").endswith(" handle")]
            if handled:
                return spans
            if asyncio.get_running_loop().time() > deadline:
                found = [sorted(trace_ui.services_of(t)) for t in traces]
                raise AssertionError(f"no trace from the workspace's page through Kafka: {found}")
            await asyncio.sleep(0.25)

    spans = await traced()
    services = trace_ui.services_of(spans)
    assert {"web", "referrals"} <= services
    (root,) = [s for s in spans if "parentId" not in s]
    assert (root.get("kind"), root["name"]) == (
        "SERVER",
        "post /referrals/{referral_id}/steps/{slug}",
    )
    assert any(
        s.get("kind") == "CLIENT" and s["localEndpoint"]["serviceName"] == "web" for s in spans
    )
    published = [
        s
        for s in spans
        if s.get("kind") == "PRODUCER" and s["localEndpoint"]["serviceName"] == "referrals"
    ]
    handled = [s for s in spans if s.get("name", "").endswith(" handle")]
    assert published
    assert handled
    assert services - {"web", "referrals"}, "the event was handled by another service"
    everything = json.dumps(spans)
    assert [p for p in ("Ngozi", "Okafor", "ngozi@example.org") if p in everything] == []
