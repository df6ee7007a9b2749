"""Never overbook: many referrals matched at once, each in its own transaction on its own
connection (as many service replicas would be), for the last places of the only team: exactly
as many win as there are places, the rest wait. Real PostgreSQL, real concurrency."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from scripts.platform import migrations_of, service_url
from shared.councils import act_for
from shared.events import Envelope, ReferralWaitlisted, SpecialistAssigned, wrap
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.specialists_app import LEEDS, handled, plan

ATTEMPTS = 50


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("overbook", "specialists", migrations_of("specialists"))


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    await conn.execute("TRUNCATE sessions_given, allocations, waitlist, referral_needs, outbox")
    await conn.execute("UPDATE specialists SET active = false, allocated_weight = 0")
    yield conn
    await conn.close()


async def _only_team(owner: asyncpg.Connection, places: int) -> Any:
    team = uuid4()
    await owner.execute(
        """INSERT INTO specialists (id, display_name, specialism, local_authority, councils,
               districts, capacity)
           VALUES ($1, 'The only team', 'speech_and_language_therapy', $2, $3, '{LS6}', $4)""",
        team,
        LEEDS,
        [LEEDS],
        places,
    )
    return team


async def _stored(owner: asyncpg.Connection, team: Any) -> asyncpg.Record:
    stored = await owner.fetchrow(
        """SELECT s.allocated_weight, s.capacity,
                  (SELECT count(*) FROM allocations a WHERE a.specialist_id = s.id) AS allocations,
                  (SELECT count(*) FROM waitlist) AS waiting
           FROM specialists s WHERE s.id = $1""",
        team,
    )
    assert stored is not None
    return stored


async def _race(owner_url: str, places: int, owner: asyncpg.Connection) -> dict[str, Any]:
    team = await _only_team(owner, places)
    connections = [
        await asyncpg.connect(service_url(owner_url)) for _ in range(ATTEMPTS)
    ]  # one backend each, as replicas would have
    start = asyncio.Event()

    async def attempt(conn: asyncpg.Connection) -> str:
        message: Envelope[Any] = wrap(plan(), source="/tests", local_authority=LEEDS)
        await start.wait()
        async with conn.transaction():
            await act_for(conn, [LEEDS])
            [outcome] = await handled(conn, message)
        assert isinstance(outcome, SpecialistAssigned | ReferralWaitlisted)
        return "won" if isinstance(outcome, SpecialistAssigned) else "waitlisted"

    try:
        tasks = [asyncio.create_task(attempt(c)) for c in connections]
        await asyncio.sleep(0)  # every task waits at the start line
        began = time.perf_counter()
        start.set()
        results = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    stored = await _stored(owner, team)
    figures = {
        "places": places,
        "attempts": ATTEMPTS,
        "won": results.count("won"),
        "waitlisted": results.count("waitlisted"),
        "allocations stored": stored["allocations"],
        "places taken": stored["allocated_weight"],
        "waiting stored": stored["waiting"],
        "seconds": round(elapsed, 3),
    }
    print(f"\nconcurrency: {figures}")
    return figures


@pytest.mark.parametrize("places", [1, 7])
async def test_concurrent_matches_for_the_last_places_never_overbook(
    owner_url: str, owner: asyncpg.Connection, places: int
) -> None:
    figures = await _race(owner_url, places, owner)
    assert figures["won"] == places
    assert figures["allocations stored"] == places
    assert figures["places taken"] == places
    assert figures["waitlisted"] == figures["waiting stored"] == ATTEMPTS - places


REPLICAS = 2


async def test_replicas_in_processes_of_their_own_never_overbook(
    owner_url: str, owner: asyncpg.Connection
) -> None:
    """Two service processes, 25 connections each, matching at once for 3 places."""
    team = await _only_team(owner, 3)
    each = ATTEMPTS // REPLICAS
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.match_process",
            service_url(owner_url),
            str(each),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(REPLICAS)
    ]
    try:
        for replica in replicas:  # each has its connections open
            assert replica.stdout is not None
            assert (await asyncio.wait_for(replica.stdout.readline(), 60)).strip() == b"ready"
        began = time.perf_counter()
        for replica in replicas:
            assert replica.stdin is not None
            replica.stdin.write(b"go\n")
            await replica.stdin.drain()
        results = []
        for replica in replicas:
            assert replica.stdout is not None
            results.append(json.loads(await asyncio.wait_for(replica.stdout.readline(), 60)))
        elapsed = time.perf_counter() - began
    finally:
        for replica in replicas:
            if replica.returncode is None:
                replica.kill()
            await replica.wait()
    stored = await _stored(owner, team)
    won = sum(r["won"] for r in results)
    figures = {
        "places": 3,
        "processes": REPLICAS,
        "attempts": ATTEMPTS,
        "won": won,
        "by process": [r["won"] for r in results],
        "places taken": stored["allocated_weight"],
        "allocations stored": stored["allocations"],
        "seconds": round(elapsed, 3),
    }
    print(f"\nconcurrency (processes): {figures}")
    assert won == stored["allocations"] == stored["allocated_weight"] == 3
    assert sum(r["waitlisted"] for r in results) == stored["waiting"] == ATTEMPTS - 3
