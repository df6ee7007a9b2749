"""What the platform's Kafka clients cost with nothing to do: idle consumer groups, and the
intake overload gate's backlog reader (issue #25).

Each subscription of a service is a consumer group of its own (``shared.consumption``): about
70 across the four services, most of them idle even under the bench's load (annual reviews,
ceasing, phase transfers...). Each idle group still fetches (a long poll of
``fetch_max_wait_ms``, 500 ms), heartbeats and wakes its subscriber once a second. This runs N
such groups in this process (each on its own 6-partition topic, ``getmany`` with a 1 s wait as
``gathering`` does, aiokafka's defaults as the subscribers have them) and prints this
process's CPU and the local broker's, as a share of one core, over ``--seconds``:

    python -m scripts.bench.fixed_costs --consumers 0,8,70 --seconds 30

``--backlog-groups G``: G groups of the services' names with committed offsets, read by
``referrals.overload.PipelineBacklog`` as fast as it can (interval 0); prints its CPU and the
broker's a reading (the gate reads once a second).

Run on a quiet machine: the broker is shared with anything else using it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Callable
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from referrals.overload import PipelineBacklog

from scripts.bench.processes import CLOCK_TICKS_PER_S, find_kafka_broker, read_stat
from shared.services import SERVICES
from shared.settings import KafkaSettings
from shared.topics import delete_namespace

PARTITIONS: int = KafkaSettings.model_fields["kafka_topic_partitions"].default
"""Each topic's partitions: the platform's default (``KAFKA_TOPIC_PARTITIONS``)."""


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.fixed_costs", description=__doc__
    )
    parser.add_argument(
        "--consumers", default="0,8,70", help="numbers of idle consumer groups, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=30, help="of measuring each")
    parser.add_argument(
        "--backlog-groups", type=int, default=70, help="groups the backlog reader reads (0: skip)"
    )
    return parser.parse_args(argv)


def broker_cpu_s() -> Callable[[], float]:
    """A reader of the local broker's CPU seconds so far (0 when it is not on this machine)."""
    pid = find_kafka_broker()

    def read() -> float:
        stat = read_stat(pid) if pid is not None else None
        return stat.cpu_ticks / CLOCK_TICKS_PER_S if stat is not None else 0.0

    return read


async def idle_consumers(
    bootstrap: str, namespace: str, count: int, seconds: float, *, settle_s: float = 15
) -> str:
    """``count`` idle groups, settled for ``settle_s``, measured for ``seconds``: a line of
    the table."""
    topics = [f"{namespace}idle-{n}" for n in range(count)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    consumers: list[AIOKafkaConsumer] = []
    try:
        if topics:
            new = [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics]
            await admin.create_topics(new)
        for n, topic in enumerate(topics):
            consumer = AIOKafkaConsumer(
                topic,
                group_id=f"{namespace}idle-{n}",
                bootstrap_servers=bootstrap,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            await consumer.start()
            consumers.append(consumer)

        async def waiting(consumer: AIOKafkaConsumer) -> None:
            while True:
                await consumer.getmany(timeout_ms=1000, max_records=200)

        tasks = [asyncio.create_task(waiting(c)) for c in consumers]
        await asyncio.sleep(settle_s)  # every group joined and its first fetches answered
        broker = broker_cpu_s()
        own0, broker0, wall0 = time.process_time(), broker(), time.monotonic()
        await asyncio.sleep(seconds)
        own1, broker1, wall1 = time.process_time(), broker(), time.monotonic()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        wall = wall1 - wall0
        own, on_broker = 100 * (own1 - own0) / wall, 100 * (broker1 - broker0) / wall
        return f"  {count:>9}  {own:>12.1f}  {on_broker:>6.1f}"
    finally:
        for consumer in consumers:
            await consumer.stop()
        await admin.close()


async def backlog_reader(bootstrap: str, namespace: str, groups: int, seconds: float) -> str:
    """The overload gate's reader over ``groups`` groups of the services' names: a line."""
    topic = f"{namespace}plans.plan-drafted.v1"
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for n in range(10 * PARTITIONS):
                await producer.send_and_wait(topic, b"event", partition=n % PARTITIONS)
        finally:
            await producer.stop()
        services = sorted(SERVICES)
        for n in range(groups):
            group = f"{namespace}{services[n % len(services)]}.group-{n}"
            committer = AIOKafkaConsumer(
                group_id=group, bootstrap_servers=bootstrap, enable_auto_commit=False
            )
            await committer.start()
            try:
                committer.assign(partitions)
                await committer.commit(dict.fromkeys(partitions, 5))
            finally:
                await committer.stop()
    finally:
        await admin.close()
    reader = PipelineBacklog(
        {"bootstrap_servers": bootstrap}, namespace=namespace, intake_topics=(), interval_s=0
    )
    running = asyncio.create_task(reader.run(None))  # type: ignore[arg-type]  # no state used
    try:
        await reader.read_again.wait()  # its clients started, the brokers read
        broker = broker_cpu_s()
        readings, own0, broker0 = 0, time.process_time(), broker()
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            await reader.read_again.wait()
            readings += 1
        own, broker_s = time.process_time() - own0, broker() - broker0
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    return (
        f"Backlog reader over {groups} groups (lag {reader.events} events): {readings} readings "
        f"in {seconds:.0f} s; {1000 * own / max(readings, 1):.2f} ms of its CPU a reading, "
        f"{1000 * broker_s / max(readings, 1):.2f} ms of the broker's"
    )


async def main(args: argparse.Namespace) -> None:
    # A new topic's first fetches find no leader yet: aiokafka's warnings, not this bench's.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    settings = KafkaSettings(SEND_NAMESPACE=f"fixed-costs-{uuid4().hex[:8]}.")
    bootstrap, namespace = settings.kafka_bootstrap_servers, settings.namespace
    try:
        print("Idle consumer groups: CPU as a share of one core")
        print("  consumers  this process  broker")
        for count in (int(n) for n in args.consumers.split(",") if n.strip()):
            print(await idle_consumers(bootstrap, namespace, count, args.seconds), flush=True)
        if args.backlog_groups:
            print(await backlog_reader(bootstrap, namespace, args.backlog_groups, args.seconds))
    finally:
        await delete_namespace(settings)


if __name__ == "__main__":
    asyncio.run(main(parse()))
