"""NHS partners' referrals per second: N FHIR bundles (CloudEvents, binary mode) already waiting
on the partners' inbound topic when the services start; timed until N accepted answers are on
the outcome topic.

    python -m scripts.bench.partners --events 2000

Brings its own databases, Kafka namespace, identity provider and services (``stack``), so
`make run` and test runs are undisturbed. Prints partner events/s (from the first answer to the
last, by the answers' Kafka timestamps, so the services' start-up is not counted; and from the
services' spawn) and the CPU the referrals process used over that window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import date
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from referrals.partner_example import example_bundle, partner_record

from scripts.bench.cpu import cpu_seconds
from scripts.bench.phases import Sampler, reading_before
from scripts.bench.samples import FAMILY, GIVEN, nhs_test_number
from scripts.bench.server import bench_postgres_url, describe
from scripts.bench.stack import bench_platform
from shared.events import PartnerReferralAnswered
from shared.settings import KafkaSettings
from shared.topics import PARTNER_INBOUND_TOPIC

PARTNER = "west-yorkshire-slt"
"""The partner the bundles come from (on the shared topic); its answers are on its own topic."""

STALL_S = 120
"""Give up when no answer came for this long."""


def bundles(count: int) -> list[tuple[str, Any]]:
    """``count`` valid partner records (request id, Kafka record): each a child of its own."""
    today = date.today()
    records: list[tuple[str, Any]] = []
    n = 0
    while len(records) < count:
        nhs_number = nhs_test_number(n % 1_000_000)
        i, n = n, n + 1
        if nhs_number is None:
            continue
        bundle = example_bundle(
            nhs_number=nhs_number,
            given=GIVEN[i % len(GIVEN)],
            family=FAMILY[i // len(GIVEN) % len(FAMILY)],
            born=date(today.year - 3 - i % 13, 1 + i % 12, 1 + i % 28),
            email=f"parent{i}@example.org",
        )
        request_id = f"BENCH-SR-{uuid4().hex[:12]}"
        records.append((request_id, partner_record(bundle, partner=PARTNER, request_id=request_id)))
    return records


async def publish(kafka: KafkaSettings, records: list[tuple[str, Any]]) -> float:
    """Put ``records`` on the namespaced inbound topic; returns the seconds it took."""
    started = time.perf_counter()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.kafka_bootstrap_servers, linger_ms=50, max_batch_size=524288
    )
    await producer.start()
    try:
        for request_id, record in records:
            await producer.send(
                f"{kafka.namespace}{PARTNER_INBOUND_TOPIC}",
                record.value,
                key=request_id.encode(),
                headers=list(record.headers.items()),
            )
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


class Answers:
    """Reads the partner's outcome topic from the start, counting each outcome and timing the
    accepted answers by their Kafka timestamps."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.consumer = AIOKafkaConsumer(
            f"{kafka.namespace}{PartnerReferralAnswered.topic_of(PARTNER)}",
            bootstrap_servers=kafka.kafka_bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=f"{kafka.namespace}bench-partners",
            enable_auto_commit=False,
        )
        self.outcomes: dict[str, int] = {}
        self.first_ms: int | None = None
        self.last_ms: int | None = None

    async def poll(self) -> int:
        """Reads what arrived; returns how many answers came."""
        came = 0
        for records in (await self.consumer.getmany(timeout_ms=500)).values():
            for record in records:
                outcome = json.loads(record.value)["data"]["outcome"]
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
                if outcome == "accepted":
                    came += 1
                    self.first_ms = min(self.first_ms or record.timestamp, record.timestamp)
                    self.last_ms = max(self.last_ms or 0, record.timestamp)
        return came

    @property
    def accepted(self) -> int:
        return self.outcomes.get("accepted", 0)


async def run(count: int, timeout_s: float) -> None:
    kafka_servers = KafkaSettings().kafka_bootstrap_servers
    postgres_url = bench_postgres_url()
    print(await describe(postgres_url), flush=True)
    async with bench_platform(postgres_url, kafka_servers, {}) as bench:
        print(f"Platform: run {bench.run_id}, logs in {bench.log_dir}", flush=True)
        records = bundles(count)
        loaded_s = await publish(bench.kafka, records)
        print(f"  {count} partner bundles waiting (loaded in {loaded_s:.1f} s); starting services")
        answers = Answers(bench.kafka)
        await answers.consumer.start()
        try:
            readings = [bench.meter().read()]
            spawned, spawned_at = time.monotonic(), time.time()
            with Sampler(lambda: bench.meter().read()) as sampler:
                bench.platform.start()  # blocks; the sampler reads the CPU meanwhile
            readings += sampler.readings
            progressed = time.monotonic()
            while answers.accepted < count and time.monotonic() - spawned < timeout_s:
                if await answers.poll():
                    progressed = time.monotonic()
                elif time.monotonic() - progressed > STALL_S:
                    print(f"  no answer for {STALL_S} s: giving up", flush=True)
                    break
            done_at = time.time()
            after = bench.meter().read()
        finally:
            await answers.consumer.stop()
    first_ms, last_ms = answers.first_ms, answers.last_ms
    print(f"Answers on the outcome topic: {answers.outcomes}")
    if first_ms is None or last_ms is None or answers.accepted < 2:
        print("  too few accepted answers to time")
        return
    window_s = (last_ms - first_ms) / 1000
    start = reading_before(readings, first_ms / 1000)
    cpu = cpu_seconds(start, after)
    referrals_cpu = cpu.get("referrals", 0.0)
    # The CPU window runs to when the bench saw the last answer: a little longer than window_s.
    cpu_window_s = after.at - start.at
    print(
        f"Partner events accepted: {answers.accepted}/{count}\n"
        f"  first to last answer: {window_s:.1f} s -> "
        f"{(answers.accepted - 1) / window_s:.0f} partner events/s\n"
        f"  from the services' spawn: {done_at - spawned_at:.1f} s (start-up included) -> "
        f"{answers.accepted / (done_at - spawned_at):.0f} events/s\n"
        f"  referrals process CPU: {referrals_cpu:.1f} s over {cpu_window_s:.1f} s "
        f"({100 * referrals_cpu / cpu_window_s:.0f}% of one core; "
        f"{1000 * referrals_cpu / answers.accepted:.2f} ms per event, later milestones' "
        "steps included)"
    )
    others = {k: round(v, 1) for k, v in cpu.items() if k != "referrals"}
    print(f"  other CPU over the window (s): {others}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=2000, help="partner bundles (2000)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait at most")
    args = parser.parse_args(argv)
    asyncio.run(run(args.events, args.timeout))


if __name__ == "__main__":
    main()
