"""An outbox relay in a process of its own, for the kill -9 test.

python -m tests.integration.relay_process DATABASE_URL BOOTSTRAP_SERVERS BATCH_SIZE
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.broker import create_broker
from shared.outbox import OutboxMessage, OutboxRelay
from shared.settings import KafkaSettings


async def main(database_url: str, bootstrap: str, batch_size: int) -> None:
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=bootstrap),
        client_id="relay-process",
        tracer_provider=TracerProvider(),
        registry=CollectorRegistry(),
    )
    await broker.start()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)

    async def publish(message: OutboxMessage) -> None:
        await broker.publish(message.envelope, topic=message.topic, key=message.key.encode())

    relay = OutboxRelay(
        database_url=database_url,
        pool=pool,
        publish=publish,
        registry=CollectorRegistry(),
        batch_size=batch_size,
    )
    await relay.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
