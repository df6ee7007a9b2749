"""A caseworker revokes a family's links in referrals: the family view links to the plan
page, the revocation leaves referrals as a FamilyLinksRevoked event (its outbox), and once
plans has consumed it the old link no longer opens the plan (real PostgreSQL, both
services' databases; the event is handed from one outbox to the other handler)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.events import Envelope, FamilyLinksRevoked
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.conftest import wait_for
from tests.integration.plans_app import handled
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
                    "href": f"http://127.0.0.1:8005/family/{token}/plan",  # the workspace's
                }
                assert (await reader.get(f"/v1/family/{token}/plan")).status_code == 200

                revoked = await caseworker.post(f"/v1/referrals/{referral_id}/family-link/revoke")
                assert revoked.status_code == 204
                assert (await family.get(f"/v1/family/{token}")).status_code == 401
                (event,) = await _revocations(urls["referrals"], referral_id)
                assert event.data.referral_id == referral_id
                assert event.data.local_authority == LEEDS
                assert set(event.data.model_dump()) == {
                    "referral_id", "local_authority", "revoked_at", "generation"
                }  # fmt: skip  # ids, the moment and a count only
                assert event.data.generation == 1

                # Until plans consumes it the link still opens the plan; then it does not.
                assert (await reader.get(f"/v1/family/{token}/plan")).status_code == 200
                conn = await asyncpg.connect(service_url(urls["plans"]))
                try:
                    async with conn.transaction():
                        await handled(conn, event, event)  # a repeat changes nothing
                        caused = "SELECT count(*) FROM outbox WHERE key = $1"
                        assert await conn.fetchval(caused, str(referral_id)) == 0
                finally:
                    await conn.close()
                refused = await reader.get(f"/v1/family/{token}/plan")
                assert refused.status_code == 401
                assert "withdrawn" in refused.json()["detail"]
                # A link of the new generation opens both at once, even one made in the
                # revocation's own second (before, links had to wait for the next second).
                fresh = link(referral_id, generation=1, now=event.data.revoked_at)
                assert (await family.get(f"/v1/family/{fresh}")).status_code == 200
                assert (await reader.get(f"/v1/family/{fresh}/plan")).status_code == 200


async def _hand_to_plans(plans_url: str, event: Envelope[FamilyLinksRevoked]) -> None:
    conn = await asyncpg.connect(service_url(plans_url))
    try:
        async with conn.transaction():
            await handled(conn, event)
    finally:
        await conn.close()


@dataclass
class Revoking:
    """A referral with a plan, its caseworker, and what its links open in both services."""

    urls: dict[str, str]
    referral_id: UUID
    caseworker: httpx.AsyncClient
    family: httpx.AsyncClient
    reader: httpx.AsyncClient

    async def opens(self, token: str) -> tuple[int, int]:
        """The family view's answer to ``token`` and the plan page's."""
        return (
            (await self.family.get(f"/v1/family/{token}")).status_code,
            (await self.reader.get(f"/v1/family/{token}/plan")).status_code,
        )

    async def revoke(self) -> Envelope[FamilyLinksRevoked]:
        """A caseworker revokes the links; the event referrals stores (not yet in plans)."""
        path = f"/v1/referrals/{self.referral_id}/family-link/revoke"
        assert (await self.caseworker.post(path)).status_code == 204
        return (await _revocations(self.urls["referrals"], self.referral_id))[-1]


@asynccontextmanager
async def revoking(urls: dict[str, str], identity: IdentityProvider) -> AsyncIterator[Revoking]:
    async with (
        referrals_service(urls["referrals"], identity) as referrals,
        plans_service(urls["plans"], identity) as plans,
    ):
        caseworker = await signed_in(referrals, identity, "leeds-caseworker")
        family = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=referrals), base_url="http://t"
        )
        reader = httpx.AsyncClient(transport=httpx.ASGITransport(app=plans), base_url="http://t")
        async with caseworker, family, reader:
            created = await caseworker.post("/v1/referrals", json=referral_body())
            referral_id = UUID(created.json()["id"])
            await seed_plan(
                urls["plans"], plans_by_area()["cognition-and-learning"], referral_id=referral_id
            )
            yield Revoking(urls, referral_id, caseworker, family, reader)


async def test_a_link_made_before_the_revocation_by_a_clock_running_ahead_is_refused(
    urls: dict[str, str], identity: IdentityProvider
) -> None:
    async with revoking(urls, identity) as referral:
        event = await referral.revoke()
        await _hand_to_plans(urls["plans"], event)
        # Made before the revocation (the generation before it) by an issuer whose clock runs
        # a second ahead: its iat comes after the revocation's moment. Before, it outlived the
        # revocation in both services once the checking clock had passed that iat.
        ahead = link(referral.referral_id, now=event.data.revoked_at + timedelta(seconds=1))

        async def its_iat_passed() -> bool:
            return datetime.now(UTC) >= event.data.revoked_at + timedelta(seconds=1)

        await wait_for(its_iat_passed, what="the checking clock to pass the link's iat")
        assert await referral.opens(ahead) == (401, 401)


async def test_a_link_made_in_the_revocations_own_second_is_judged_by_its_generation(
    urls: dict[str, str], identity: IdentityProvider
) -> None:
    async with revoking(urls, identity) as referral:
        event = await referral.revoke()
        await _hand_to_plans(urls["plans"], event)
        second = event.data.revoked_at.replace(microsecond=0)
        # Made in that second by an issuer that had not heard of it yet: refused. Made in
        # that second once it had (the new generation): opens at once, in both services
        # (before, a link had to wait for the next second).
        assert await referral.opens(link(referral.referral_id, now=second)) == (401, 401)
        fresh = link(referral.referral_id, now=event.data.revoked_at, generation=1)
        assert await referral.opens(fresh) == (200, 200)


async def test_plans_keeps_the_latest_generation_whatever_order_revocations_come_in(
    urls: dict[str, str], identity: IdentityProvider
) -> None:
    async with revoking(urls, identity) as referral:
        first = await referral.revoke()
        second = await referral.revoke()
        assert (first.data.generation, second.data.generation) == (1, 2)
        await _hand_to_plans(urls["plans"], second)
        await _hand_to_plans(urls["plans"], first)  # late, or redelivered: changes nothing
        assert await referral.opens(link(referral.referral_id, generation=1)) == (401, 401)
        assert await referral.opens(link(referral.referral_id, generation=2)) == (200, 200)
