"""The server span of a family route records the route template, never the link in the path,
under either of OpenTelemetry's HTTP conventions (the old ``http.target``/``http.url``, the
stable ``url.path``/``url.full``, chosen by ``OTEL_SEMCONV_STABILITY_OPT_IN``); other paths
are left as they are. (tests/integration/test_family_links_untraced.py: the services.)"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry import family_links_unrecorded, family_links_unrecorded_in_calls

LINK = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def _recorded(path: str, attributes: dict[str, Any], *others: str) -> dict[str, Any]:
    """What a span started with ``attributes`` holds once the hook has run on it."""
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    hook = family_links_unrecorded("/v1/family", *others)
    with provider.get_tracer("test").start_as_current_span("GET", attributes=attributes) as span:
        hook(span, {"type": "http", "path": path})
    [finished] = spans.get_finished_spans()
    return dict(finished.attributes or {})


def test_the_stable_conventions_record_the_route_template() -> None:
    path = f"/v1/family/{LINK}/plan.pdf"
    recorded = _recorded(
        path,
        {
            "url.path": path,
            "url.full": f"https://council.example{path}",
            "http.route": "/v1/family/{token}/plan.pdf",
        },
    )
    assert recorded == {
        "url.path": "/v1/family/{token}/plan.pdf",
        "url.full": "https://council.example/v1/family/{token}/plan.pdf",
        "http.route": "/v1/family/{token}/plan.pdf",
    }


def test_a_path_no_route_has_is_cut_at_the_prefix() -> None:
    path = f"/v1/family/{LINK[:20]}/{LINK[20:]}"  # a link an email client wrapped
    recorded = _recorded(path, {"http.target": path, "http.url": f"http://test{path}"})
    assert recorded == {"http.target": "/v1/family/…", "http.url": "http://test/v1/family/…"}


def test_other_paths_are_kept() -> None:
    path = "/v1/referrals/0f8ea146/plan.pdf"
    assert _recorded(path, {"http.target": path}) == {"http.target": path}


async def test_a_call_to_a_family_route_is_recorded_without_the_link() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    hook = family_links_unrecorded_in_calls("/v1/family")
    calls = {
        f"http://referrals:8001/v1/family/{LINK}": "http://referrals:8001/v1/family/{token}",
        "http://referrals:8001/v1/referrals/r-1": "http://referrals:8001/v1/referrals/r-1",
    }
    for url in calls:
        attributes = {"http.url": url, "url.full": url}
        with provider.get_tracer("t").start_as_current_span("GET", attributes=attributes) as span:
            await hook(span, SimpleNamespace(url=httpx.URL(url)))
    recorded = [dict(s.attributes or {}) for s in spans.get_finished_spans()]
    assert recorded == [{"http.url": shown, "url.full": shown} for shown in calls.values()]


def test_an_advisers_link_is_recorded_as_a_familys_is() -> None:
    path = f"/v1/advisers/{LINK}/advice"
    attributes = {"url.path": path, "http.route": "/v1/advisers/{token}/advice"}
    recorded = _recorded(path, attributes, "/v1/advisers")
    assert recorded["url.path"] == "/v1/advisers/{token}/advice"
    wrapped = f"/v1/advisers/{LINK[:20]}/{LINK[20:]}"
    assert _recorded(wrapped, {"http.target": wrapped}, "/v1/advisers") == {
        "http.target": "/v1/advisers/…"
    }


async def test_a_call_to_an_advisers_route_is_recorded_without_the_link() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    hook = family_links_unrecorded_in_calls("/v1/family", "/v1/advisers")
    url = f"http://referrals:8001/v1/advisers/{LINK}/advice"
    with provider.get_tracer("t").start_as_current_span("POST", attributes={"url.full": url}) as s:
        await hook(s, SimpleNamespace(url=httpx.URL(url)))
    [finished] = spans.get_finished_spans()
    assert dict(finished.attributes or {}) == {
        "url.full": "http://referrals:8001/v1/advisers/{token}/advice"
    }
