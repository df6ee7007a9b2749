"""`make bench`: how fast referrals reach the family alert on this machine.

Starts the four services (test ports), posts referrals at a steady concurrency, and prints
the time from POST to each step (from the services' own timestamps on the timeline) and the
throughput. Figures, not assertions: compare runs on the same machine.

    make bench BENCH_ARGS="--referrals 500 --concurrency 20"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any
from uuid import uuid4

import httpx

from scripts.platform import (
    REPO_ROOT,
    IdentityProvider,
    Platform,
    database_env,
    fresh_databases,
    ports_offset,
)
from scripts.run_platform import sample_referral
from shared.dev_identity import DEFAULT_PORT as IDENTITY_PORT
from shared.dev_identity import fetch_token_sync
from shared.services import local_postgres_url
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics

MATCHED = ("specialist_assigned", "waitlisted")  # either ends the matching step
# The bench's services use the log channel, which delivers nothing: the last step it sees is the
# specialist message handed over (the second "message_sent"; the first is the request's).
STEPS = ("plan_drafted", "matched", "message_sent")
MESSAGES = 2
PORTS = ports_offset(20000)


async def run(referrals: int, concurrency: int, base_url: str, token: str) -> None:
    ids: list[str] = []
    post_ms: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers) as client:

        async def post() -> None:
            async with gate:
                started = time.perf_counter()
                response = await client.post("/v1/referrals", json=sample_referral())
                post_ms.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                ids.append(response.json()["id"])

        wall = time.perf_counter()
        await asyncio.gather(*(post() for _ in range(referrals)))
        posted_s = time.perf_counter() - wall
        done: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 120 + referrals / 5

        async def check(referral_id: str) -> None:
            async with gate:
                referral = (await client.get(f"/v1/referrals/{referral_id}")).json()
            for entry in referral["timeline"]:
                if entry["step"] in MATCHED:
                    entry["step"] = "matched"
            steps = [e["step"] for e in referral["timeline"]]
            if set(steps) >= set(STEPS) and steps.count("message_sent") >= MESSAGES:
                done[referral_id] = referral

        while len(done) < len(ids) and time.monotonic() < deadline:
            await asyncio.gather(*(check(i) for i in ids if i not in done))
            await asyncio.sleep(0.2)
        finished_s = time.perf_counter() - wall

    print(f"\n{referrals} referrals, {concurrency} at a time; {len(done)} reached the family alert")
    print(f"POST /v1/referrals: p50 {pct(post_ms, 50):.0f} ms, p95 {pct(post_ms, 95):.0f} ms")
    print(f"posting took {posted_s:.1f} s ({referrals / posted_s:.0f} referrals/s accepted)")
    rate = len(done) / finished_s
    print(f"all journeys done in {finished_s:.1f} s ({rate:.0f} referrals/s end to end)")
    print(f"\n  {'step':<22}{'p50':>10}{'p95':>10}{'max':>10}   (ms after the referral was stored)")
    for step in STEPS:
        values = [
            [e["seconds_since_referral"] for e in r["timeline"] if e["step"] == step][-1] * 1000
            for r in done.values()
        ]
        if values:
            print(
                f"  {step:<22}{pct(values, 50):>10.0f}{pct(values, 95):>10.0f}{max(values):>10.0f}"
            )


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[p - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--referrals", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    postgres_url = os.environ.get("TEST_POSTGRES_URL") or local_postgres_url()
    urls = asyncio.run(fresh_databases(postgres_url, prefix="bench_"))
    # Its own Kafka namespace too: it never sees `make run`'s or a test run's events.
    kafka = KafkaSettings(namespace=f"bench-{uuid4().hex[:8]}.")
    asyncio.run(ensure_topics(kafka))
    logs = REPO_ROOT / ".local" / "logs" / "bench"
    identity = IdentityProvider(port=IDENTITY_PORT + 20000, log_dir=logs)
    identity.start()
    platform = Platform(
        log_dir=logs,
        ports=PORTS,
        env={
            **database_env(urls),
            **identity.service_env(),
            "SEND_NAMESPACE": kafka.namespace,
            "RATE_LIMIT_POST": "1000000/minute",  # one client posts everything
        },
    )
    try:
        platform.start()
        token = fetch_token_sync(identity.issuer, "leeds-caseworker")
        asyncio.run(run(args.referrals, args.concurrency, platform.url("referrals"), token))
    finally:
        platform.stop()
        identity.stop()
        asyncio.run(delete_namespace(kafka))


if __name__ == "__main__":
    main()
