"""Crashes in the middle of the flow lose nothing and duplicate nothing."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from scripts.platform import Platform
from tests.e2e.conftest import TEAM_TOLD, wait_for_timeline
from tests.e2e.test_journey import referral_body


async def test_a_service_killed_mid_flow_loses_nothing_and_duplicates_nothing(
    referrals_api: httpx.AsyncClient, platform: Platform, caseworker: dict[str, str]
) -> None:
    async def post() -> str:
        response = await referrals_api.post("/v1/referrals", json=referral_body())
        assert response.status_code == 201
        return str(response.json()["id"])

    ids = list(await asyncio.gather(*(post() for _ in range(10))))
    # kill -9 while those ten are still flowing through plans (consuming and relaying)
    platform.kill("plans")
    ids += await asyncio.gather(*(post() for _ in range(10)))  # accepted while plans is dead
    platform.restart("plans")  # from this thread: see the platform fixture

    finished = await asyncio.gather(
        *(wait_for_timeline(referrals_api, i, TEAM_TOLD, timeout_s=90) for i in ids)
    )
    for referral in finished:
        steps = Counter(e["step"] for e in referral["timeline"])
        assert steps == Counter(TEAM_TOLD), steps  # each step exactly once
    async with httpx.AsyncClient(timeout=10, headers=caseworker) as client:
        for referral_id in ids:
            alerts = (
                await client.get(
                    f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
                )
            ).json()
            # The family is told once per step, and the team once, not once per redelivery.
            assert len(alerts) == 3
