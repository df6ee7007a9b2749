"""The platform's topics, derived from the event models, and a command that creates them.

    python -m shared.topics   # idempotent: creates the missing ones

Every topic a service consumes also gets ``<topic>.dlq`` for messages that could not be
processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.events import ALL_EVENTS
from shared.settings import KafkaSettings

logger = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}{DLQ_SUFFIX}"


def platform_topics() -> list[str]:
    """Every event topic and its dead-letter topic."""
    topics = [event.topic() for event in ALL_EVENTS]
    return topics + [dead_letter_topic(t) for t in topics]


async def ensure_topics(settings: KafkaSettings, topics: list[str] | None = None) -> list[str]:
    """Create the topics that do not exist yet; returns the names it created."""
    wanted = topics if topics is not None else platform_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            new = [
                NewTopic(
                    name=t,
                    num_partitions=settings.kafka_topic_partitions,
                    replication_factor=settings.kafka_replication_factor,
                )
                for t in missing
            ]
            # Another process may create them first: the end state is what we want.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return missing
    finally:
        await admin.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    created = asyncio.run(ensure_topics(KafkaSettings()))
    print(f"topics: {len(platform_topics())} wanted, {len(created)} created")


if __name__ == "__main__":
    main()
