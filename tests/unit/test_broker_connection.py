"""A service started while Kafka is down keeps trying, and leaves nothing unclosed behind."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.broker import BrokerConnection, create_broker
from shared.settings import KafkaSettings

NOWHERE = "127.0.0.1:1"  # nothing listens on port 1


async def test_retrying_while_kafka_is_down_leaves_no_client_unclosed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=NOWHERE),
        client_id="unreachable",
        tracer_provider=TracerProvider(),
        registry=CollectorRegistry(),
    )
    connection = BrokerConnection(broker, name="unreachable", bootstrap_servers=NOWHERE)
    with caplog.at_level(logging.WARNING):
        connection.start()

        async def tried_twice() -> bool:
            return sum("not reachable" in r.message for r in caplog.records) >= 2

        deadline = asyncio.get_running_loop().time() + 20
        while not await tried_twice():
            assert asyncio.get_running_loop().time() < deadline, "no retries seen"
            await asyncio.sleep(0.05)
        assert await connection.check() == "connecting"
        await connection.stop()
        gc.collect()
        await asyncio.sleep(0)
    assert not [r for r in caplog.records if "Unclosed" in r.getMessage()]
