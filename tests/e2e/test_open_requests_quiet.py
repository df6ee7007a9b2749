"""An open request brought in from a council's earlier system (#22) sends nobody a message for
the steps taken there, through the whole platform on Kafka: its ``ehc-assessment-requested``
and ``assessment-decided`` events go out flagged ``earlier_system`` and notifications stores no
message for them; the next step, taken here, is told as usual (its adviser's message is the
sign that notifications has read the request's events)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import london_today

LEEDS = "E08000035"
WAIT_S = 60.0
"""A bound that catches a stall on a loaded machine, not a slowdown."""


def _open_request() -> dict[str, Any]:
    today, marker = london_today(), uuid4().hex[:8]
    return {
        "case_id": f"LCC-R-{marker}",
        "local_authority": LEEDS,
        "child": {
            "given_name": f"Given{marker}",
            "family_name": f"Family{marker}",
            "date_of_birth": "2016-03-04",
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "requested_by": "parent",
        "received_on": str(today - timedelta(days=10)),
        "needs": ["SPLD"],
        "assessment_decision": "assess",
        "assessment_decided_on": str(today - timedelta(days=3)),
    }


async def _templates(notifications: httpx.AsyncClient, referral_id: str) -> list[str]:
    answer = await notifications.get(f"/v1/referrals/{referral_id}/notifications")
    assert answer.status_code == 200, answer.text
    return [a["template"] for a in answer.json()]


async def test_steps_taken_in_the_earlier_system_cause_no_messages(
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
        answer = await manager.post(
            "/v1/live-plans/open-requests/import", json={"requests": [_open_request()]}
        )
        assert answer.status_code == 200, answer.text
        referral_id = answer.json()["requests"][0]["referral_id"]
        asked = await manager.post(
            f"/v1/referrals/{referral_id}/advice-requests",
            json={"kinds": ["medical"], "requested_on": str(london_today())},
        )
        assert asked.status_code == 200, asked.text
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while "advice-asked" not in await _templates(notifications, referral_id):
            assert asyncio.get_running_loop().time() < deadline, "the step taken here untold"
            await asyncio.sleep(0.2)  # polling the API for a condition, not waiting for time
        templates = await _templates(notifications, referral_id)
    assert "ehc-assessment-requested" not in templates
    assert "assessment-agreed" not in templates
