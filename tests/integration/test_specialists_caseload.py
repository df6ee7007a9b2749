"""A practitioner's own caseload, on real PostgreSQL and the seeded registry, signed in through
the development identity provider as a practitioner of a registry entry (role ``specialist``,
its ``registry_entry`` claim): the children allocated to their entry, and nothing about any
other child; accepting an allocation, the first session's date and the sessions given (each an
event in the outbox, audited), and ending an allocation (the waitlist moves as today)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from devtools.dev_identity import fetch_token
from devtools.dev_identity_seed import BRADFORD_SLT, LEEDS_NORTH_SLT
from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dates import london_today
from shared.events import ProvisionAsked, SpecialistAssigned
from shared.migrations import owner_connection
from shared.specialisms import Specialism
from tests.conftest import Databases
from tests.integration.specialists_app import BRADFORD, handle, plan, specialists_service


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("caseload", "specialists", migrations_of("specialists"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with specialists_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    await conn.execute(
        "TRUNCATE sessions_given, allocations, waitlist, referral_needs, outbox, audit_log"
    )
    await conn.execute("UPDATE specialists SET allocated_weight = 0")
    yield conn
    await conn.close()


@pytest.fixture
async def pool(owner_url: str) -> AsyncIterator[asyncpg.Pool]:
    found = await asyncpg.create_pool(service_url(owner_url), min_size=1, max_size=4)
    yield found
    await found.close()


@pytest.fixture
async def signed_in(
    app: FastAPI, identity: IdentityProvider
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Clients signed in as each seeded practitioner (and a Leeds caseworker)."""
    clients = {}
    for user in ("leeds-slt", "leeds-slt-south", "bradford-slt", "leeds-caseworker"):
        token = await fetch_token(identity.issuer, user)
        clients[user] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        )
    yield clients
    for client in clients.values():
        await client.aclose()


async def _allocated(pool: asyncpg.Pool, **fields: Any) -> SpecialistAssigned:
    """A child allocated to Leeds North SLT (the seed's team for LS6)."""
    [assigned, *_] = await handle(pool, plan(district="LS6", **fields))
    assert isinstance(assigned, SpecialistAssigned)
    assert assigned.specialist_id == UUID(LEEDS_NORTH_SLT)
    return assigned


async def _outbox(owner: asyncpg.Connection, name: str) -> list[dict[str, Any]]:
    rows = await owner.fetch(
        "SELECT envelope FROM outbox WHERE topic = $1 ORDER BY id", f"specialists.{name}.v1"
    )
    return [json.loads(r["envelope"])["data"] for r in rows]


async def test_the_team_is_told_at_its_own_address_when_a_child_is_allocated_to_it(
    owner: asyncpg.Connection, pool: asyncpg.Pool
) -> None:
    assigned = await _allocated(pool)

    assert assigned.team_email == "slt.north@leeds.example.org"
    [published] = await _outbox(owner, "specialist-assigned")
    assert published["team_email"] == "slt.north@leeds.example.org"


async def test_a_practitioner_sees_the_children_allocated_to_their_entry_and_no_other(
    owner: asyncpg.Connection, pool: asyncpg.Pool, signed_in: dict[str, httpx.AsyncClient]
) -> None:
    mine = await _allocated(pool)
    bradford = await handle(pool, plan(council=BRADFORD, district="BD1"))
    assert isinstance(bradford[0], SpecialistAssigned)
    assert bradford[0].specialist_id == UUID(BRADFORD_SLT)

    caseload = await signed_in["leeds-slt"].get("/v1/caseload")
    assert caseload.status_code == 200, caseload.text
    [case] = caseload.json()
    assert case["allocation_id"] == str(mine.allocation_id)
    assert case["referral_id"] == str(mine.referral_id)
    assert case["reference"] == str(mine.referral_id)[:8].upper()
    assert case["role_title"] == "speech and language therapist"
    assert case["accepted_at"] is None
    assert case["sessions_given"] == 0

    # Another Leeds entry's practitioner, and another council's, see nothing of it.
    assert (await signed_in["leeds-slt-south"].get("/v1/caseload")).json() == []
    [theirs] = (await signed_in["bradford-slt"].get("/v1/caseload")).json()
    assert theirs["allocation_id"] == str(bradford[0].allocation_id)
    for other in ("leeds-slt-south", "bradford-slt"):
        client = signed_in[other]
        path = f"/v1/caseload/{mine.allocation_id}"
        assert (await client.get(path)).status_code == 404
        for step, body in (
            ("accept", {}),
            ("first-session", {"session_on": london_today().isoformat()}),
            ("sessions", _session(london_today())),
            ("end", {"reason": "support_completed"}),
        ):
            answer = await client.post(f"{path}/{step}", json=body)
            assert answer.status_code == 404, (other, step, answer.text)
            assert str(mine.referral_id) not in answer.text
    row = await owner.fetchrow(
        "SELECT status, accepted_at, first_session_on FROM allocations WHERE id = $1",
        mine.allocation_id,
    )
    assert row is not None
    assert dict(row) == {"status": "active", "accepted_at": None, "first_session_on": None}
    assert await owner.fetchval("SELECT count(*) FROM sessions_given") == 0

    # The caseload's reads are audited, a row for each child, as the practitioner's.
    audited = await owner.fetch(
        "SELECT actor, action, referral_id FROM audit_log WHERE resource = 'allocation'"
        " AND action = 'read' ORDER BY id"
    )
    assert [r["referral_id"] for r in audited][:1] == [mine.referral_id]


def _session(on: date, minutes: int = 30, provision: str = "provision-1") -> dict[str, Any]:
    return {"id": str(uuid4()), "provision_id": provision, "given_on": on.isoformat(),
            "minutes": minutes}  # fmt: skip


async def test_accept_arrange_the_first_session_record_sessions_then_end(
    owner: asyncpg.Connection, pool: asyncpg.Pool, signed_in: dict[str, httpx.AsyncClient]
) -> None:
    mine = await _allocated(pool)
    slt = signed_in["leeds-slt"]
    path = f"/v1/caseload/{mine.allocation_id}"
    today = london_today()

    early = await slt.post(f"{path}/first-session", json={"session_on": today.isoformat()})
    assert early.status_code == 409
    assert "accept" in early.json()["detail"]

    accepted = await slt.post(f"{path}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["accepted_at"] is not None
    assert (await slt.post(f"{path}/accept")).status_code == 409  # once

    too_far = await slt.post(
        f"{path}/first-session", json={"session_on": (today + timedelta(days=400)).isoformat()}
    )
    assert too_far.status_code == 422
    assert too_far.json()["detail"][0]["loc"][-1] == "session_on"
    first_day = today + timedelta(days=7)
    arranged = await slt.post(f"{path}/first-session", json={"session_on": first_day.isoformat()})
    assert arranged.status_code == 200, arranged.text
    assert arranged.json()["first_session_on"] == first_day.isoformat()
    again = await slt.post(f"{path}/first-session", json={"session_on": first_day.isoformat()})
    assert again.status_code == 200  # the same day: nothing new
    moved = first_day + timedelta(days=1)
    await slt.post(f"{path}/first-session", json={"session_on": moved.isoformat()})

    [accept_event] = await _outbox(owner, "allocation-accepted")
    assert accept_event["allocation_id"] == str(mine.allocation_id)
    assert accept_event["accepted_on"] == today.isoformat()
    sessions_arranged = await _outbox(owner, "first-session-arranged")
    assert [(e["session_on"], e["rearranged"]) for e in sessions_arranged] == [
        (first_day.isoformat(), False),
        (moved.isoformat(), True),
    ]
    assert sessions_arranged[0]["referral_id"] == str(mine.referral_id)

    session = _session(today, minutes=45)
    given = await slt.post(f"{path}/sessions", json=session)
    assert given.status_code == 201, given.text
    repeat = await slt.post(f"{path}/sessions", json=session)
    assert repeat.status_code == 200  # the same id: the first answer, nothing more
    future = await slt.post(f"{path}/sessions", json=_session(today + timedelta(days=1)))
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"][-1] == "given_on"
    detail = (await slt.get(path)).json()
    assert detail["sessions_given"] == 1
    assert detail["minutes_given"] == 45
    assert [s["provision_id"] for s in detail["sessions"]] == ["provision-1"]

    ended = await slt.post(f"{path}/end", json={"reason": "support_completed"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    assert ended.json()["end_reason"] == "support_completed"
    [end_event] = await _outbox(owner, "allocation-ended")
    assert end_event["allocation_id"] == str(mine.allocation_id)
    assert (await slt.post(f"{path}/end", json={"reason": "family_declined"})).status_code == 409
    late = await slt.post(f"{path}/sessions", json=_session(today))
    assert late.status_code == 409
    assert (await slt.get("/v1/caseload")).json() == []
    assert len((await slt.get("/v1/caseload", params={"ended": "true"})).json()) == 1

    audited = await owner.fetch(
        """SELECT action, resource FROM audit_log WHERE referral_id = $1
           AND actor NOT LIKE 'system:%' AND action <> 'read' ORDER BY id""",
        mine.referral_id,
    )
    assert [(r["action"], r["resource"]) for r in audited] == [
        ("update", "allocation"),  # accepted
        ("update", "allocation"),  # the first session
        ("update", "allocation"),  # its new day
        ("create", "session"),
        ("update", "allocation"),  # ended
    ]


def _asked(line_id: str, role: Specialism, section: str = "F") -> ProvisionAsked:
    return ProvisionAsked.model_validate(
        {"id": line_id, "section": section, "role": role, "support": f"support of {line_id}",
         "sessions_per_week": 1, "minutes_per_session": 30, "weeks": 12, "group_size": 1,
         "where": "a quiet room at school"}
    )  # fmt: skip


async def test_the_practitioner_sees_what_the_plan_asks_of_their_role_and_records_against_it(
    owner: asyncpg.Connection, pool: asyncpg.Pool, signed_in: dict[str, httpx.AsyncClient]
) -> None:
    slt, ot = Specialism.SPEECH_AND_LANGUAGE_THERAPY, Specialism.OCCUPATIONAL_THERAPY
    mine = await _allocated(
        pool,
        roles=[slt, ot],
        provision=[
            _asked("provision-1", slt),
            _asked("provision-2", ot),
            _asked("health-1", slt, "G"),
        ],
    )
    client = signed_in["leeds-slt"]
    path = f"/v1/caseload/{mine.allocation_id}"
    case = (await client.get(path)).json()
    assert [(p["id"], p["section"], p["support"]) for p in case["provision"]] == [
        ("provision-1", "F", "support of provision-1"),
        ("health-1", "G", "support of health-1"),
    ]  # the occupational therapist's line is not the speech and language therapist's
    assert case["provision"][0]["minutes_per_session"] == 30
    [listed] = (await client.get("/v1/caseload")).json()
    assert [p["id"] for p in listed["provision"]] == ["provision-1", "health-1"]
    assert (await client.post(f"{path}/accept")).status_code == 200

    # A session against another role's line, or a line the plan does not have: 422, nothing kept.
    for wrong in ("provision-2", "provision-9"):
        refused = await client.post(
            f"{path}/sessions", json=_session(london_today(), provision=wrong)
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"][-1] == "provision_id"
    assert await owner.fetchval("SELECT count(*) FROM sessions_given") == 0
    given = await client.post(
        f"{path}/sessions", json=_session(london_today(), provision="health-1")
    )
    assert given.status_code == 201, given.text
    [session] = (await client.get(path)).json()["sessions"]
    assert session["provision_id"] == "health-1"


async def test_a_plan_drafted_before_provision_was_sent_takes_any_line(
    owner: asyncpg.Connection, pool: asyncpg.Pool, signed_in: dict[str, httpx.AsyncClient]
) -> None:
    mine = await _allocated(pool)  # an older plans: no provision in its event
    client = signed_in["leeds-slt"]
    path = f"/v1/caseload/{mine.allocation_id}"
    assert (await client.get(path)).json()["provision"] == []
    assert (await client.post(f"{path}/accept")).status_code == 200
    given = await client.post(f"{path}/sessions", json=_session(london_today(), provision="x-1"))
    assert given.status_code == 201, given.text


async def test_ending_their_allocation_offers_its_places_to_the_waitlist(
    owner: asyncpg.Connection, pool: asyncpg.Pool, signed_in: dict[str, httpx.AsyncClient]
) -> None:
    mine = await _allocated(pool)
    await owner.execute(  # every team of the role full
        "UPDATE specialists SET allocated_weight = capacity"
        " WHERE specialism = 'speech_and_language_therapy'"
    )
    waiting = plan(district="LS6")
    [waitlisted, *_] = await handle(pool, waiting)
    assert waitlisted.name == "referral-waitlisted"

    ended = await signed_in["leeds-slt"].post(
        f"/v1/caseload/{mine.allocation_id}/end", json={"reason": "child_moved"}
    )
    assert ended.status_code == 200, ended.text

    offered = [e for e in await _outbox(owner, "specialist-assigned") if e["from_waitlist"]]
    assert [e["referral_id"] for e in offered] == [str(waiting.referral_id)]
    caseload = (await signed_in["leeds-slt"].get("/v1/caseload")).json()
    assert [c["referral_id"] for c in caseload] == [str(waiting.referral_id)]


async def test_a_council_member_of_staff_has_no_caseload_of_their_own(
    signed_in: dict[str, httpx.AsyncClient],
) -> None:
    assert (await signed_in["leeds-caseworker"].get("/v1/caseload")).status_code == 403
