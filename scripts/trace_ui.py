"""The local trace UI: Zipkin's server (``deploy/local/zipkin.sh``), where ``make run`` and the
end-to-end tests send every service's spans, and how to find a referral's journey in it.

A journey is one trace (the outbox keeps the trace context of the work that caused each event,
so each handler continues it): Zipkin's API finds it by the ``send.referral_id`` tag, and the
UI opens it at ``/zipkin/traces/<trace id>``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

import httpx

ZIPKIN_URL = os.environ.get(
    "SEND_ZIPKIN_URL", f"http://127.0.0.1:{os.environ.get('SEND_ZIPKIN_PORT', '9411')}"
)
"""Where the local Zipkin answers (``SEND_ZIPKIN_URL``, or ``SEND_ZIPKIN_PORT`` on this host)."""

Span = dict[str, Any]


def service_env(zipkin_url: str = ZIPKIN_URL) -> dict[str, str]:
    """What a service needs to export to the local Zipkin (the SDK's own variables): spans
    leave every half second, so a trace is in the UI by the time a person looks."""
    return {
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": f"{zipkin_url}/api/v2/spans",
        "OTEL_BSP_SCHEDULE_DELAY": "500",
    }


def trace_address(trace_id: str, zipkin_url: str = ZIPKIN_URL) -> str:
    """The trace's page in Zipkin's UI."""
    return f"{zipkin_url}/zipkin/traces/{trace_id}"


def referral_traces(referral_id: str, zipkin_url: str = ZIPKIN_URL) -> list[list[Span]]:
    """Every trace holding a span tagged with the referral's id, each with all its spans."""
    response = httpx.get(
        f"{zipkin_url}/api/v2/traces",
        params={"annotationQuery": f"send.referral_id={referral_id}", "limit": 100},
        timeout=10,
    )
    response.raise_for_status()
    traces: list[list[Span]] = response.json()
    return traces


def services_of(spans: Iterable[Span]) -> set[str]:
    return {span.get("localEndpoint", {}).get("serviceName", "") for span in spans}


def journey_trace(
    referral_id: str,
    services: set[str],
    *,
    last_step: str = "notification-sent.v1",
    timeout_s: float = 30,
    zipkin_url: str = ZIPKIN_URL,
) -> list[list[Span]]:
    """The referral's traces once one of them holds spans from every one of ``services`` and
    referrals' handling of ``last_step`` (spans arrive in batches, each service's apart)."""
    deadline = time.monotonic() + timeout_s
    while True:
        traces = referral_traces(referral_id, zipkin_url)
        for spans in traces:
            last = any(
                span.get("localEndpoint", {}).get("serviceName") == "referrals"
                and str(span.get("tags", {}).get("send.event_type", "")).endswith(last_step)
                for span in spans
            )
            if services <= services_of(spans) and last:
                return traces
        if time.monotonic() > deadline:
            found = [sorted(services_of(spans)) for spans in traces]
            raise TimeoutError(f"no complete journey in Zipkin for {referral_id}: {found}")
        time.sleep(0.25)
