"""A service's registry and the loop that measures what cannot be counted."""

from __future__ import annotations

import asyncio
import logging
import platform

import pytest
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from shared.metrics import measure_periodically, service_registry
from shared.state import service_state


def test_registry_has_the_process_and_python_runtime_collectors() -> None:
    registry = service_registry()
    assert (registry.get_sample_value("send_process_resident_memory_bytes") or 0) > 0
    assert registry.get_sample_value("send_process_cpu_seconds_total") is not None
    assert registry.get_sample_value("python_info", _python_info_labels()) == 1
    assert registry.get_sample_value("python_gc_collections_total", {"generation": "0"}) is not None


def _python_info_labels() -> dict[str, str]:
    major, minor, patch = platform.python_version_tuple()
    return {
        "implementation": platform.python_implementation(),
        "major": major,
        "minor": minor,
        "patchlevel": patch,
        "version": platform.python_version(),
    }


async def test_measurements_repeat_untraced_and_a_failing_one_stops_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0
    traced: list[bool] = []
    done = asyncio.Event()

    async def counts() -> None:
        nonlocal runs
        runs += 1
        traced.append(is_instrumentation_enabled())
        if runs == 3:
            done.set()

    async def breaks() -> None:
        raise RuntimeError("a bug")

    task = asyncio.create_task(measure_periodically(0.01, breaks, counts))
    try:
        await asyncio.wait_for(done.wait(), 5)
    finally:
        task.cancel()
    assert traced == [False, False, False]
    failures = [r for r in caplog.records if r.getMessage().startswith("measurement")]
    assert len(failures) >= 3
    assert "breaks" in failures[0].getMessage()
    assert failures[0].exc_info is not None
    assert failures[0].levelno == logging.ERROR


def test_referrals_shows_each_councils_deadline_counters_at_zero_before_any_warning() -> None:
    """The alerts take increase() of these counters: a series first seen at 1 (its first
    warning) would show no increase, and the first deadline a council missed would not
    alert. So referrals makes every council's series exist at 0 from the start."""
    from referrals.app import create_app
    from referrals.config import ReferralsSettings
    from referrals.deadlines import deadline_kinds

    from tests.logging_state import restored_logging

    councils = ["E06000014", "E09000033"]  # York, Westminster: no other test warns for them
    with restored_logging():
        app = create_app(ReferralsSettings(COUNCILS=",".join(councils)))
    registry = service_state(app).operations.registry
    assert {"decision", "final_plan", "advice:educational_psychology"} <= set(deadline_kinds())
    for name in ("send_statutory_deadlines_missed_total", "send_statutory_deadlines_at_risk_total"):
        for council in councils:
            for kind in deadline_kinds():
                labels = {"local_authority": council, "deadline": kind}
                assert registry.get_sample_value(name, labels) == 0, (name, labels)


async def test_metrics_in_openmetrics_carry_the_event_age_exemplars_when_asked_for() -> None:
    """Prometheus asks for OpenMetrics, the one format with exemplars: each event-age bucket
    then names a trace that a dashboard point links to. Without the Accept, the text format."""
    import httpx
    from fastapi import FastAPI
    from prometheus_client import Histogram

    from shared import operations
    from shared.state import AppState, install

    registry = service_registry()
    age = Histogram("send_event_age_seconds", "age", ["topic"], registry=registry)
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    age.labels("plans.plan-drafted.v1").observe(0.2, {"trace_id": trace_id})
    app = FastAPI()
    install(
        app, AppState(operations.Operations(checks={}, registry=registry, asyncapi=dict), False)
    )
    app.include_router(operations.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        scraped = await client.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        plain = await client.get("/metrics")
    assert scraped.headers["content-type"].startswith("application/openmetrics-text")
    assert f'# {{trace_id="{trace_id}"}} 0.2' in scraped.text
    assert plain.headers["content-type"].startswith("text/plain")
    assert trace_id not in plain.text
