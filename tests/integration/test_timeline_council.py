"""A step on the timeline carries its referral's council (migration 0077), filled in when the
step is written, and the timeline's policy asks only that: a council's session writes and reads
its own referrals' steps, never another's. On real PostgreSQL, as the services' role."""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg
import pytest

from scripts.platform import migrations_of, service_url
from shared.councils import ALL, act_for
from tests.conftest import Databases
from tests.integration.referrals_app import BRADFORD, LEEDS

_STEP = """INSERT INTO timeline (referral_id, event_id, step, service, occurred_at)
           VALUES ($1, $2, 'plan_drafted', 'plans', now())"""


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("timelinecouncil", "referrals", migrations_of("referrals"))


async def _bradford_referral(owner_url: str) -> UUID:
    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction():
            await act_for(conn, ALL)
            child = await conn.fetchval(
                """INSERT INTO children (id, given_name, family_name, name_key, date_of_birth,
                       postcode, local_authority)
                   VALUES (gen_random_uuid(), 'Given', 'Family', 'given family',
                           date '2016-01-01', 'BD1 1AA', $1) RETURNING id""",
                BRADFORD,
            )
            referral: UUID = await conn.fetchval(
                """INSERT INTO referrals (id, child_id, local_authority, requested_by,
                       primary_need, postcode_district, received_on, status)
                   VALUES (gen_random_uuid(), $1, $2, 'school', 'speech', 'BD1', current_date,
                           'received') RETURNING id""",
                child,
                BRADFORD,
            )
        return referral
    finally:
        await conn.close()


async def test_a_step_is_written_with_its_referrals_council_and_only_by_it(
    owner_url: str,
) -> None:
    referral = await _bradford_referral(owner_url)
    service = await asyncpg.connect(service_url(owner_url))
    try:
        async with service.transaction():
            await act_for(service, [LEEDS])
            with pytest.raises(asyncpg.InsufficientPrivilegeError):  # row-level security
                await service.execute(_STEP, referral, uuid4())
        async with service.transaction():
            await act_for(service, [BRADFORD])
            await service.execute(_STEP, referral, uuid4())
            council = await service.fetchval(
                "SELECT local_authority FROM timeline WHERE referral_id = $1", referral
            )
        assert council == BRADFORD
        async with service.transaction():
            await act_for(service, [LEEDS])
            assert await service.fetchval("SELECT count(*) FROM timeline") == 0
    finally:
        await service.close()
