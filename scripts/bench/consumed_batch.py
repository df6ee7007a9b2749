"""The CPU of consuming events, the framework's part: batches of ``--events`` events (a full
batch, 200, by default) through a service's consumption path in this process, on real
PostgreSQL, then the outbox relay publishing the events they caused. Prints the CPU
milliseconds of this process an event (``time.process_time``), the median of ``--rounds``
rounds, which a shared machine's other load barely moves, unlike wall time.

    python -m scripts.bench.consumed_batch                    # 30 rounds of 200 events
    python -m scripts.bench.consumed_batch --rounds 10 --profile

What runs is what a service wires (``shared.lifecycle``): the broker of ``create_broker``
(FastStream's telemetry and Prometheus middlewares, recording spans as the services do with
no exporter set), ``EventConsumption`` (decoding, the inbox, the referrals' locks),
``shared.batches`` (the council, a span and a unit of work per event), a handler that does
nothing but return one event (``ReferralClosed`` in, ``FamilyLinksRevoked`` out: an outbox
row and an audit row each), the commit; then ``OutboxRelay.publish_pending`` hands those rows
to the producer. Kafka itself is FastStream's test broker: its fetching and the producer's
network are aiokafka's cost, not ours, and would make the figures the machine's. A service's
own handlers cost more (their statements); this is what every event costs whatever its
handler does.

To compare two versions of the code on a shared machine, run each in turn a few times
(``PYTHONPATH=<a copy of the other version>`` runs that one with this script) and compare the
medians. The database is a fresh one on the bench's server (``scripts.bench.server``), dropped
at the end. ``--profile`` prints where the CPU went (cProfile of CPU time, by own time, or
``--sort cumtime``).

(Longer than most modules: a service's consuming parts wired as its lifecycle wires them, and
the timing around them, read together.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import io
import logging
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from unittest import mock
from uuid import uuid4

from faststream.kafka import KafkaRouter, TestKafkaBroker
from faststream.kafka.testing import FakeProducer
from opentelemetry.instrumentation.utils import suppress_instrumentation

from scripts.bench.server import bench_postgres_url
from scripts.bench.stack import drop_databases
from scripts.platform import fresh_database, migrations_of, service_url
from shared.broker import create_broker
from shared.consumption import EventConsumption
from shared.db import Database
from shared.events import Envelope, FamilyLinksRevoked, ReferralClosed, wrap
from shared.metrics import service_registry
from shared.outbox import Outbox, OutboxRelay
from shared.publishing import Publishers
from shared.settings import KafkaSettings
from shared.subscriptions import Events, Subscription, Uow
from shared.telemetry import setup_tracing
from shared.unit_of_work import Work

LEEDS = "E08000035"
SOURCE = "/send-platform/referrals"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.consumed_batch", description=__doc__
    )
    parser.add_argument("--events", type=int, default=200, metavar="N", help="a batch's events")
    parser.add_argument("--rounds", type=int, default=30, metavar="N", help="timed batches")
    parser.add_argument("--warm-up", type=int, default=3, metavar="N", help="untimed, first")
    parser.add_argument("--profile", action="store_true", help="where the CPU went (cProfile)")
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime, cumtime")
    parser.add_argument("--top", type=int, default=40, metavar="N", help="the profile's lines")
    return parser.parse_args(argv)


async def links_revoked(message: Envelope[ReferralClosed], uow: Uow) -> Events:
    """The handler: one event out for each in (its outbox row and its audit row)."""
    closed = message.data
    return [
        FamilyLinksRevoked(
            referral_id=closed.referral_id,
            local_authority=closed.local_authority,
            revoked_at=datetime(2026, 12, 7, 12, tzinfo=UTC),
            generation=1,
        )
    ]


async def _dropped(self: FakeProducer, cmd: object) -> None:
    """The producer's part of a publish (aiokafka's: the record into its batch)."""


def batch_of(events: int) -> list[bytes]:
    """``events`` new events, as the relay publishes them (each in its envelope, as JSON)."""
    return [
        wrap(
            ReferralClosed(
                referral_id=uuid4(),
                local_authority=LEEDS,
                reason="support_completed",
                closed_on=date(2026, 12, 7),
            ),
            source=SOURCE,
            local_authority=LEEDS,
            trace={"traceparent": f"00-{uuid4().hex}-{uuid4().hex[:16]}-01"},
        )
        .model_dump_json()
        .encode()
        for _ in range(events)
    ]


async def measure(args: argparse.Namespace, owner_url: str) -> None:
    tracer_provider = setup_tracing("bench")  # recording, no exporter: as the bench's services
    registry = service_registry()
    database = Database(service_url(owner_url), max_size=4)
    outbox = Outbox(source=SOURCE, declared=[FamilyLinksRevoked])
    consumption = EventConsumption(
        service="bench", namespace="", work=Work(database.pool, outbox), registry=registry
    )
    broker = create_broker(
        KafkaSettings(),
        client_id="bench",
        tracer_provider=tracer_provider,
        registry=registry,
        middlewares=[consumption],
    )
    router = KafkaRouter()
    consumption.subscribe(router, Subscription(ReferralClosed, links_revoked))
    connected = asyncio.Event()
    connected.set()
    publishers = Publishers(router, [FamilyLinksRevoked], service="bench", connected=connected)
    broker.include_router(router)
    await database.open()
    relay = OutboxRelay(
        database_url=service_url(owner_url),
        pool=database.pool(),
        publish=publishers.publish,
        registry=registry,
        batch_size=args.events,
    )
    relay_context = contextvars.copy_context()  # before anything is consumed
    try:
        # The relay's records go nowhere: the test broker would hand each to a subscriber it
        # makes up for every publisher (a whole consume per record, not a service's cost).
        with mock.patch.object(FakeProducer, "publish", _dropped):
            async with TestKafkaBroker(broker) as test_broker:

                async def relay_pass() -> int:
                    with suppress_instrumentation():  # as the relay runs (OutboxRelay.run)
                        return await relay.publish_pending()

                async def one_batch(bodies: list[bytes]) -> float:
                    """Consume ``bodies``, relay what they caused; the relay's CPU seconds."""
                    await test_broker.publish_batch(*bodies, topic=ReferralClosed.topic())
                    cpu = time.process_time()
                    # In a task of its own, as a service's relay: the consumer's context (its
                    # FastStream baggage, say) is not the relay's.
                    published = await asyncio.create_task(
                        relay_pass(), context=relay_context.copy()
                    )
                    if published != args.events:
                        raise RuntimeError(f"{published} of {args.events} rows published")
                    return time.process_time() - cpu

                for _ in range(args.warm_up):
                    await one_batch(batch_of(args.events))
                profiler = cProfile.Profile(time.process_time) if args.profile else None
                per_event, relayed = await rounds(one_batch, args, profiler)
    finally:
        await database.close()
    print(
        f"consumed batches of {args.events} events, {args.rounds} rounds: "
        f"{statistics.median(per_event):.3f} ms CPU an event (median; "
        f"quartiles {_quartiles(per_event)}), of which the relay's publishing "
        f"{statistics.median(relayed):.3f} ms"
    )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


async def rounds(
    one_batch: Callable[[list[bytes]], Awaitable[float]],
    args: argparse.Namespace,
    profiler: cProfile.Profile | None,
) -> tuple[list[float], list[float]]:
    """The CPU milliseconds an event of each round (the batch's events made outside it), and
    of the relay's part of it."""
    per_event: list[float] = []
    relayed: list[float] = []
    for _ in range(args.rounds):
        bodies = batch_of(args.events)
        if profiler is not None:
            profiler.enable()
        cpu = time.process_time()
        relayed.append(1000 * await one_batch(bodies) / args.events)
        per_event.append(1000 * (time.process_time() - cpu) / args.events)
        if profiler is not None:
            profiler.disable()
    return per_event, relayed


def _quartiles(values: list[float]) -> str:
    q1, _, q3 = statistics.quantiles(values, n=4)
    return f"{q1:.3f}-{q3:.3f}"


async def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING)
    postgres_url = bench_postgres_url()
    name = f"bench_consumed_batch_{uuid4().hex[:6]}"
    owner_url = await fresh_database(postgres_url, name, "referrals", migrations_of("referrals"))
    try:
        await measure(args, owner_url)
    finally:
        await drop_databases(postgres_url, [name])


if __name__ == "__main__":
    asyncio.run(main())
