"""A service's registry and the loop that measures what cannot be counted."""

from __future__ import annotations

import asyncio
import logging
import platform

import pytest
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from shared.metrics import measure_periodically, service_registry


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
