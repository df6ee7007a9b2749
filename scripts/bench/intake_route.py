"""The CPU of taking a referral in over HTTP, with no Kafka load: ``POST /v1/referrals`` to the
referrals app in this process (httpx's ASGI transport: every middleware, the caller's token
checked against the development issuer, the rate limits, the route, its unit of work on real
PostgreSQL), one referral after another from ``--clients`` callers at once. Prints the CPU
seconds of this process a referral (``time.process_time``: the app, its asyncpg pool, and the
client's small part), which a shared machine's other load barely moves, unlike wall time.

    python -m scripts.bench.intake_route                      # 1,000 referrals, 8 callers
    python -m scripts.bench.intake_route --referrals 500 --profile

The database is a fresh one on the bench's server (``scripts.bench.server``), dropped at the
end; nothing reads the outbox the referrals leave (no relay runs). ``--profile`` prints where
the CPU went (cProfile of CPU time, by own time): functions only, never their arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import time
from uuid import uuid4

import httpx
from referrals.app import create_app
from referrals.config import ReferralsSettings

from devtools.dev_identity_client import fetch_token
from scripts.bench.samples import referral_request
from scripts.bench.server import bench_postgres_url
from scripts.bench.stack import drop_databases
from scripts.platform import (
    REPO_ROOT,
    IdentityProvider,
    free_port,
    fresh_database,
    migrations_of,
    service_url,
)
from shared.dates import london_today
from shared.state import service_state


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.intake_route", description=__doc__
    )
    parser.add_argument("--referrals", type=int, default=1000, metavar="N", help="timed")
    parser.add_argument("--warm-up", type=int, default=100, metavar="N", help="untimed, first")
    parser.add_argument("--clients", type=int, default=8, metavar="N", help="callers at once")
    parser.add_argument("--profile", action="store_true", help="where the CPU went (cProfile)")
    return parser.parse_args(argv)


async def post_referrals(client: httpx.AsyncClient, first: int, count: int, clients: int) -> None:
    """``count`` referrals (numbered from ``first``) posted by ``clients`` callers at once;
    every one must be taken in (201)."""
    today = london_today()
    numbers = iter(range(first, first + count))

    async def caller() -> None:
        for i in numbers:
            answer = await client.post("/v1/referrals", json=referral_request(i, today))
            if answer.status_code != 201:
                raise RuntimeError(f"referral {i}: {answer.status_code} {answer.text[:300]}")

    await asyncio.gather(*(caller() for _ in range(clients)))


async def measure(args: argparse.Namespace, issuer: str, owner_url: str) -> None:
    app = create_app(
        ReferralsSettings(
            database_url=service_url(owner_url),
            oidc_issuer=issuer,
            rate_limit_post="1000000/minute",  # counted as ever, never reached
            accept_test_nhs_numbers=True,
        )
    )
    database = service_state(app).database
    await database.open()
    token = await fetch_token(issuer, "leeds-caseworker")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            await post_referrals(client, 0, args.warm_up, args.clients)
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            await post_referrals(client, args.warm_up, args.referrals, args.clients)
            if profiler is not None:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await database.close()
    print(
        f"POST /v1/referrals in process: {args.referrals} referrals, {args.clients} callers: "
        f"{1000 * cpu / args.referrals:.2f} ms CPU a referral "
        f"({1000 * wall / args.referrals:.2f} ms wall a referral, shared machine: noise)"
    )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
        print(out.getvalue())


async def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    os.environ.setdefault("SEND_ENVIRONMENT", "development")  # a local identity provider
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line a request: not the app's cost
    postgres_url = bench_postgres_url()
    name = f"bench_intake_route_{uuid4().hex[:6]}"
    owner_url = await fresh_database(postgres_url, name, "referrals", migrations_of("referrals"))
    identity = IdentityProvider(port=free_port(), log_dir=REPO_ROOT / ".local" / "logs" / "bench")
    identity.start()
    try:
        await measure(args, identity.issuer, owner_url)
    finally:
        identity.stop()
        await drop_databases(postgres_url, [name])


if __name__ == "__main__":
    asyncio.run(main())
