"""Consulting a school about being named in a child's EHC plan (s39), in referrals on real
PostgreSQL, signed in as a Leeds caseworker and the seed's SENCos: a caseworker consults a
school once the draft plan is issued (15 days to answer: a step on the timeline and an
event); that school's SENCo sees the consultation and answers it once; another school's
SENCo sees nothing of it and cannot answer it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI
from referrals.retention import erase_past_retention

from devtools.dev_identity_seed import LEEDS_SCHOOL_URN
from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import (
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("consultations", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def clients(
    app: FastAPI, identity: IdentityProvider
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    found = {
        user: await signed_in(app, identity, user)
        for user in ("leeds-caseworker", "leeds-senco", "leeds-senco-2")
    }
    yield found
    for client in found.values():
        await client.aclose()


async def _draft_issued(caseworker: httpx.AsyncClient, *, draft: bool = True) -> str:
    today = london_today()
    start = today - timedelta(weeks=14)
    created = await caseworker.post(
        "/v1/referrals", json=referral_body(track="ehc", received_on=start)
    )
    assert created.status_code == 201, created.text
    path = f"/v1/referrals/{created.json()['id']}"
    week5 = str(start + timedelta(weeks=5))
    steps = [
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
    ]
    if draft:
        steps.append(("draft-plan", {"issued_on": str(today)}))
    for step, body in steps:
        answer = await caseworker.post(f"{path}/{step}", json=body)
        assert answer.status_code == 200, (step, answer.text)
    return str(created.json()["id"])


async def test_a_school_is_consulted_on_the_draft_and_only_its_senco_answers(
    app: FastAPI, owner_url: str, clients: dict[str, httpx.AsyncClient], today: date
) -> None:
    caseworker = clients["leeds-caseworker"]
    referral_id = await _draft_issued(caseworker)
    path = f"/v1/referrals/{referral_id}/school-consultations"

    sent = await caseworker.post(path, json={"school_urn": LEEDS_SCHOOL_URN})
    assert sent.status_code == 201, sent.text
    consultation = sent.json()
    assert consultation["respond_by"] == str(today + timedelta(days=15))
    assert consultation["answer"] is None
    again = await caseworker.post(path, json={"school_urn": LEEDS_SCHOOL_URN})
    assert again.status_code == 409

    # Another school's SENCo sees nothing of it, and cannot answer it.
    other = clients["leeds-senco-2"]
    assert (await other.get("/v1/school/consultations")).json() == []
    answer_path = f"/v1/school/consultations/{consultation['id']}/answer"
    refused = await other.post(answer_path, json={"answer": "can_meet_needs"})
    assert refused.status_code == 404
    assert referral_id not in refused.text

    senco = clients["leeds-senco"]
    [seen] = (await senco.get("/v1/school/consultations")).json()
    assert seen["id"] == consultation["id"]
    assert seen["reference"] == referral_id[:8].upper()
    unexplained = await senco.post(answer_path, json={"answer": "cannot_meet_needs"})
    assert unexplained.status_code == 422
    assert unexplained.json()["detail"][0]["loc"][-1] == "reason"
    answered = await senco.post(
        answer_path, json={"answer": "cannot_meet_needs", "reason": "The building is full."}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_on"] == str(today)
    assert (await senco.post(answer_path, json={"answer": "can_meet_needs"})).status_code == 409

    [listed] = (await caseworker.get(path)).json()
    assert (listed["answer"], listed["reason"]) == ("cannot_meet_needs", "The building is full.")
    timeline = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()["timeline"]
    steps = [(t["step"], t["detail"]) for t in timeline]
    assert ("school_consulted", LEEDS_SCHOOL_URN) in steps
    assert ("school_consultation_answered", "cannot_meet_needs") in steps
    events = dict(await outbox_events(owner_url, referral_id))
    consulted = events["referrals.school-consulted.v1"]
    assert consulted["respond_by"] == str(today + timedelta(days=15))
    answered_event = events["referrals.school-consultation-answered.v1"]
    assert (answered_event["answer"], answered_event["in_time"]) == ("cannot_meet_needs", True)
    assert "reason" not in answered_event  # the school's words stay in referrals

    # Retention erases the school's words with the child's details; the answer stays.
    async with service_state(app).database.pool().acquire() as conn:  # the service's own role
        await erase_past_retention(service_state(app).work, conn, today=today, years=1)
    [kept] = (await caseworker.get(path)).json()
    assert (kept["answer"], kept["reason"]) == ("cannot_meet_needs", None)


async def test_a_school_is_consulted_only_once_the_draft_plan_is_issued(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    caseworker = clients["leeds-caseworker"]
    referral_id = await _draft_issued(caseworker, draft=False)
    path = f"/v1/referrals/{referral_id}/school-consultations"
    early = await caseworker.post(path, json={"school_urn": LEEDS_SCHOOL_URN})
    assert early.status_code == 409
    assert "draft plan is not issued" in early.json()["detail"]
    bad = await caseworker.post(path, json={"school_urn": "10795"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "school_urn"
    later = str(london_today() + timedelta(days=2))
    ahead = await caseworker.post(
        f"/v1/referrals/{await _draft_issued(caseworker)}/school-consultations",
        json={"school_urn": LEEDS_SCHOOL_URN, "sent_on": later},
    )
    assert ahead.status_code == 422
    assert ahead.json()["detail"][0]["loc"][-1] == "sent_on"
