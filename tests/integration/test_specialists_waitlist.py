"""The waitlist moves, on real PostgreSQL through the service's API: an ended allocation's
places go at once to the child waiting first (the nearest statutory deadline, then the longest
wait), capacity added works the waitlist too, and every move is an event in the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.events import ReferralWaitlisted, SpecialistAssigned
from shared.migrations import owner_connection
from shared.specialisms import Specialism
from tests.conftest import Databases
from tests.integration.specialists_app import LEEDS, handle, plan, specialists_service


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("waitlist", "specialists", migrations_of("specialists"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with specialists_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    await conn.execute("TRUNCATE sessions_given, allocations, waitlist, referral_needs, outbox")
    await conn.execute("UPDATE specialists SET active = false, allocated_weight = 0")
    yield conn
    await conn.close()


@pytest.fixture
async def pool(owner_url: str) -> AsyncIterator[asyncpg.Pool]:
    found = await asyncpg.create_pool(service_url(owner_url), min_size=1, max_size=4)
    yield found
    await found.close()


async def _client(app: FastAPI, identity: IdentityProvider, user: str) -> httpx.AsyncClient:
    token = await fetch_token(identity.issuer, user)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def manager(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(app, identity, "leeds-manager") as client:
        yield client


def _entry(role: str, capacity: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid4()),
        "display_name": f"Test {role}",
        "role": role,
        "local_authority": LEEDS,
        "districts": ["LS6"],
        "capacity": capacity,
        **fields,
    }


async def _allocation_of(owner: asyncpg.Connection, referral_id: UUID) -> UUID:
    found: UUID = await owner.fetchval(
        "SELECT id FROM allocations WHERE referral_id = $1 AND status = 'active' AND "
        "role = 'speech_and_language_therapy'",
        referral_id,
    )
    return found


async def _assigned_from_waitlist(owner: asyncpg.Connection) -> list[UUID]:
    rows = await owner.fetch(
        "SELECT envelope FROM outbox WHERE topic = 'specialists.specialist-assigned.v1' ORDER BY id"
    )
    data = [json.loads(r["envelope"])["data"] for r in rows]
    return [UUID(d["referral_id"]) for d in data if d["from_waitlist"]]


async def test_freed_places_go_to_the_nearest_deadline_first_then_the_longest_wait(
    owner: asyncpg.Connection, pool: asyncpg.Pool, manager: httpx.AsyncClient
) -> None:
    slt = await manager.post("/v1/registry", json=_entry("speech_and_language_therapy", 2))
    assert slt.status_code == 201, slt.text
    ep = await manager.post("/v1/registry", json=_entry("educational_psychology", 100))
    assert ep.status_code == 201, ep.text
    first = plan(track="ehc", statutory_due=date(2027, 9, 1))  # weight 2: the team is full
    [assigned] = await handle(pool, first)  # its psychologist comes with the decision
    assert isinstance(assigned, SpecialistAssigned)
    support = plan()  # waits longest, no statutory clock
    later = plan(track="ehc", statutory_due=date(2027, 6, 1))
    sooner = plan(track="ehc", statutory_due=date(2027, 3, 1))
    for waiting in (support, later, sooner):
        outcomes = await handle(pool, waiting)
        assert isinstance(outcomes[0], ReferralWaitlisted)
        assert outcomes[0].reason == "teams_full"

    order = []
    ending = await _allocation_of(owner, first.referral_id)
    for expected in (sooner, later, support):
        ended = await manager.post(
            f"/v1/allocations/{ending}/end", json={"reason": "support_completed"}
        )
        assert ended.status_code == 200, ended.text
        assert (ended.json()["status"], ended.json()["end_reason"]) == (
            "ended",
            "support_completed",
        )
        order.append(expected.referral_id)
        assert await _assigned_from_waitlist(owner) == order
        ending = await _allocation_of(owner, expected.referral_id)
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM waitlist WHERE role = 'speech_and_language_therapy'"
        )
        == 0
    )
    topics = [r["topic"] for r in await owner.fetch("SELECT topic FROM outbox ORDER BY id")]
    assert topics.count("specialists.allocation-ended.v1") == 3
    again = await manager.post(f"/v1/allocations/{ending}/end", json={"reason": "child_moved"})
    assert again.status_code == 200
    twice = await manager.post(f"/v1/allocations/{ending}/end", json={"reason": "child_moved"})
    assert twice.status_code == 409
    unknown = await manager.post(f"/v1/allocations/{uuid4()}/end", json={"reason": "child_moved"})
    assert unknown.status_code == 404
    wrong = await manager.post(f"/v1/allocations/{ending}/end", json={"reason": "bored"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "reason"]
    waits = await owner.fetch(
        "SELECT created_at - needed_since AS waited FROM allocations WHERE from_waitlist"
    )
    assert len(waits) == 3
    assert all(w["waited"].total_seconds() > 0 for w in waits)  # measured from the plan


async def test_capacity_added_works_the_waitlist(
    owner: asyncpg.Connection, pool: asyncpg.Pool, manager: httpx.AsyncClient
) -> None:
    created = await manager.post("/v1/registry", json=_entry("occupational_therapy", 1))
    team = created.json()
    taken = await handle(pool, plan(roles=[Specialism.OCCUPATIONAL_THERAPY]))
    assert isinstance(taken[0], SpecialistAssigned)
    waiting = plan(roles=[Specialism.OCCUPATIONAL_THERAPY])
    assert isinstance((await handle(pool, waiting))[0], ReferralWaitlisted)
    changed = {
        k: v for k, v in team.items() if k not in ("id", "allocated", "awaiting_agreement")
    } | {"capacity": 2}
    raised = await manager.put(f"/v1/registry/{team['id']}", json=changed)
    assert raised.status_code == 200, raised.text
    assert raised.json()["allocated"] == 2
    assert await _assigned_from_waitlist(owner) == [waiting.referral_id]
    newcomer = plan(roles=[Specialism.OCCUPATIONAL_THERAPY])
    assert isinstance((await handle(pool, newcomer))[0], ReferralWaitlisted)
    practitioner = _entry("occupational_therapy", 1, kind="practitioner", team_id=team["id"])
    added = await manager.post("/v1/registry", json=practitioner)
    assert added.status_code == 201, added.text
    assert await _assigned_from_waitlist(owner) == [waiting.referral_id, newcomer.referral_id]


async def test_places_too_few_for_the_child_first_in_line_are_kept_for_them(
    owner: asyncpg.Connection, pool: asyncpg.Pool, manager: httpx.AsyncClient
) -> None:
    created = await manager.post("/v1/registry", json=_entry("speech_and_language_therapy", 2))
    assert created.status_code == 201, created.text
    await manager.post("/v1/registry", json=_entry("educational_psychology", 100))
    first, second = plan(), plan()  # a support case counts 1 place each
    for occupying in (first, second):
        assert isinstance((await handle(pool, occupying))[0], SpecialistAssigned)
    deadline = plan(track="ehc", statutory_due=date(2027, 3, 1))  # counts 2
    lighter = plan()  # behind it in line, counts 1
    for waiting in (deadline, lighter):
        assert isinstance((await handle(pool, waiting))[0], ReferralWaitlisted)
    one = await _allocation_of(owner, first.referral_id)
    assert (
        await manager.post(f"/v1/allocations/{one}/end", json={"reason": "family_declined"})
    ).status_code == 200
    assert await _assigned_from_waitlist(owner) == []  # 1 place: kept for the first in line
    two = await _allocation_of(owner, second.referral_id)
    assert (
        await manager.post(f"/v1/allocations/{two}/end", json={"reason": "child_moved"})
    ).status_code == 200
    assert await _assigned_from_waitlist(owner) == [deadline.referral_id]


async def _audit(owner: asyncpg.Connection, referral_id: UUID) -> list[tuple[str, str, str, bool]]:
    rows = await owner.fetch(
        """SELECT actor, action, resource, request_id IS NOT NULL AS from_a_request
           FROM audit_log
           WHERE referral_id = $1 AND resource = 'allocation' ORDER BY id""",
        referral_id,
    )
    return [tuple(r) for r in rows]


async def test_ending_is_the_callers_change_and_the_place_it_frees_moves_as_the_services(
    owner: asyncpg.Connection, pool: asyncpg.Pool, manager: httpx.AsyncClient
) -> None:
    """One unit of work: the caller's end (audited as theirs, from their request) and the
    waitlist's allocation of the freed place (the service's own doing) commit together."""
    created = await manager.post("/v1/registry", json=_entry("speech_and_language_therapy", 1))
    assert created.status_code == 201, created.text
    await manager.post("/v1/registry", json=_entry("educational_psychology", 100))
    leaving, waiting = plan(), plan()
    assert isinstance((await handle(pool, leaving))[0], SpecialistAssigned)
    assert isinstance((await handle(pool, waiting))[0], ReferralWaitlisted)
    ending = await _allocation_of(owner, leaving.referral_id)
    ended = await manager.post(f"/v1/allocations/{ending}/end", json={"reason": "child_moved"})
    assert ended.status_code == 200, ended.text
    assert await _audit(owner, leaving.referral_id) == [
        ("system:specialists", "create", "allocation", False),  # matched from its plan
        ("leeds-manager", "update", "allocation", True),  # ended by the manager
    ]
    assert await _audit(owner, waiting.referral_id) == [
        ("system:specialists", "create", "allocation", False),  # the freed place, from the line
    ]
    assert await _assigned_from_waitlist(owner) == [waiting.referral_id]
