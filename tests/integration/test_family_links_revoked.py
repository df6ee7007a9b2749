"""A caseworker revokes a family's links in referrals: the family view links to the plan
page, the revocation leaves referrals as a FamilyLinksRevoked event (its outbox), and once
plans has consumed it the old link no longer opens the plan (real PostgreSQL, both
services' databases; the event is handed from one outbox to the other handler)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest
from plans.handlers import stop_revoked_family_links

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.councils import act_for
from shared.events import Envelope, FamilyLinksRevoked
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.conftest import wait_for
from tests.integration.plans_family import LEEDS, link, plans_service, seed_plan
from tests.integration.referrals_app import referral_body, referrals_service, signed_in
from tests.plan_documents import plans_by_area


@pytest.fixture(scope="module")
async def urls(databases: Databases) -> dict[str, str]:
    return {
        "referrals": await databases.fresh(
            "revoke-referrals", "referrals", migrations_of("referrals")
        ),
        "plans": await databases.fresh("revoke-plans", "plans", migrations_of("plans")),
    }


async def _revocations(referrals_url: str, referral_id: UUID) -> list[Envelope[FamilyLinksRevoked]]:
    conn = await owner_connection(referrals_url)
    try:
        rows = await conn.fetch(
            "SELECT envelope FROM outbox WHERE key = $1 AND topic = $2 ORDER BY id",
            str(referral_id),
            FamilyLinksRevoked.topic(),
        )
    finally:
        await conn.close()
    return [Envelope[FamilyLinksRevoked].model_validate(json.loads(r["envelope"])) for r in rows]


async def test_a_revoked_link_stops_opening_the_plan_once_plans_hears_of_it(
    urls: dict[str, str], identity: IdentityProvider
) -> None:
    async with (
        referrals_service(urls["referrals"], identity) as referrals,
        plans_service(urls["plans"], identity) as plans,
    ):
        caseworker = await signed_in(referrals, identity, "leeds-caseworker")
        async with caseworker:
            created = await caseworker.post("/v1/referrals", json=referral_body())
            assert created.status_code == 201, created.text
            referral_id = UUID(created.json()["id"])
            await seed_plan(
                urls["plans"],
                plans_by_area()["cognition-and-learning"],
                referral_id=referral_id,
            )
            token = link(referral_id)
            family = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=referrals), base_url="http://test"
            )
            reader = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=plans), base_url="http://test"
            )
            async with family, reader:
                view = (await family.get(f"/v1/family/{token}")).json()
                assert view["plan"] == {
                    "text": "Read your child's plan",
                    "href": f"http://127.0.0.1:8002/v1/family/{token}/plan",
                }
                assert (await reader.get(f"/v1/family/{token}/plan")).status_code == 200

                revoked = await caseworker.post(f"/v1/referrals/{referral_id}/family-link/revoke")
                assert revoked.status_code == 204
                assert (await family.get(f"/v1/family/{token}")).status_code == 401
                (event,) = await _revocations(urls["referrals"], referral_id)
                assert event.data.referral_id == referral_id
                assert event.data.local_authority == LEEDS
                assert set(event.data.model_dump()) == {
                    "referral_id", "local_authority", "revoked_at"
                }  # fmt: skip  # ids and the moment only

                # Until plans consumes it the link still opens the plan; then it does not.
                assert (await reader.get(f"/v1/family/{token}/plan")).status_code == 200
                conn = await asyncpg.connect(service_url(urls["plans"]))
                try:
                    async with conn.transaction():
                        await act_for(conn, [LEEDS])
                        assert await stop_revoked_family_links(event, conn) == []
                        await stop_revoked_family_links(event, conn)  # a repeat changes nothing
                finally:
                    await conn.close()
                refused = await reader.get(f"/v1/family/{token}/plan")
                assert refused.status_code == 401
                assert "withdrawn" in refused.json()["detail"]
                # Links carry whole seconds: one minted from the next second on opens both.
                next_second = event.data.revoked_at + timedelta(seconds=1)

                async def next_second_came() -> bool:
                    return datetime.now(UTC) >= next_second

                await wait_for(next_second_came, what="the second after the revocation")
                fresh = link(referral_id)
                assert (await family.get(f"/v1/family/{fresh}")).status_code == 200
                assert (await reader.get(f"/v1/family/{fresh}/plan")).status_code == 200
