"""A service stopping while its backlog reader connects leaves no Kafka connection open.

CI failed on this: the referrals app, started and stopped within a test, cancelled the overload
gate's reader while aiokafka was still bootstrapping; aiokafka left its first connection open,
and the garbage collector reported it (an unclosed ``AIOKafkaConnection`` and ``StreamWriter``)
in whichever test ran next."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from referrals.overload import PipelineBacklog

from tests.conftest import Infrastructure


@pytest.fixture
def unraisable() -> Iterator[list[str]]:
    """What ``__del__`` methods raised (ResourceWarnings are errors in this suite)."""
    seen: list[str] = []
    before = sys.unraisablehook

    def hook(u: Any) -> None:
        seen.append(repr(u.exc_value))

    sys.unraisablehook = hook
    try:
        yield seen
    finally:
        sys.unraisablehook = before


async def test_a_reader_cancelled_at_any_point_of_its_start_closes_its_connections(
    infrastructure: Infrastructure, unraisable: list[str]
) -> None:
    options: dict[str, object] = {"bootstrap_servers": infrastructure.kafka_bootstrap_servers}
    # Cancelled at 30 points through its start (an admin client, then a consumer): some fall
    # while aiokafka asks its bootstrap connection for metadata.
    for step in range(30):
        reader = PipelineBacklog(options, namespace="leak-check.", intake_topics=(), interval_s=60)
        running = asyncio.create_task(reader.run(None))  # type: ignore[arg-type]
        await asyncio.sleep(step * 0.0005)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        del reader, running
    gc.collect()

    assert unraisable == []
