"""Puts dead-lettered messages back on the topic they came from, once their cause is fixed.

    python -m shared.dlq replay plans.plan-drafted.v1.dlq    # in SEND_NAMESPACE

Reads the dead-letter topic from where the last replay stopped (its own consumer group), sends
each message to its original topic with its original key, body and trace context, and
commits after each send, so a replay stopped half-way resumes without repeats. A replayed
event that was already processed is dropped by the consumer's inbox.

Like the services, a replay works in the run's namespace (``SEND_NAMESPACE``): the topic is
named as the code names it, and both it and the replay's consumer group get the namespace's
prefix, so a replay never reads another run's dead letters. A name that already starts with
the namespace (as ``send_dead_lettered_total``'s ``topic`` label gives it) is taken as is.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from aiokafka import AIOKafkaConsumer
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.broker import create_broker
from shared.settings import KafkaSettings
from shared.telemetry import continued_trace
from shared.topics import DLQ_SUFFIX

logger = logging.getLogger(__name__)

REPLAYED_FROM = "dlq-replayed-from"
REPLAY_GROUP_PREFIX = "dlq-replay."
"""The replay's consumer group is the namespace, this, and the dead-letter topic's name without
the namespace (the Helm chart's operators' KafkaUser may read groups with the namespace and
this as prefix)."""


def replay_names(settings: KafkaSettings, dlq_topic: str) -> tuple[str, str]:
    """The namespaced dead-letter topic and the replay's consumer group for ``dlq_topic``
    (named without the namespace, or with it)."""
    if not dlq_topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"{dlq_topic!r} is not a dead-letter topic (they end in {DLQ_SUFFIX})")
    namespace = settings.namespace
    bare = dlq_topic.removeprefix(namespace) if namespace else dlq_topic
    return f"{namespace}{bare}", f"{namespace}{REPLAY_GROUP_PREFIX}{bare}"


async def replay(settings: KafkaSettings, dlq_topic: str, *, idle_timeout_s: float = 3.0) -> int:
    """Replay every message on ``dlq_topic`` (in ``settings.namespace``) not replayed before;
    returns how many."""
    dlq_topic, group = replay_names(settings, dlq_topic)
    broker = create_broker(
        settings,
        client_id="dlq-replay",
        tracer_provider=TracerProvider(),
        registry=CollectorRegistry(),
    )
    consumer = AIOKafkaConsumer(
        dlq_topic,
        **settings.kafka_client_options(),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await broker.start()
    await consumer.start()
    replayed = 0
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle_timeout_s * 1000))
            if not batch:
                return replayed  # caught up
            for records in batch.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    original = headers.get("dlq-original-topic", dlq_topic[: -len(DLQ_SUFFIX)])
                    kept = {k: v for k, v in headers.items() if not k.startswith("dlq-")}
                    kept[REPLAYED_FROM] = f"{dlq_topic}:{record.partition}:{record.offset}"
                    with continued_trace(kept):
                        await broker.publish(
                            record.value, topic=original, key=record.key, headers=kept
                        )
                    await consumer.commit()
                    replayed += 1
    finally:
        await consumer.stop()
        await broker.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Replay dead-lettered messages.")
    sub = parser.add_subparsers(dest="command", required=True)
    replay_cmd = sub.add_parser("replay", help="send a dead-letter topic's messages back")
    replay_cmd.add_argument("topic", help="the dead-letter topic, e.g. plans.plan-drafted.v1.dlq")
    replay_cmd.add_argument(
        "--namespace",
        default=None,
        help="the run's namespace, e.g. 'staging.' (default: SEND_NAMESPACE, else none)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = KafkaSettings()
    if args.namespace is not None:
        settings = KafkaSettings(SEND_NAMESPACE=args.namespace)
    topic, _ = replay_names(settings, args.topic)
    count = asyncio.run(replay(settings, topic))
    print(f"replayed {count} message(s) from {topic}")


if __name__ == "__main__":
    main()
