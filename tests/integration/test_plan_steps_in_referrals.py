"""The plans service's EHC plan steps recorded by referrals on real PostgreSQL, through the
statutory code its ``/draft-plan`` and ``/final-plan`` use: once each, whoever recorded the
step first (a redelivery, or a caseworker through those endpoints)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from referrals.statutory import InvalidStep

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.events import DomainEvent, PlanFinalised, PlanIssuedForComment, wrap
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import (
    LEEDS,
    handled,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("plansteps", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _decided_to_issue(caseworker: httpx.AsyncClient) -> str:
    today = london_today()
    start = today - timedelta(weeks=14)
    created = await caseworker.post(
        "/v1/referrals", json=referral_body(track="ehc", received_on=start)
    )
    assert created.status_code == 201, created.text
    path = f"/v1/referrals/{created.json()['id']}"
    week5 = str(start + timedelta(weeks=5))
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": week5}),
        (
            "advice-requests",
            {
                "kinds": [
                    "parent",
                    "educational",
                    "educational_psychology",
                    "medical",
                    "social_care",
                ],
                "requested_on": week5,
            },
        ),
        ("advice-requests/educational_psychology/received", {"received_on": str(today)}),
        ("plan-decision", {"decision": "issue", "decided_on": str(today)}),
    ):
        answer = await caseworker.post(f"{path}/{step}", json=body)
        assert answer.status_code == 200, (step, answer.text)
    referral_id: str = created.json()["id"]
    return referral_id


def _plan_step(referral_id: str) -> dict[str, Any]:
    return {
        "referral_id": UUID(referral_id), "local_authority": LEEDS, "plan_id": uuid4(),
        "plan_version": 3, "track": "ehc",
    }  # fmt: skip


async def _consume(app: FastAPI, event: DomainEvent) -> list[DomainEvent]:
    """A new delivery of ``event`` handled as referrals' consumer handles it."""
    return await handled(app, wrap(event, source="/send-platform/plans", local_authority=LEEDS))


async def _statutory(caseworker: httpx.AsyncClient, referral_id: str) -> tuple[Any, list[Any]]:
    view = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()
    steps = [(t["step"], t["service"]) for t in view["timeline"] if "plan_issued" in t["step"]]
    return view["ehc"], steps


async def test_plans_steps_are_recorded_once_through_the_statutory_code(
    app: FastAPI, caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = await _decided_to_issue(caseworker)
    until = today + timedelta(days=15)
    issued = PlanIssuedForComment(
        **_plan_step(referral_id), issued_on=today, comments_until=until, final_plan_due=None
    )
    [draft] = await _consume(app, issued)
    assert (draft.name, draft.comments_due) == ("draft-plan-issued", until)  # type: ignore[attr-defined]
    assert await _consume(app, issued) == []  # delivered again
    ehc, steps = await _statutory(caseworker, referral_id)
    assert (ehc["stage"], ehc["comments_due"]) == ("draft_plan_issued", str(until))
    assert steps == [("draft_plan_issued", "plans")]

    common = {**_plan_step(referral_id), "final_plan_due": None, "late": False}
    waited_for = PlanFinalised(
        **common, finalised_on=today, comments_closed_early=False, review_due=today
    )
    with pytest.raises(InvalidStep, match="before the family's comments"):
        await _consume(app, waited_for)  # dead-lettered: plans never sends it
    final = PlanFinalised(
        **common, finalised_on=today, comments_closed_early=True, review_due=today
    )
    [issued_final, told] = await _consume(app, final)
    assert issued_final.name == "final-plan-issued"
    assert told.name == "others-notified"  # the health commissioning body (Reg 13(2))
    assert await _consume(app, final) == []
    ehc, steps = await _statutory(caseworker, referral_id)
    assert ehc["stage"] == "final_plan_issued"
    assert steps == [("draft_plan_issued", "plans"), ("final_plan_issued", "plans")]
    assert {d["kind"]: d["state"] for d in ehc["deadlines"]}["final_plan"] == "met"
    # Each step recorded is audited once, as the service's own change (repeats change nothing).
    conn = await owner_connection(owner_url)
    try:
        audited = await conn.fetch(
            "SELECT action, resource FROM audit_log WHERE referral_id = $1 AND actor = $2",
            UUID(referral_id),
            "system:referrals",
        )
    finally:
        await conn.close()
    assert [tuple(a) for a in audited] == [("update", "ehc-request")] * 2


async def test_a_draft_a_caseworker_recorded_in_referrals_is_not_recorded_again(
    app: FastAPI, caseworker: httpx.AsyncClient, today: date
) -> None:
    referral_id = await _decided_to_issue(caseworker)
    recorded = await caseworker.post(
        f"/v1/referrals/{referral_id}/draft-plan", json={"issued_on": str(today)}
    )
    assert recorded.status_code == 200, recorded.text
    issued = PlanIssuedForComment(
        **_plan_step(referral_id), issued_on=today, comments_until=today + timedelta(days=20)
    )
    assert await _consume(app, issued) == []
    ehc, steps = await _statutory(caseworker, referral_id)
    assert ehc["comments_due"] == str(today + timedelta(days=15))  # the caseworker's, kept
    assert steps == [("draft_plan_issued", "referrals")]


async def test_a_step_for_a_referral_without_an_ehc_request_is_refused(
    app: FastAPI, today: date
) -> None:
    stranger = str(uuid4())
    issued = PlanIssuedForComment(**_plan_step(stranger), issued_on=today, comments_until=date.max)
    with pytest.raises(LookupError, match="no EHC request"):
        await _consume(app, issued)
