"""Council boundaries are kept by PostgreSQL itself (row-level security), the audit trail is
append-only for the services, and retention erases what is past its time."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import date
from types import SimpleNamespace
from typing import cast
from uuid import UUID, uuid4

import asyncpg
import pytest
from referrals.app import PUBLISHES
from referrals.retention import erase_past_retention

from scripts.platform import migrations_of, service_url
from shared.councils import act_for
from shared.db import Connection, Database
from shared.events import ChildDetailsErased, Envelope
from shared.http import connection
from shared.migrations import owner_connection
from shared.outbox import Outbox
from shared.state import install
from tests.app_state import bare_state
from tests.conftest import Databases
from tests.handling import units_of_work

LEEDS, BRADFORD = "E08000035", "E08000032"
WORK = units_of_work(Outbox(source="/send-platform/referrals", declared=PUBLISHES))


@pytest.fixture(scope="module")
async def referrals_url(databases: Databases) -> str:
    """The owner's URL of a fresh referrals database (migrations run as the owner)."""
    return await databases.fresh("boundaries", "referrals", migrations_of("referrals"))


@pytest.fixture
async def owner(referrals_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(referrals_url)
    await conn.execute(
        "TRUNCATE timeline, referrals, children, audit_log, ehc_requests, deadlines CASCADE"
    )
    yield conn
    await conn.close()


@pytest.fixture
async def service(referrals_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Connected as the services are: the application role, bound by row-level security."""
    conn = await asyncpg.connect(service_url(referrals_url))
    yield conn
    await conn.close()


async def _referral(
    owner: asyncpg.Connection, council: str, born: date = date(2019, 3, 14)
) -> UUID:
    child_id, referral_id = uuid4(), uuid4()
    await owner.execute(
        """INSERT INTO children (id, nhs_number, given_name, family_name, name_key, date_of_birth,
               postcode, local_authority)
           VALUES ($1, NULL, 'Ann', 'Example', 'ann example', $2, 'LS6 2AB', $3)""",
        child_id,
        born,
        council,
    )
    await owner.execute(
        """INSERT INTO referrals (id, child_id, local_authority, requested_by, primary_need,
               postcode_district, received_on, status)
           VALUES ($1, $2, $3, 'school', 'SLCN', 'LS6', '2026-01-05', 'referral_received')""",
        referral_id,
        child_id,
        council,
    )
    await owner.execute(
        """INSERT INTO timeline (referral_id, event_id, step, service, occurred_at)
           VALUES ($1, $2, 'referral_received', 'referrals', now())""",
        referral_id,
        uuid4(),
    )
    return referral_id


async def _execute_for(service: asyncpg.Connection, council: str, sql: str, *args: object) -> str:
    async with service.transaction():
        await act_for(service, [council])
        return str(await service.execute(sql, *args))


async def _visible(service: asyncpg.Connection) -> dict[str, int]:
    return {
        table: await service.fetchval(f"SELECT count(*) FROM {table}")
        for table in ("children", "referrals", "timeline")
    }


async def test_the_application_role_sees_nothing_without_a_council(
    owner: asyncpg.Connection, service: asyncpg.Connection
) -> None:
    await _referral(owner, LEEDS)
    assert await _visible(service) == {"children": 0, "referrals": 0, "timeline": 0}


async def test_a_council_sees_its_own_rows_and_never_another_councils(
    owner: asyncpg.Connection, service: asyncpg.Connection
) -> None:
    leeds = await _referral(owner, LEEDS)
    await _referral(owner, BRADFORD)
    async with service.transaction():
        await act_for(service, [LEEDS])
        assert await _visible(service) == {"children": 1, "referrals": 1, "timeline": 1}
        assert await service.fetchval("SELECT id FROM referrals") == leeds
    async with service.transaction():
        await act_for(service, [LEEDS, BRADFORD])  # a partner serving both
        assert (await _visible(service))["referrals"] == 2


async def test_a_council_cannot_write_another_councils_rows(
    owner: asyncpg.Connection, service: asyncpg.Connection
) -> None:
    bradford = await _referral(owner, BRADFORD)
    async with service.transaction():
        await act_for(service, [LEEDS])
        moved = await service.execute(
            "UPDATE referrals SET status = 'plan_drafted' WHERE id = $1", bradford
        )
        assert moved == "UPDATE 0"  # invisible, so untouched
    insert = """INSERT INTO children (id, given_name, family_name, name_key, date_of_birth,
                    postcode, local_authority)
                VALUES ($1, 'A', 'B', 'a b', '2019-01-01', 'BD1 1AA', $2)"""
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await _execute_for(service, LEEDS, insert, uuid4(), BRADFORD)


async def test_the_audit_trail_is_append_only_for_the_services(
    owner: asyncpg.Connection, service: asyncpg.Connection
) -> None:
    async with service.transaction():
        await act_for(service, [LEEDS])
        await service.execute(
            """INSERT INTO audit_log (actor, roles, local_authority, action, resource)
               VALUES ('someone', '{caseworker}', $1, 'read', 'referral')""",
            LEEDS,
        )
    for tampering in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await _execute_for(service, LEEDS, tampering)
    assert await owner.fetchval("SELECT actor FROM audit_log") == "someone"


async def test_retention_erases_personal_details_past_the_period_and_audits_it(
    owner: asyncpg.Connection, service: asyncpg.Connection
) -> None:
    old = await _referral(owner, LEEDS, born=date(1990, 1, 1))
    young = await _referral(owner, BRADFORD, born=date(2019, 1, 1))
    await owner.execute("TRUNCATE outbox")

    erased = await erase_past_retention(WORK, service, today=date(2026, 11, 29), years=31)
    again = await erase_past_retention(WORK, service, today=date(2026, 11, 29), years=31)

    assert (erased, again) == (1, 0)
    children = {
        r["id"]: r
        for r in await owner.fetch(
            """SELECT r.id, c.given_name, c.family_name, c.name_key, c.postcode, c.erased_at
               FROM referrals r JOIN children c ON c.id = r.child_id"""
        )
    }
    assert (children[old]["given_name"], children[old]["postcode"]) == ("erased", "LS6")
    assert children[old]["name_key"] == "erased"  # the name in its compared form too
    assert children[old]["erased_at"] is not None
    assert children[young]["given_name"] == "Ann"
    entry = await owner.fetchrow(
        "SELECT actor, action, referral_id, local_authority FROM audit_log"
    )
    assert entry is not None
    assert tuple(entry) == ("system:retention", "erase", old, LEEDS)
    assert await _erasures_published(owner) == [(old, LEEDS)]


async def test_each_council_has_its_own_retention_period_and_every_erasure_is_published(
    owner: asyncpg.Connection, service: asyncpg.Connection
) -> None:
    """Leeds keeps records 31 years after birth (the default), Bradford 20: a child born in
    2000 is past Bradford's period, not Leeds's."""
    leeds = await _referral(owner, LEEDS, born=date(2000, 6, 1))
    bradford = await _referral(owner, BRADFORD, born=date(2000, 6, 1))
    bradford_young = await _referral(owner, BRADFORD, born=date(2010, 6, 1))
    await owner.execute("TRUNCATE outbox")
    policy = {BRADFORD: 20}

    erased = await erase_past_retention(
        WORK, service, today=date(2026, 11, 29), years=31, by_council=policy
    )

    assert erased == 1
    names = {
        r["id"]: r["given_name"]
        for r in await owner.fetch(
            "SELECT r.id, c.given_name FROM referrals r JOIN children c ON c.id = r.child_id"
        )
    }
    assert names == {leeds: "Ann", bradford: "erased", bradford_young: "Ann"}
    assert await _erasures_published(owner) == [(bradford, BRADFORD)]
    assert await erase_past_retention(
        WORK, service, today=date(2026, 11, 29), years=31, by_council=policy
    ) == 0  # fmt: skip
    assert len(await _erasures_published(owner)) == 1  # published once


async def _erasures_published(owner: asyncpg.Connection) -> list[tuple[UUID, str]]:
    """The ChildDetailsErased events in the outbox: ids, council and day only."""
    found = []
    for row in await owner.fetch(
        "SELECT envelope::text FROM outbox WHERE topic = $1 ORDER BY id",
        ChildDetailsErased.topic(),
    ):
        envelope = Envelope[ChildDetailsErased].model_validate_json(row["envelope"])
        assert set(envelope.data.model_dump()) == {"referral_id", "local_authority", "erased_on"}
        assert envelope.localauthority == envelope.data.local_authority
        found.append((envelope.data.referral_id, envelope.data.local_authority))
    return found


async def test_a_pooled_connection_goes_back_to_the_pool_acting_for_no_council(
    owner: asyncpg.Connection, referrals_url: str
) -> None:
    """Requests act for the caller's councils for the connection's session (shared.http): the
    pool's reset (RESET ALL, after rolling back whatever transaction was left open) must leave
    the next request on the same connection acting for nobody."""
    await _referral(owner, LEEDS)
    database = Database(service_url(referrals_url), max_size=1)  # one connection: reused
    await database.open()
    try:
        request = SimpleNamespace(
            app=_app_of(database),
            state=SimpleNamespace(principal=SimpleNamespace(councils=(LEEDS,))),
        )
        for left_open in (False, True):
            requested = cast(
                "AsyncGenerator[Connection, None]",
                connection(request),  # type: ignore[arg-type]  # what FastAPI passes
            )
            conn = await anext(requested)
            pid = conn.get_server_pid()
            assert await conn.fetchval("SELECT count(*) FROM referrals") == 1
            if left_open:  # a route that failed inside its transaction
                await conn.transaction().start()
                await act_for(conn, [LEEDS, BRADFORD])
            await requested.aclose()  # the request is over: the connection goes back

            async with database.pool().acquire() as reused:
                assert reused.get_server_pid() == pid
                assert not await reused.fetchval(
                    "SELECT current_setting('send.local_authorities', true)"
                )
                assert await reused.fetchval("SELECT count(*) FROM referrals") == 0
    finally:
        await database.close()


_ONE_LEEDS_ROW = {  # as the owner: a row of children's data in each service's database
    "plans": """INSERT INTO support_plans (id, referral_id, local_authority, primary_need,
                    area_of_need, specialism, status, sections)
                VALUES (gen_random_uuid(), gen_random_uuid(), $1, 'SLCN',
                    'communication and interaction', 'speech_and_language_therapy', 'draft',
                    '{}')""",
    "specialists": """INSERT INTO waitlist (referral_id, plan_id, role, local_authority)
                      VALUES (gen_random_uuid(), gen_random_uuid(),
                          'speech_and_language_therapy', $1)""",
    "notifications": """INSERT INTO family_contacts (referral_id, contact_name, email,
                            preferred_channel, local_authority)
                        VALUES (gen_random_uuid(), 'Alex Example', 'alex@example.org',
                            'email', $1)""",
}
_SEEDED = {"plans": "support_plans", "specialists": "waitlist", "notifications": "family_contacts"}


@pytest.mark.parametrize("service_name", sorted(_ONE_LEEDS_ROW))
async def test_every_services_application_role_sees_nothing_without_a_council(
    databases: Databases, service_name: str
) -> None:
    """As for referrals above, in the plans, specialists and notifications databases: every
    table holding a council's rows has row-level security, and a raw query through the
    application role without the council setting returns no rows from any of them."""
    url = await databases.fresh(
        f"boundaries-{service_name}", service_name, migrations_of(service_name)
    )
    owner = await owner_connection(url)
    service = await asyncpg.connect(service_url(url))
    try:
        await owner.execute(_ONE_LEEDS_ROW[service_name], LEEDS)
        unprotected = await owner.fetch(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity
                 AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                             AND a.attname = 'local_authority' AND NOT a.attisdropped)"""
        )
        assert [r["relname"] for r in unprotected] == []
        protected = [
            r["relname"]
            for r in await owner.fetch(
                """SELECT c.relname FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity"""
            )
        ]
        assert _SEEDED[service_name] in protected
        owned = {t: await owner.fetchval(f"SELECT count(*) FROM {t}") for t in protected}
        assert owned[_SEEDED[service_name]] >= 1

        seen = {t: await service.fetchval(f"SELECT count(*) FROM {t}") for t in protected}
        assert seen == dict.fromkeys(protected, 0)
        async with service.transaction():
            await act_for(service, [BRADFORD])
            assert await service.fetchval(f"SELECT count(*) FROM {_SEEDED[service_name]}") == 0
        async with service.transaction():
            await act_for(service, [LEEDS])
            assert await service.fetchval(f"SELECT count(*) FROM {_SEEDED[service_name]}") == 1
    finally:
        await service.close()
        await owner.close()


def _app_of(database: Database) -> object:
    """An app whose state holds ``database`` (all ``connection`` reads of it)."""
    app = SimpleNamespace(state=SimpleNamespace())
    install(app, bare_state(database))
    return app
