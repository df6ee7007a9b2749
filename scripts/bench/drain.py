"""The drain: N referrals already waiting on the intake topic when the services start; timed
until every one reached the family alert.

The intake topic carries ``shared.events.ReferralRequested`` (owner ``intake``): each event's
data holds a ``POST /v1/referrals`` body, in a CloudEvents envelope like the platform's own.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaProducer

import shared.events
from scripts.bench import journeys, messaging, profile
from scripts.bench.cpu import cpu_seconds
from scripts.bench.phases import PhaseResult, Sampler, reading_before, settle
from scripts.bench.samples import LEEDS, referral_request
from scripts.bench.stack import BenchPlatform
from scripts.bench.traffic import OffsetReader, traffic
from shared.events import CLOUDEVENTS_CONTENT_TYPE, wrap
from shared.settings import KafkaSettings

HEADERS = [("content-type", CLOUDEVENTS_CONTENT_TYPE.encode())]
PROGRESS_EVERY_S = 10
STALL_S = 120
"""The drain gives up when no referral reached the family alert for this long."""


class DrainUnavailable(RuntimeError):
    """The platform has no intake topic yet."""


def referral_requested() -> Any:
    """The intake event class, looked up when the drain runs: the drain needs it, the rest of
    the bench does not."""
    event_class = getattr(shared.events, "ReferralRequested", None)
    if event_class is None:
        raise DrainUnavailable(
            "the drain needs the intake topic: shared.events.ReferralRequested (owner "
            "'intake', topic intake.referral-requested.v1) is not in this checkout yet. "
            "Run without the drain (--drain 0) until it is."
        )
    return event_class


async def load_intake(kafka: KafkaSettings, first: int, count: int) -> float:
    """Put ``count`` referral requests on the intake topic; returns the seconds it took."""
    event_class = referral_requested()
    topic = f"{kafka.namespace}{event_class.topic()}"
    today = date.today()
    started = time.perf_counter()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.kafka_bootstrap_servers, linger_ms=50, max_batch_size=524288
    )
    await producer.start()
    try:
        for i in range(first, first + count):
            referral_id = uuid4()
            event = event_class(referral_id=referral_id, request=referral_request(i, today))
            envelope = wrap(event, source="/bench", local_authority=LEEDS)
            await producer.send(  # enqueued, not awaited one by one: flushed in batches
                topic,
                envelope.model_dump_json().encode(),
                key=str(referral_id).encode(),
                headers=HEADERS,
            )
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def drain_phase(
    bench: BenchPlatform,
    reader: OffsetReader,
    conn: asyncpg.Connection,
    count: int,
    timeout_s: float,
    profile_dir: Path | None = None,
) -> PhaseResult:
    """Stop the services, load ``count`` referrals onto the intake topic, start the services
    and wait until all reached the family alert (or ``timeout_s`` passed)."""
    referral_requested()  # before stopping anything
    bench.platform.stop()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    loaded_s = await load_intake(bench.kafka, bench.take(count), count)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    bench_cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    print(
        f"  {count} referrals waiting on the intake topic (loaded in {loaded_s:.1f} s, "
        f"{bench_cpu:.1f} s of the bench's CPU); starting the services"
    )
    since = await journeys.now(conn)
    offsets_before = await reader.read()
    readings = [bench.meter(bench=os.getpid()).read()]
    spawned, spawned_at = time.monotonic(), time.time()
    with Sampler(lambda: bench.meter(bench=os.getpid()).read()) as sampler:
        bench.platform.start()  # blocks; the sampler reads the CPU meanwhile
    readings += sampler.readings
    profiler = profile.start(profile_dir, f"drain {count}", bench.service_pids())
    done, last_said, progressed = 0, time.monotonic(), time.monotonic()
    while done < count and time.monotonic() - spawned < timeout_s:
        if time.monotonic() - progressed > STALL_S:
            print(f"  no family alert for {STALL_S} s: giving up", flush=True)
            break
        await asyncio.sleep(1)
        now_done = await journeys.notified(conn, since)
        if now_done > done:
            done, progressed = now_done, time.monotonic()
        readings.append(bench.meter(bench=os.getpid()).read())
        if time.monotonic() - last_said >= PROGRESS_EVERY_S:
            elapsed = time.monotonic() - spawned
            print(f"  {done}/{count} at the family alert after {elapsed:.0f} s")
            last_said = time.monotonic()
    await messaging.wait_for_deliveries(bench.notify, conn, since, done)
    profile.finish(profiler)
    offsets_after = await settle(reader)
    after = bench.meter(bench=os.getpid()).read()
    until = await journeys.now(conn)
    span = await journeys.span(conn, since)
    # The CPU window opens at the first referral stored: the services' start-up is not a
    # referral's cost (it is the same for ten referrals or a million).
    start = readings[0] if span is None else reading_before(readings, span[0].timestamp())
    processing_s = None if span is None else (span[1] - span[0]).total_seconds()
    steps = await journeys.step_latencies(conn, since, until)
    alert = steps.get(journeys.JOURNEY_END)
    return PhaseResult(
        name=f"drain {count}",
        referrals=count,
        completed=done,
        rate=done / processing_s if processing_s else None,
        seconds=None if span is None else span[1].timestamp() - spawned_at,
        post_ms=None,
        alert_ms=None if alert is None else (alert.p50, alert.p99),
        steps=steps,
        backlog=count - done,
        kept_up=None,
        failures=0,
        cpu_s=cpu_seconds(start, after),
        cpu_window_s=after.at - start.at,
        rss=bench.rss(),
        traffic=traffic(offsets_before, offsets_after),
    )
