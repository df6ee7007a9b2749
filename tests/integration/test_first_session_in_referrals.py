"""A practitioner's steps on the referral's timeline in referrals (real PostgreSQL, the
application role): an allocation accepted and the first session arranged (or moved to a new
day) are steps the caseworker and the family see, the family view saying the day and that the
first session is what comes next; neither moves the referral's status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.events import (
    AllocationAccepted,
    DomainEvent,
    FirstSessionArranged,
    SpecialistAssigned,
    wrap,
)
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import (
    LEEDS,
    handled,
    referral_body,
    referrals_service,
    signed_in,
)

SLT = "speech_and_language_therapy"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("firstsession", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _consume(app: FastAPI, event: DomainEvent) -> None:
    await handled(app, wrap(event, source="/send-platform/specialists", local_authority=LEEDS))


async def _family_view(app: FastAPI, referral_id: UUID) -> dict[str, Any]:
    family = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    async with family:
        answer = await family.get(f"/v1/family/{link(referral_id)}")
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


async def test_the_first_session_is_on_the_timeline_and_the_familys_page_says_its_day(
    app: FastAPI, caseworker: httpx.AsyncClient
) -> None:
    created = await caseworker.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = UUID(created.json()["id"])
    allocation, team = uuid4(), uuid4()
    common: dict[str, Any] = {
        "referral_id": referral_id, "allocation_id": allocation, "specialist_id": team,
        "specialism": SLT, "local_authority": LEEDS,
    }  # fmt: skip
    await _consume(
        app,
        SpecialistAssigned(**common, plan_id=uuid4(), same_district=True),
    )
    before = await _family_view(app, referral_id)
    assert before["next"] == "The specialist will contact you to arrange a first session."

    await _consume(app, AllocationAccepted(**common, accepted_on=date(2027, 3, 1)))
    await _consume(app, FirstSessionArranged(**common, session_on=date(2027, 3, 8)))
    await _consume(
        app, FirstSessionArranged(**common, session_on=date(2027, 3, 9), rearranged=True)
    )

    seen = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()
    steps = [(t["step"], t["detail"]) for t in seen["timeline"]]
    assert ("allocation_accepted", None) in steps
    assert [d for s, d in steps if s == "first_session_arranged"] == ["2027-03-08", "2027-03-09"]
    assert seen["status"] == "specialist_assigned"  # the steps do not move the status

    family = await _family_view(app, referral_id)
    said = [s["what"] for s in family["steps"]]
    assert "A specialist took on your child's support" in said
    assert "A specialist arranged the first session, on 9 March 2027" in said
    assert family["next"] == "Your child's first session with the specialist is on 9 March 2027."
