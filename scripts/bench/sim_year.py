"""A simulated council year (issue #22): ``--plans`` (5,000) plans in force brought in with
their reviews spread over the year and ``--requests`` (500) EHC needs assessment requests
arriving through it, run day by day through the referrals service (in this process, on a
database of its own on the bench's PostgreSQL, the schedulers ticked on the simulated day;
``scripts.bench.council_year``), then checked (``scripts.bench.year_checks``). Prints the
figures and what each check found; exits 1 when a check fails. Everything it made is removed.

    make sim-year SIM_YEAR_ARGS="--plans 1000 --requests 100 --seed 7"
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import date

import httpx
from fastapi import FastAPI
from referrals.app import create_app
from referrals.config import ReferralsSettings

from devtools.dev_identity import fetch_token
from scripts.bench.council_year import Year, run
from scripts.bench.server import bench_postgres_url, describe
from scripts.bench.stack import drop_databases, new_run_id
from scripts.bench.year_cases import YearPlan
from scripts.bench.year_checks import CHECKS, figures
from scripts.platform import (
    REPO_ROOT,
    IdentityProvider,
    free_port,
    fresh_database,
    migrations_of,
    service_url,
)
from shared.migrations import owner_connection
from shared.state import service_state

SignedIn = Callable[[str], Awaitable[httpx.AsyncClient]]


def signer(app: FastAPI, issuer: str) -> SignedIn:
    """A client of ``app`` signed in as a seeded member of staff (in-process, no network)."""

    async def signed_in(user: str) -> httpx.AsyncClient:
        token = await fetch_token(issuer, user)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://sim-year",
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )

    return signed_in


async def checked(year: Year, signed_in: SignedIn) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The year's figures and, for each check, what it found wrong."""
    db = await owner_connection(year.owner_url)
    try:
        async with await signed_in("leeds-manager") as manager:
            found = {name: await check(year, db, manager) for name, check in CHECKS}
        counted = await figures(db)
    finally:
        await db.close()
    counted |= {
        "plans": len(year.imported),
        "requests": len(year.requested),
        "steps": year.steps,
        "late on purpose": len(year.late),
        "phase transfer cohort": len(year.transfers),
        "phase transfers late on purpose": sum(year.transfers.values()),
        "final plans": len(year.finals),
        "children without a UPN": len(year.no_upn),
    }
    return counted, found


async def simulate(plan: YearPlan) -> bool:
    postgres_url = bench_postgres_url()
    print(await describe(postgres_url))
    run_id = new_run_id()
    name = f"bench_{run_id}_referrals"
    owner_url = await fresh_database(postgres_url, name, "referrals", migrations_of("referrals"))
    identity = IdentityProvider(port=free_port(), log_dir=REPO_ROOT / ".local/logs/bench" / run_id)
    identity.start()
    settings = ReferralsSettings(
        database_url=service_url(owner_url),
        oidc_issuer=identity.issuer,
        rate_limit_post="1000000/second",
    )
    app = create_app(settings)
    for noisy in ("httpx", "weasyprint"):  # not a line for each of 30,000 steps and letters
        logging.getLogger(noisy).setLevel(logging.WARNING)
    database = service_state(app).database
    await database.open()
    try:
        year = Year(plan, app, owner_url, settings)
        signed_in = signer(app, identity.issuer)
        started = time.perf_counter()

        def progress(day: date) -> None:
            took = time.perf_counter() - started
            print(f"{day}: {took:7.1f} s, {year.steps:,} steps", flush=True)

        await run(year, signed_in, progress)
        took = time.perf_counter() - started
        counted, found = await checked(year, signed_in)
    finally:
        await database.close()
        identity.stop()
        await drop_databases(postgres_url, [name])
    print(f"{plan.first_day} to {plan.last_day}, seed {plan.seed}: {took:.1f} s wall time")
    for label, value in counted.items():
        print(f"{label:>26}: {value:,}")
    for label, wrong in found.items():
        print(f"{'ok' if not wrong else f'{len(wrong)} WRONG':>9}  {label}")
        for line in wrong[:20]:
            print(f"           {line}")
    return not any(found.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--concurrency", type=int, default=4, help="cases' steps side by side")
    args = parser.parse_args()
    os.environ.setdefault("SEND_ENVIRONMENT", "development")  # a local identity provider
    plan = YearPlan(args.plans, args.requests, seed=args.seed, concurrency=args.concurrency)
    if not asyncio.run(simulate(plan)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
