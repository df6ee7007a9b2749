"""`make bench-web`: the workspace's page times with a large council's caseload.

    python -m scripts.bench.web                        # 20,000 referrals, 200 requests a page
    python -m scripts.bench.web --referrals 5000 --requests 50

Brings its own databases, Kafka namespace, identity provider and the five services (the
workspace too), seeds ``--referrals`` Leeds referrals straight into the databases
(``caseload_seed``), signs a caseworker in through the workspace's own sign-in (OpenID Connect
at the development issuer), and times each page one request at a time, as a person's browser
asks for it: the caseload (plain, by team, waiting for a specialist, deadlines at risk or
missed, a name search), and a referral's page (a different referral each time), the pages in
turn; then each page again in a row, for its CPU a request. Prints p50 and p95 of the server
time (the response's, measured beside the server: no network but the loopback), the CPU, and
the query plans of the caseload's queries. The targets (issue #18): p95 under
150 ms for the caseload, 250 ms for a referral's page.

(Longer than most modules: the run in order, seeding, signing in, the timed pass, the CPU pass
and the table, read together as the one command it is; the seed's rows are a module apart.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import time
from html import unescape
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from referrals.caseload_query import Filters, Search, statement
from specialists.seed import seed as seed_registry

from devtools.dev_identity_client import fetch_token
from scripts.bench import caseload_seed, profile
from scripts.bench.cpu import POSTGRES_RUN, CpuMeter, cpu_seconds
from scripts.bench.samples import LEEDS
from scripts.bench.server import bench_postgres_url, describe
from scripts.bench.stack import bench_platform
from scripts.bench.stats import percentile
from scripts.platform import service_url
from shared.councils import SETTING
from shared.dates import london_today
from shared.services import SERVICES

TARGETS_MS = {"caseload": 150.0, "referral": 250.0}
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.web", description=__doc__)
    parser.add_argument("--referrals", type=int, default=20_000, metavar="N")
    parser.add_argument("--requests", type=int, default=200, metavar="N", help="per page")
    parser.add_argument("--warm-up", type=int, default=20, metavar="N", help="per page, untimed")
    parser.add_argument(
        "--cpu-requests", type=int, default=50, metavar="N", help="per page, for its CPU"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="where the workspace's and referrals' CPU goes while timed (py-spy)",
    )
    return parser.parse_args(argv)


async def sign_in(client: httpx.AsyncClient, web: str, user: str = "leeds-caseworker") -> None:
    """Sign in as a person does: the workspace's start, the issuer's form, back."""
    answer = await client.get(f"{web}/sign-in/start", params={"then": "/caseload"})
    form_page = await client.get(answer.headers["location"])
    fields = {unescape(k): unescape(v) for k, v in _HIDDEN.findall(form_page.text)}
    authorize = str(form_page.url).split("?", 1)[0]
    back = await client.post(authorize, data={**fields, "username": user, "password": "dev"})
    landed = await client.get(back.headers["location"])
    if landed.status_code != 303 or not landed.headers["location"].endswith("/caseload"):
        raise RuntimeError(f"sign-in failed: {landed.status_code} {landed.text[:200]}")


async def timed(
    client: httpx.AsyncClient, url: str, *, form: dict[str, str] | None = None
) -> float:
    started = time.perf_counter()
    if form is None:
        response = await client.get(url)
    else:
        response = await client.post(url, data=form)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 303):
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
    return elapsed


Target = tuple[httpx.AsyncClient, str | None]
"""Who asks (a signed-in session, or the API's client) and what (None: a referral's page,
a different referral each time)."""


async def targets(
    client: httpx.AsyncClient,
    searched: httpx.AsyncClient,
    web: str,
    api: httpx.AsyncClient,
    team: UUID,
) -> dict[str, Target]:
    """The pages timed; ``searched``'s session is given a name search first (a session
    holds one search at a time). The referrals API's caseload too: the API's share."""
    await sign_in(searched, web)
    fields = dict(_HIDDEN.findall((await searched.get(f"{web}/caseload")).text))
    search = {"csrf_token": fields["csrf_token"], "text": "Ella Evans"}
    await timed(searched, f"{web}/caseload/search", form=search)
    return {
        "caseload": (client, f"{web}/caseload"),
        "caseload, page 40": (client, f"{web}/caseload?page=40"),
        "caseload, by team": (client, f"{web}/caseload?team={team}"),
        "caseload, waiting for a specialist": (client, f"{web}/caseload?waiting=yes"),
        "caseload, deadlines at risk or missed": (
            client,
            f"{web}/caseload?deadline=at_risk&deadline=missed",
        ),
        "caseload, name search and team": (searched, f"{web}/caseload?team={team}"),
        "referral": (client, None),
        "API: GET /v1/referrals": (api, "/v1/referrals?limit=25"),
        "API: GET /v1/referrals?team=": (api, f"/v1/referrals?limit=25&team={team}"),
    }


async def wall_times(
    pages: dict[str, Target], web: str, referral_ids: list[UUID], args: Any
) -> dict[str, list[float]]:
    """Each page's times, in ms, the pages taken in turn (a machine busy for a while slows
    each of them alike, not the one measured then)."""
    rng = random.Random(6)  # noqa: S311  # which referral to open, not a secret
    times: dict[str, list[float]] = {name: [] for name in pages}
    for n in range(args.warm_up + args.requests):
        for name, (who, url) in pages.items():
            took = await timed(who, url or f"{web}/referrals/{rng.choice(referral_ids)}")
            if n >= args.warm_up:
                times[name].append(took)
    return times


async def cpu_per_request(
    pages: dict[str, Target], web: str, referral_ids: list[UUID], meter: CpuMeter, count: int
) -> dict[str, dict[str, float]]:
    """Each page's CPU ms a request (the workspace, the four services, this run's database
    connections), each page asked ``count`` times in a row: what a busy machine cannot
    inflate, as it does the wall time."""
    rng = random.Random(7)  # noqa: S311  # which referral to open, not a secret
    used: dict[str, dict[str, float]] = {}
    for name, (who, url) in pages.items():
        before = meter.read()
        for _ in range(count):
            await timed(who, url or f"{web}/referrals/{rng.choice(referral_ids)}")
        seconds = cpu_seconds(before, meter.read())
        services = sum(v for k, v in seconds.items() if k in SERVICES and k != "web")
        used[name] = {
            "web": 1000 * seconds.get("web", 0) / count,
            "services": 1000 * services / count,
            "postgres": 1000 * seconds.get(POSTGRES_RUN, 0) / count,
        }
    return used


async def plans(owner_url: str, team: UUID) -> list[tuple[str, str]]:
    """EXPLAIN ANALYZE of the caseload's query as the API makes it (first pages): as the
    services' role, acting for the caseworker's council (the policies' estimates differ for a
    session acting for every council, and so would the plans)."""
    found: list[tuple[str, str]] = []
    conn = await asyncpg.connect(service_url(owner_url), server_settings={SETTING: LEEDS})
    try:
        for name, filters, search in (
            ("plain", Filters(), None),
            ("by team", Filters(team=team), None),
            ("waiting for a specialist", Filters(waiting=True), None),
            ("name search", Filters(), Search.of("Ella Evans")),
        ):
            sql, params = statement(
                filters, today=london_today(), at_risk_days=10, limit=25, offset=0, search=search
            )
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
            found.append((name, "\n".join(r[0] for r in rows)))
    finally:
        await conn.close()
    return found


async def run(args: argparse.Namespace) -> None:
    postgres = os.environ.get("POSTGRES_URL") or bench_postgres_url()
    print(await describe(postgres), flush=True)
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    async with bench_platform(postgres, kafka, {"CASELOAD_PAGE_SIZE": "25"}) as bench:
        started = time.perf_counter()
        await seed_registry(bench.urls["specialists"])
        teams = await caseload_seed.registry_entries(bench.urls["specialists"])
        rows = caseload_seed.caseload(args.referrals, teams, london_today())
        referral_tables = tuple(t for t in caseload_seed.COLUMNS if t != "family_contacts")
        await caseload_seed.insert_all(bench.urls["referrals"], rows, referral_tables)
        await caseload_seed.insert_all(
            bench.urls["notifications"], rows, caseload_seed.NOTIFICATIONS_TABLES
        )
        print(f"seeded {args.referrals} referrals in {time.perf_counter() - started:.1f} s")
        await asyncio.to_thread(bench.platform.start)
        web = bench.platform.url("web")
        referral_ids = [r[0] for r in rows["referrals"]]
        team = teams[0]
        token = await fetch_token(bench.identity.issuer, "leeds-caseworker")
        api = httpx.AsyncClient(
            base_url=bench.platform.url("referrals"),
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
        pids = {n: p for n, p in bench.service_pids().items() if n in ("web", "referrals")}
        async with (
            httpx.AsyncClient(timeout=30) as client,
            api,
            httpx.AsyncClient(timeout=30) as searched,
        ):
            await sign_in(client, web)
            pages = await targets(client, searched, web, api, team)
            profiler = profile.start(bench.log_dir if args.profile else None, "pages", pids)
            times = await wall_times(pages, web, referral_ids, args)
            profile.finish(profiler)
            cpu = await cpu_per_request(pages, web, referral_ids, bench.meter(), args.cpu_requests)
        load = os.getloadavg()
        print(f"\n{args.requests} requests a page, one at a time; load average {load[0]:.1f}")
        print(f"{'page':40} {'p50 ms':>7} {'p95 ms':>7} {'target':>7}   CPU ms a request:")
        print(f"{'':40} {'':>7} {'':>7} {'':>7}   {'web':>5} {'APIs':>5} {'db':>5}")
        for name, values in times.items():
            target = "" if name.startswith("API") else f"{TARGETS_MS[name.split(',')[0]]:.0f}"
            p50, p95 = percentile(values, 50), percentile(values, 95)
            over = " over" if target and p95 >= float(target) else ""
            c = cpu[name]
            print(
                f"{name:40} {p50:7.1f} {p95:7.1f} {target:>7}   "
                f"{c['web']:5.1f} {c['services']:5.1f} {c['postgres']:5.1f}{over}"
            )
        for name, plan in await plans(bench.urls["referrals"], team):
            print(f"\nThe caseload's query, {name}:\n{plan}")


def main() -> None:
    asyncio.run(run(parse()))


if __name__ == "__main__":
    main()
