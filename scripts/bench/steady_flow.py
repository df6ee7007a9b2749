"""The CPU of a steady flow of events through one subscription and its outbox relay, with the
gathering windows (``CONSUMER_GATHER_MS``, ``OUTBOX_GATHER_MS``) or without: ``--rate`` events
a second for ``--seconds``, published by a process of its own, consumed by this one on real
Kafka and PostgreSQL (the bench's durable server) as a service wires it (``create_broker``,
``EventConsumption``, a handler returning one event, the outbox, the relay publishing it back
to Kafka). Prints this process's CPU an event (``time.process_time``: a shared machine's
other load moves it far less than wall time), the events a consumed batch held, and the
relay's rounds.

    python -m scripts.bench.steady_flow --gather-ms 0 --outbox-gather-ms 0
    python -m scripts.bench.steady_flow --gather-ms 50 --outbox-gather-ms 20

At 50 events a second a subscription that keeps up takes them one or two a batch, each batch
paying its transaction, inbox statement, commit, offset commit and relay round; the windows
make it a few a batch. Run the variants in turn, a few times each, on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from datetime import date
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaRouter
from prometheus_client import CollectorRegistry

from scripts.bench.consumed_batch import LEEDS, SOURCE, links_revoked
from scripts.bench.server import bench_postgres_url
from scripts.bench.stack import drop_databases
from scripts.platform import fresh_database, migrations_of, service_url
from shared.broker import create_broker
from shared.consumption import EventConsumption
from shared.db import Database
from shared.events import FamilyLinksRevoked, ReferralClosed, wrap
from shared.outbox import Outbox, OutboxRelay
from shared.publishing import Publishers
from shared.settings import KafkaSettings
from shared.subscriptions import Subscription
from shared.telemetry import setup_tracing
from shared.topics import delete_namespace, ensure_topics
from shared.unit_of_work import Work


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.steady_flow", description=__doc__
    )
    parser.add_argument("--rate", type=float, default=50, help="events a second")
    parser.add_argument("--seconds", type=float, default=30, help="of sending")
    parser.add_argument("--gather-ms", type=float, default=0, help="CONSUMER_GATHER_MS")
    parser.add_argument("--outbox-gather-ms", type=float, default=0, help="OUTBOX_GATHER_MS")
    parser.add_argument("--produce", metavar="TOPIC", help=argparse.SUPPRESS)  # the sender
    return parser.parse_args(argv)


async def produce(topic: str, rate: float, seconds: float) -> None:
    """Publish ``rate`` events a second to ``topic`` for ``seconds``, on schedule."""
    producer = AIOKafkaProducer(bootstrap_servers=KafkaSettings().kafka_bootstrap_servers)
    await producer.start()
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
            closed = ReferralClosed(
                referral_id=uuid4(),
                local_authority=LEEDS,
                reason="support_completed",
                closed_on=date(2026, 12, 7),
            )
            envelope = wrap(closed, source=SOURCE, local_authority=LEEDS)
            await producer.send(
                topic, envelope.model_dump_json().encode(), key=envelope.subject.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _all_published(pool: Any, events: int) -> None:
    """Until the relay has published the events the handler caused for ``events``."""
    while True:
        if (
            await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
            >= events
        ):
            return
        await asyncio.sleep(0.5)  # polled: the database is what knows


def _sample(registry: CollectorRegistry, name: str) -> float:
    return sum(s.value for m in registry.collect() for s in m.samples if s.name == name)


async def measure(args: argparse.Namespace, owner_url: str, kafka: KafkaSettings) -> None:
    registry = CollectorRegistry()
    database = Database(service_url(owner_url), max_size=4)
    outbox = Outbox(source=SOURCE, declared=[FamilyLinksRevoked])
    consumption = EventConsumption(
        service="bench",
        namespace=kafka.namespace,
        work=Work(database.pool, outbox),
        registry=registry,
        gather_s=args.gather_ms / 1000,
    )
    broker = create_broker(
        kafka,
        client_id="bench",
        tracer_provider=setup_tracing("bench"),
        registry=registry,
        middlewares=[consumption],
    )
    router = KafkaRouter(prefix=kafka.namespace)
    consumption.subscribe(router, Subscription(ReferralClosed, links_revoked))
    connected = asyncio.Event()
    publishers = Publishers(router, [FamilyLinksRevoked], service="bench", connected=connected)
    broker.include_router(router)
    await database.open()
    relay = OutboxRelay(
        database_url=service_url(owner_url),
        pool=database.pool(),
        publish=publishers.publish,
        registry=registry,
        gather_s=args.outbox_gather_ms / 1000,
    )
    pool = database.pool()
    events = int(args.rate * args.seconds)
    await broker.start()
    connected.set()
    relaying = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(8)  # the group joined (auto_offset_reset: earliest loses nothing)
        cpu, wall = time.process_time(), time.monotonic()
        sender = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "scripts.bench.steady_flow", "--produce",
            kafka.namespace + ReferralClosed.topic(), "--rate", str(args.rate),
            "--seconds", str(args.seconds),
        )  # fmt: skip
        await _all_published(pool, events)
        used = time.process_time() - cpu
        await sender.wait()
        rounds = await pool.fetchval("SELECT count(DISTINCT published_at) FROM outbox")
    finally:
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)
        await broker.stop()
        await database.close()
    # FastStream's Prometheus middleware observes its duration once a consumed batch.
    batches = _sample(
        registry, "send_faststream_received_processed_messages_duration_seconds_count"
    )
    print(
        f"gather {args.gather_ms:g} ms, outbox gather {args.outbox_gather_ms:g} ms: "
        f"{events} events at {args.rate:g}/s in {time.monotonic() - wall:.1f} s; "
        f"{1000 * used / events:.3f} ms CPU an event; {events / batches:.2f} events a "
        f"consumed batch; {events / rounds:.2f} rows a relay round",
        flush=True,
    )


async def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.produce:
        await produce(args.produce, args.rate, args.seconds)
        return
    logging.basicConfig(level=logging.WARNING)
    postgres_url = bench_postgres_url()
    run = uuid4().hex[:6]
    name = f"bench_steady_flow_{run}"
    kafka = KafkaSettings(namespace=f"bench-flow-{run}.")
    await ensure_topics(kafka, [ReferralClosed.topic(), FamilyLinksRevoked.topic()])
    owner_url = await fresh_database(postgres_url, name, "referrals", migrations_of("referrals"))
    try:
        await measure(args, owner_url, kafka)
    finally:
        await drop_databases(postgres_url, [name])
        await delete_namespace(kafka)


if __name__ == "__main__":
    asyncio.run(main())
