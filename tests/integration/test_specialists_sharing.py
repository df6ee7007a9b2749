"""A team shared by several councils, on real PostgreSQL through the service's API: a council's
manager cannot put a team into another council's matching (create, change, import), the team
serves that council only once its manager agrees (recorded and audited), matching and the
waitlist pass never hand it that council's children before, and row-level security holds the
same line for the application role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from specialists.periodic import pass_once

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.councils import ALL, act_for
from shared.events import ReferralWaitlisted
from shared.specialisms import Specialism
from shared.unit_of_work import Work
from tests.conftest import Databases
from tests.integration.specialists_app import (
    BRADFORD,
    LEEDS,
    OUTBOX,
    handle,
    plan,
    specialists_service,
)

PHYSIO = Specialism.PHYSIOTHERAPY  # no seeded team: a Leeds child needing it waits
HEADER = (
    "id,kind,team_id,display_name,role,local_authority,councils,districts,settings,"
    "languages,capacity,working_pattern,active"
)
READ_ONLY = ("id", "allocated", "awaiting_agreement")


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("sharing", "specialists", migrations_of("specialists"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with specialists_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    """The tables' owner, for looking (acting for every council: the agreements' row-level
    security binds their owner too); each test starts with no child waiting and no physio."""
    conn = await asyncpg.connect(owner_url)
    await act_for(conn, ALL, local=False)
    await conn.execute("TRUNCATE sessions_given, allocations, waitlist, referral_needs, outbox")
    await conn.execute("UPDATE specialists SET active = false WHERE specialism = 'physiotherapy'")
    yield conn
    await conn.close()


@pytest.fixture
async def pool(owner_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Connected as the service is: bound by row-level security."""
    found = await asyncpg.create_pool(service_url(owner_url), min_size=1, max_size=4)
    yield found
    await found.close()


@pytest.fixture
async def as_user(
    app: FastAPI, identity: IdentityProvider
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    clients = {}
    for user in ("leeds-manager", "bradford-manager", "leeds-caseworker"):
        token = await fetch_token(identity.issuer, user)
        clients[user] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        )
    yield clients
    for client in clients.values():
        await client.aclose()


def _team(**fields: Any) -> dict[str, Any]:
    """The issue's attack: Bradford commissions a large team serving Leeds's districts."""
    return {
        "display_name": "Leeds physiotherapy",
        "role": str(PHYSIO),
        "local_authority": BRADFORD,
        "councils": [LEEDS],
        "districts": ["LS6", "LS7", "LS10"],
        "capacity": 10_000,
        **fields,
    }


async def _leeds_child_waits(pool: asyncpg.Pool) -> UUID:
    [outcome] = await handle(pool, plan(council=LEEDS, roles=[PHYSIO]))
    assert isinstance(outcome, ReferralWaitlisted), outcome
    return outcome.referral_id


async def _assigned(owner: asyncpg.Connection, entry_id: str) -> set[UUID]:
    rows = await owner.fetch(
        "SELECT referral_id FROM allocations WHERE specialist_id = $1", UUID(entry_id)
    )
    return {r["referral_id"] for r in rows}


async def _waitlist_pass(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await pass_once(conn, Work(lambda: pool, OUTBOX))


async def test_a_team_named_for_another_council_takes_its_children_only_once_it_agrees(
    owner: asyncpg.Connection, pool: asyncpg.Pool, as_user: dict[str, httpx.AsyncClient]
) -> None:
    leeds, bradford = as_user["leeds-manager"], as_user["bradford-manager"]
    waiting = await _leeds_child_waits(pool)
    created = await bradford.post("/v1/registry", json=_team())
    assert created.status_code == 201, created.text
    entry = created.json()

    await _waitlist_pass(pool)  # the periodic pass: still no Leeds child for it
    [later] = await handle(pool, plan(council=LEEDS, roles=[PHYSIO]))  # nor matching
    assert await _assigned(owner, entry["id"]) == set()
    assert isinstance(later, ReferralWaitlisted)
    assert (entry["councils"], entry["awaiting_agreement"]) == ([LEEDS], [LEEDS])
    listed = await as_user["leeds-caseworker"].get(
        "/v1/registry", params={"local_authority": LEEDS}
    )
    assert entry["id"] not in {e["id"] for e in listed.json()}  # not Leeds's registry yet

    asked = await leeds.get("/v1/registry/awaiting-agreement", params={"local_authority": LEEDS})
    assert asked.status_code == 200, asked.text
    assert entry["id"] in {e["id"] for e in asked.json()}
    path = f"/v1/registry/{entry['id']}/agreements"
    assert (await bradford.post(path, json={"local_authority": LEEDS})).status_code == 403
    agreed = await leeds.post(path, json={"local_authority": LEEDS})
    assert agreed.status_code == 200, agreed.text
    assert (agreed.json()["councils"], agreed.json()["awaiting_agreement"]) == ([LEEDS], [])
    assert await _assigned(owner, entry["id"]) == {waiting, later.referral_id}  # at once
    again = await leeds.post(path, json={"local_authority": LEEDS})
    assert (again.status_code, again.json()["awaiting_agreement"]) == (200, [])

    record = await owner.fetch(
        """SELECT local_authority, agreed_by, agreed_at, ended_at FROM registry_agreements
           WHERE entry_id = $1""",
        UUID(entry["id"]),
    )
    assert [(r["local_authority"], r["agreed_by"], r["ended_at"]) for r in record] == [
        (LEEDS, "leeds-manager", None)
    ]
    audited = await owner.fetch(
        """SELECT actor, local_authority FROM audit_log
           WHERE resource = 'registry' AND action = 'agree'"""
    )
    assert ("leeds-manager", LEEDS) in {tuple(r) for r in audited}
    assert ("bradford-manager", LEEDS) not in {tuple(r) for r in audited}


async def test_a_change_adding_a_council_asks_it_again_and_removing_one_needs_nobody(
    owner: asyncpg.Connection, pool: asyncpg.Pool, as_user: dict[str, httpx.AsyncClient]
) -> None:
    leeds, bradford = as_user["leeds-manager"], as_user["bradford-manager"]
    created = await bradford.post(
        "/v1/registry", json=_team(councils=[BRADFORD], districts=["BD1"], capacity=5)
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["councils"], entry["awaiting_agreement"]) == ([BRADFORD], [])
    path = f"/v1/registry/{entry['id']}"
    fields = {k: v for k, v in entry.items() if k not in READ_ONLY}

    grown = await bradford.put(path, json=fields | {"councils": [BRADFORD, LEEDS]})
    assert grown.status_code == 200, grown.text
    assert grown.json()["awaiting_agreement"] == [LEEDS]
    waiting = await _leeds_child_waits(pool)
    assert await _assigned(owner, entry["id"]) == set()
    agreed = await leeds.post(f"{path}/agreements", json={"local_authority": LEEDS})
    assert agreed.json()["awaiting_agreement"] == [], agreed.text
    assert await _assigned(owner, entry["id"]) == {waiting}

    bigger = await bradford.put(path, json=fields | {"councils": [BRADFORD, LEEDS], "capacity": 9})
    assert bigger.json()["awaiting_agreement"] == []  # no council added: Leeds's stands
    shrunk = await bradford.put(path, json=fields | {"councils": [BRADFORD]})
    assert (shrunk.status_code, shrunk.json()["councils"]) == (200, [BRADFORD])
    regrown = await bradford.put(path, json=fields | {"councils": [BRADFORD, LEEDS]})
    assert regrown.json()["awaiting_agreement"] == [LEEDS]  # asked again, not revived
    [later] = await handle(pool, plan(council=LEEDS, roles=[PHYSIO]))
    assert isinstance(later, ReferralWaitlisted)

    ended = await owner.fetch(
        """SELECT ended_by FROM registry_agreements
           WHERE entry_id = $1 AND local_authority = $2 ORDER BY id""",
        UUID(entry["id"]),
        LEEDS,
    )
    assert [r["ended_by"] for r in ended] == ["bradford-manager"]  # ended by the removal


async def test_an_agreement_ends_when_the_team_takes_another_role(
    owner: asyncpg.Connection, as_user: dict[str, httpx.AsyncClient]
) -> None:
    leeds, bradford = as_user["leeds-manager"], as_user["bradford-manager"]
    entry = (await bradford.post("/v1/registry", json=_team(councils=[BRADFORD, LEEDS]))).json()
    path = f"/v1/registry/{entry['id']}"
    assert (
        await leeds.post(f"{path}/agreements", json={"local_authority": LEEDS})
    ).status_code == 200
    fields = {k: v for k, v in entry.items() if k not in READ_ONLY}
    changed = await bradford.put(path, json=fields | {"role": str(Specialism.AUTISM_OUTREACH)})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["councils"], changed.json()["awaiting_agreement"]) == (
        [BRADFORD, LEEDS],
        [LEEDS],
    )


async def test_the_other_council_can_withdraw_but_never_change_or_retire_the_team(
    owner: asyncpg.Connection, pool: asyncpg.Pool, as_user: dict[str, httpx.AsyncClient]
) -> None:
    leeds, bradford = as_user["leeds-manager"], as_user["bradford-manager"]
    entry = (await bradford.post("/v1/registry", json=_team())).json()
    path = f"/v1/registry/{entry['id']}"
    assert (
        await leeds.post(f"{path}/agreements", json={"local_authority": LEEDS})
    ).status_code == 200
    fields = {k: v for k, v in entry.items() if k not in READ_ONLY}
    assert (await leeds.put(path, json=fields | {"capacity": 1})).status_code == 403
    assert (await leeds.post(f"{path}/retire")).status_code == 403
    assert (await bradford.delete(f"{path}/agreements/{LEEDS}")).status_code == 403

    withdrawn = await leeds.delete(f"{path}/agreements/{LEEDS}")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["awaiting_agreement"] == [LEEDS]
    assert (await leeds.delete(f"{path}/agreements/{LEEDS}")).status_code == 409
    await _leeds_child_waits(pool)
    await _waitlist_pass(pool)
    assert await _assigned(owner, entry["id"]) == set()
    audited = await owner.fetchval(
        """SELECT count(*) FROM audit_log WHERE action = 'withdraw' AND actor = 'leeds-manager'
             AND local_authority = $1""",
        LEEDS,
    )
    assert audited == 1


async def test_the_import_cannot_put_a_team_into_another_councils_matching(
    owner: asyncpg.Connection, pool: asyncpg.Pool, as_user: dict[str, httpx.AsyncClient]
) -> None:
    bradford = as_user["bradford-manager"]
    team = str(uuid4())
    row = f"{team},team,,Leeds physio,physiotherapy,{BRADFORD},{LEEDS},LS6 LS7,,en,10000,,true"
    imported = await bradford.post(
        "/v1/registry/import",
        content=f"{HEADER}\n{row}".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    await _leeds_child_waits(pool)
    await _waitlist_pass(pool)
    assert await _assigned(owner, team) == set()
    assert imported.json()[0]["awaiting_agreement"] == [LEEDS]

    # A Leeds entry's id, unseen by Bradford: refused by line and field (it was a 500).
    hidden = "5b1c0c4e-0000-4000-8000-000000000002"
    row = f"{hidden},team,,Mine now,physiotherapy,{BRADFORD},{BRADFORD},BD1,,en,5,,true"
    refused = await bradford.post(
        "/v1/registry/import",
        content=f"{HEADER}\n{row}".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert refused.status_code == 422, refused.text
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "line 2", "id"]]
    name = await owner.fetchval("SELECT display_name FROM specialists WHERE id = $1", hidden)
    assert name == "Leeds South SLT team"
    created = await bradford.post(
        "/v1/registry", json=_team(id=hidden, councils=[BRADFORD], districts=["BD1"])
    )
    assert created.status_code == 409, created.text


async def _acting_for(conn: asyncpg.Connection, council: str, sql: str, *args: Any) -> Any:
    """``sql`` in a transaction of its own, acting for ``council``."""
    async with conn.transaction():
        await act_for(conn, [council])
        return await conn.fetchval(sql, *args)


async def test_row_level_security_keeps_entries_and_agreements_to_their_councils(
    owner_url: str,
) -> None:
    """Through the application role: a Bradford transaction cannot create an entry that
    Leeds commissions (even naming Bradford among the councils served), nor record Leeds's
    agreement to a Bradford entry; Leeds sees an entry asking it to agree."""
    service = await asyncpg.connect(service_url(owner_url))
    insert = """INSERT INTO specialists (id, display_name, specialism, local_authority,
                    councils, awaiting_councils, districts, capacity)
                VALUES ($1, 'A team', 'physiotherapy', $2, $3, $4, '{LS6}', 1000)"""
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await _acting_for(service, BRADFORD, insert, uuid4(), LEEDS, [LEEDS, BRADFORD], [])
        entry = uuid4()
        await _acting_for(service, BRADFORD, insert, entry, BRADFORD, [BRADFORD], [LEEDS])
        agreement = """INSERT INTO registry_agreements (entry_id, local_authority, agreed_by)
                       VALUES ($1, $2, 'bradford-manager')"""
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await _acting_for(service, BRADFORD, agreement, entry, LEEDS)
        seen = "SELECT count(*) FROM specialists WHERE id = $1"
        assert await _acting_for(service, LEEDS, seen, entry) == 1  # asked: seen, to agree
    finally:
        await service.close()
