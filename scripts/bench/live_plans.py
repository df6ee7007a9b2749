"""Bringing in a council's plans in force (issue #22): ``--plans`` (5,000) plans as one CSV
file, posted by a signed-in manager to ``POST /v1/live-plans/import`` of the referrals service
(in this process, on a database of its own on the bench's PostgreSQL), timed; then the same
file again (every row unchanged). Figures printed, nothing asserted (the target is under a
minute for 5,000). Everything it made is removed at the end.

    make bench-live-plans BENCH_LIVE_PLANS_ARGS="--plans 10000"
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import time
from datetime import date, timedelta

import httpx
from referrals.app import create_app
from referrals.config import ReferralsSettings

from devtools.dev_identity import fetch_token
from scripts.bench.samples import FAMILY, GIVEN
from scripts.bench.server import bench_postgres_url, describe
from scripts.bench.stack import drop_databases, new_run_id
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

LEEDS = "E08000035"
NEEDS = ("ASD", "SLCN", "SEMH", "MLD", "SPLD", "PD", "HI", "VI", "SLD", "OTH")
COLUMNS = ("case_id", "local_authority", "child_given_name", "child_family_name",
           "child_date_of_birth", "child_nhs_number", "child_postcode", "contact_name",
           "contact_email", "needs", "issued_on", "last_reviewed_on", "setting_urn")  # fmt: skip


def nhs_number(n: int) -> str:
    """A valid NHS number of the England and Wales range (45...), a different one for each n."""
    for m in range(n * 10, n * 10 + 10):
        first = f"45{m:07d}"
        total = sum(int(d) * w for d, w in zip(first, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return f"{first}{check}"
    raise AssertionError("no valid number near n")


def plans_csv(count: int, today: date) -> str:
    """``count`` plans with staggered anniversaries: issued over the last six years, a review
    in the last year for most (their next review spread over the coming twelve months)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(count):
        issued = today - timedelta(days=30 + i * 7 % 2000)
        reviewed = "" if i % 10 == 0 else str(max(issued, today - timedelta(days=i % 360)))
        writer.writerow(
            [f"LCC-{i:06d}", LEEDS, GIVEN[i % len(GIVEN)], FAMILY[i // len(GIVEN) % len(FAMILY)],
             str(date(today.year - 4 - i % 14, 1 + i % 12, 1 + i % 28)), nhs_number(i),
             f"LS{6 + i % 4} {i % 10}AB", "A Parent", f"parent{i}@example.org",
             " ".join(NEEDS[(i + k) % len(NEEDS)] for k in range(1 + i % 3)), str(issued),
             reviewed, f"{107000 + i % 900}"]
        )  # fmt: skip
    return out.getvalue()


async def import_twice(path: str, text: str, count: int, what: str) -> None:
    """Bring ``text`` (a CSV file of ``count`` ``what``) in through ``path`` on a referrals
    service of its own (in this process, a fresh database on the bench's PostgreSQL), then
    the same file again; prints each time and rate. Everything it made is removed."""
    postgres_url = bench_postgres_url()
    print(await describe(postgres_url))
    run_id = new_run_id()
    name = f"bench_{run_id}_referrals"
    owner_url = await fresh_database(postgres_url, name, "referrals", migrations_of("referrals"))
    identity = IdentityProvider(port=free_port(), log_dir=REPO_ROOT / ".local/logs/bench" / run_id)
    identity.start()
    app = create_app(
        ReferralsSettings(
            database_url=service_url(owner_url),
            oidc_issuer=identity.issuer,
            rate_limit_post="1000000/second",
        )
    )
    database = service_state(app).database
    await database.open()
    try:
        token = await fetch_token(identity.issuer, "leeds-manager")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}", "content-type": "text/csv"},
            timeout=600,
        ) as client:
            for label in ("first import", "same file again"):
                started = time.perf_counter()
                answer = await client.post(path, content=text)
                took = time.perf_counter() - started
                if answer.status_code != 200:
                    raise SystemExit(f"{label}: {answer.status_code} {answer.text[:500]}")
                report = answer.json()
                print(
                    f"{label:>16}: {took:6.1f} s ({count / took:,.0f} {what}/s), "
                    f"added {report['added']}, unchanged {report['unchanged']}"
                )
    finally:
        await database.close()
        identity.stop()
        await drop_databases(postgres_url, [name])


async def run(count: int) -> None:
    text = plans_csv(count, london_today())
    print(f"{count} plans, {len(text.encode()) / 1e6:.1f} MB of CSV")
    await import_twice("/v1/live-plans/import", text, count, "plans")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=5000)
    os.environ.setdefault("SEND_ENVIRONMENT", "development")  # a local identity provider
    asyncio.run(run(parser.parse_args().plans))


if __name__ == "__main__":
    main()
