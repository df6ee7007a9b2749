"""An annual review's limit at risk tells the council's SEND team once, through the whole
platform (#22): a plan brought in with its review meeting due in 5 days; referrals' review
scheduler (every 0.5 s here) warns once, and notifications stores exactly one SEND team message
for it, however many times the scheduler looks after (a second plan's warning, which comes
from a later look, is awaited first)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import add_months, london_today

LEEDS = "E08000035"
WAIT_S = 60.0
"""A bound that catches a stall on a loaded machine, not a slowdown."""


def _plan() -> dict[str, Any]:
    today, marker = london_today(), uuid4().hex[:8]
    return {
        "case_id": f"LCC-{marker}",
        "local_authority": LEEDS,
        "child": {
            "given_name": f"Given{marker}",
            "family_name": f"Family{marker}",
            "date_of_birth": "2015-03-04",
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "needs": ["ASD"],
        "issued_on": str(today - timedelta(days=700)),
        # The next review meeting is due 12 months after the last: 5 days from today.
        "last_reviewed_on": str(add_months(today + timedelta(days=5), -12)),
        "setting_urn": "107958",
    }


async def _bring_in(manager: httpx.AsyncClient) -> str:
    answer = await manager.post("/v1/live-plans/import", json={"plans": [_plan()]})
    assert answer.status_code == 200, answer.text
    referral_id: str = answer.json()["plans"][0]["referral_id"]
    return referral_id


async def _warnings(notifications: httpx.AsyncClient, referral_id: str) -> list[dict[str, Any]]:
    answer = await notifications.get(f"/v1/referrals/{referral_id}/notifications")
    assert answer.status_code == 200, answer.text
    return [a for a in answer.json() if a["template"] == "annual-review-limit-at-risk"]


async def _first_warning(notifications: httpx.AsyncClient, referral_id: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await _warnings(notifications, referral_id):
        assert asyncio.get_running_loop().time() < deadline, "no warning to the SEND team"
        await asyncio.sleep(0.2)  # polling the API for a condition, not waiting for time


async def test_an_at_risk_review_limit_gives_the_send_team_exactly_one_message(
    platform: Platform, identity: IdentityProvider, caseworker: dict[str, str]
) -> None:
    token = await fetch_token(identity.issuer, "leeds-manager")
    async with (
        httpx.AsyncClient(
            base_url=platform.url("referrals"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as manager,
        httpx.AsyncClient(
            base_url=platform.url("notifications"), headers=caseworker, timeout=10
        ) as notifications,
    ):
        first = await _bring_in(manager)
        await _first_warning(notifications, first)
        later = await _bring_in(manager)  # warned by a later look of the scheduler
        await _first_warning(notifications, later)
        (warning,) = await _warnings(notifications, first)
    assert warning["audience"] == "caseworker"
    assert "to" not in warning  # no address
    assert "body" not in warning  # no text
