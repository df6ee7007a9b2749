"""A school's SENCo reads their pupils' plans in plans (real PostgreSQL for both services, the
application role, signed in through the development identity provider as the seed's SENCos of
two Leeds schools). Plans learns the pupil's school from the referral received: the event a
caseworker's referral puts in referrals' outbox is handed to plans' handler as its consumer
hands it, and the SENCo of the school it names reads the plan (read only, audited) while the
SENCo of another school, and a referral naming no school, get the same "not found"."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from fastapi import FastAPI

from devtools.dev_identity_seed import LEEDS_SCHOOL_URN, OTHER_LEEDS_SCHOOL_URN
from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.events import Envelope, ReferralReceived
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_app import handled, plans_service
from tests.integration.referrals_app import referral_body, referrals_service, signed_in


@pytest.fixture(scope="module")
async def urls(databases: Databases) -> dict[str, str]:
    return {
        "referrals": await databases.fresh(
            "school-plans-referrals", "referrals", migrations_of("referrals")
        ),
        "plans": await databases.fresh("school-plans", "plans", migrations_of("plans")),
    }


@pytest.fixture(scope="module")
async def apps(
    urls: dict[str, str], identity: IdentityProvider
) -> AsyncIterator[dict[str, FastAPI]]:
    async with (
        referrals_service(urls["referrals"], identity) as referrals,
        plans_service(urls["plans"], identity) as plans,
    ):
        yield {"referrals": referrals, "plans": plans}


async def _referred_and_drafted(
    urls: dict[str, str], apps: dict[str, FastAPI], identity: IdentityProvider, **child: Any
) -> UUID:
    """A caseworker's referral in referrals, its ReferralReceived handed to plans' handler."""
    async with await signed_in(apps["referrals"], identity, "leeds-caseworker") as caseworker:
        created = await caseworker.post("/v1/referrals", json=referral_body(**child))
    assert created.status_code == 201, created.text
    referral_id = UUID(created.json()["id"])
    conn = await owner_connection(urls["referrals"])
    try:
        envelope = await conn.fetchval(
            "SELECT envelope FROM outbox WHERE key = $1 AND topic = $2",
            str(referral_id),
            ReferralReceived.topic(),
        )
    finally:
        await conn.close()
    received = Envelope[ReferralReceived].model_validate(json.loads(envelope))
    plans = await asyncpg.connect(service_url(urls["plans"]))
    try:
        async with plans.transaction():
            await handled(plans, received)
    finally:
        await plans.close()
    return referral_id


async def _plan_reads(plans_url: str, referral_id: UUID) -> list[asyncpg.Record]:
    conn = await owner_connection(plans_url)
    try:
        return await conn.fetch(
            "SELECT actor, roles FROM audit_log WHERE referral_id = $1 AND action = 'read' "
            "AND resource = 'plan'",
            referral_id,
        )
    finally:
        await conn.close()


async def test_a_senco_reads_their_pupils_plan_and_nothing_of_another_schools(
    urls: dict[str, str], apps: dict[str, FastAPI], identity: IdentityProvider
) -> None:
    mine = await _referred_and_drafted(urls, apps, identity, school_urn=LEEDS_SCHOOL_URN)
    theirs = await _referred_and_drafted(urls, apps, identity, school_urn=OTHER_LEEDS_SCHOOL_URN)
    no_school = await _referred_and_drafted(urls, apps, identity)

    async with await signed_in(apps["plans"], identity, "leeds-senco") as senco:
        read = await senco.get(f"/v1/school/pupils/{mine}/plan")
        assert read.status_code == 200, read.text
        plan = read.json()
        assert plan["referral_id"] == str(mine)
        assert plan["sections"]["B"], "the plan's needs are shown"
        assert "checks" not in plan, "the council's quality checks are not the school's"
        for other in (theirs, no_school):
            refused = await senco.get(f"/v1/school/pupils/{other}/plan")
            assert refused.status_code == 404, refused.text
        # Read only, and never through the caseworkers' route.
        assert (await senco.get(f"/v1/referrals/{mine}/plan")).status_code == 403
        section = await senco.put(
            f"/v1/referrals/{mine}/plan/sections/A",
            json={"content": {}, "reason": "school edit"},
        )
        assert section.status_code == 403

    async with await signed_in(apps["plans"], identity, "leeds-senco-2") as other_senco:
        assert (await other_senco.get(f"/v1/school/pupils/{theirs}/plan")).status_code == 200
        assert (await other_senco.get(f"/v1/school/pupils/{mine}/plan")).status_code == 404

    [audited] = await _plan_reads(urls["plans"], mine)
    assert audited["actor"] == "leeds-senco"
    assert "school" in audited["roles"]
    assert await _plan_reads(urls["plans"], theirs) != []  # the other SENCo's own read


async def test_a_caseworker_cannot_read_a_plan_through_the_schools_route(
    urls: dict[str, str], apps: dict[str, FastAPI], identity: IdentityProvider
) -> None:
    mine = await _referred_and_drafted(urls, apps, identity, school_urn=LEEDS_SCHOOL_URN)
    async with await signed_in(apps["plans"], identity, "leeds-caseworker") as caseworker:
        assert (await caseworker.get(f"/v1/school/pupils/{mine}/plan")).status_code == 403
