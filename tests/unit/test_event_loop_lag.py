"""``send_event_loop_lag_seconds``: a process whose event loop is held (a long computation, a
blocking call, a pod short of CPU) shows it, as how late a sleeping task was woken."""

from __future__ import annotations

import asyncio
import contextlib
import time

from prometheus_client import CollectorRegistry

from shared.metrics import LAG_EVERY_S, EventLoopLag

HELD_S = LAG_EVERY_S + 0.4


def _observed(registry: CollectorRegistry, le: str) -> float:
    value = registry.get_sample_value("send_event_loop_lag_seconds_bucket", {"le": le})
    assert value is not None
    return value


async def _observations_past(registry: CollectorRegistry, count: float) -> None:
    while _observed(registry, "+Inf") <= count:  # noqa: ASYNC110  # the task under test wakes us
        await asyncio.sleep(0.01)


async def test_a_loop_held_for_a_while_shows_as_that_much_lag() -> None:
    registry = CollectorRegistry()
    lag = EventLoopLag(registry=registry)
    measuring = asyncio.create_task(lag.run())
    try:
        await _observations_past(registry, 1)
        late_before = _observed(registry, "+Inf") - _observed(registry, "0.25")
        time.sleep(HELD_S)  # noqa: ASYNC251  # the point: the loop held, nothing else runs
        await _observations_past(registry, _observed(registry, "+Inf"))
    finally:
        measuring.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await measuring
    # The wake-up due while the loop was held came at least 0.4 s late (held for longer
    # than it was asleep for, by 0.4 s).
    assert _observed(registry, "+Inf") - _observed(registry, "0.25") == late_before + 1
