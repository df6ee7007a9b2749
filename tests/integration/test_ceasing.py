"""Ceasing a plan (s45, Regs 29-31) against the real PostgreSQL: proposed (the family told and
asked for views), consulted, decided with reasons (409 before the consultation), the family's
letter with the right to appeal kept and listed for them, the named school and the health
commissioning body told, mediation moving the appeal date, and the plan ceased by the scheduler
only after the time to appeal has passed, its reviews gone; an appeal keeps it until decided."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from html import unescape
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.live.review_watch import ReviewWatch
from referrals.notices.letters import LetterKind, html

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dates import add_months
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import outbox_events, referrals_service, signed_in
from tests.integration.test_live_plans_import import PATH, plan
from tests.integration.test_notices import NOTICES, SCHOOL_URN, _printed
from tests.logging_state import restored_logging


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("ceasing", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    with restored_logging():
        async with referrals_service(
            owner_url, identity, council_notices={"*": NOTICES}
        ) as running:
            yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _imported(app: FastAPI, identity: IdentityProvider, **changes: Any) -> str:
    async with await signed_in(app, identity, "leeds-manager") as manager:
        answer = await manager.post(PATH, json={"plans": [plan(**changes)]})
    assert answer.status_code == 200, answer.text
    referral_id: str = answer.json()["plans"][0]["referral_id"]
    return referral_id


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _watch(app: FastAPI, owner_url: str, day: date) -> None:
    conn = await asyncpg.connect(service_url(owner_url))
    try:
        watch = ReviewWatch(open_days=70, at_risk_days=10, interval_s=60, today=lambda: day)
        await watch.check(service_state(app).work, conn)  # a new watch each time: a restart
    finally:
        await conn.close()


async def _topics(owner_url: str, referral_id: str) -> list[str]:
    return [t.split(".")[1] for t, _ in await outbox_events(owner_url, referral_id)]


async def test_a_plan_ceases_only_after_consultation_the_notice_and_the_time_to_appeal(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    printed = _printed(monkeypatch)
    referral_id = await _imported(
        app, identity, child={**plan()["child"], "date_of_birth": "2007-01-10"}
    )
    base = f"/v1/referrals/{referral_id}/ceasing"
    early = await caseworker.post(
        f"{base}/decision",
        json={"decision": "cease", "decided_on": str(today), "note": "Needs are met."},
    )
    assert early.status_code == 409, early.text  # nothing proposed yet
    proposed_on, views_by = today - timedelta(days=80), today - timedelta(days=60)
    made = await _post(
        caseworker,
        f"{base}/proposal",
        {
            "reason": "no_longer_necessary",
            "proposed_on": str(proposed_on),
            "views_by": str(views_by),
        },
    )
    assert made[0]["stage"] == "proposed"
    again = await caseworker.post(
        f"{base}/proposal",
        json={
            "reason": "no_longer_necessary",
            "proposed_on": str(proposed_on),
            "views_by": str(views_by),
        },
    )
    assert again.status_code == 409, again.text  # one under way at a time

    # Reg 31(1): the decision cannot come before the consultation.
    too_soon = await caseworker.post(
        f"{base}/decision",
        json={"decision": "cease", "decided_on": str(today), "note": "Needs are met."},
    )
    assert too_soon.status_code == 409, too_soon.text
    assert "consulted first" in too_soon.json()["detail"]
    no_views = await caseworker.post(
        f"{base}/consultation", json={"consulted_on": str(views_by), "school_views": "Agreed."}
    )
    assert no_views.status_code == 422, no_views.text
    assert no_views.json()["detail"][0]["loc"] == ["body", "family_views"]
    consulted_on = views_by + timedelta(days=1)
    await _post(
        caseworker,
        f"{base}/consultation",
        {"consulted_on": str(consulted_on), "school_views": "The school agrees."},
    )
    unreasoned = await caseworker.post(
        f"{base}/decision", json={"decision": "cease", "decided_on": str(today), "note": " "}
    )
    assert unreasoned.status_code == 422, unreasoned.text
    assert unreasoned.json()["detail"][0]["loc"] == ["body", "note"]
    decided_on = today - timedelta(days=50)
    decision = {
        "decision": "cease",
        "decided_on": str(decided_on),
        "note": "The support the college gives now meets the needs the plan describes.",
    }
    first = await caseworker.post(
        f"{base}/decision", json=decision, headers={"Idempotency-Key": "cease-1"}
    )
    retried = await caseworker.post(
        f"{base}/decision", json=decision, headers={"Idempotency-Key": "cease-1"}
    )
    assert first.status_code == retried.status_code == 200, first.text
    assert retried.json() == first.json()  # a retry gets the first answer: one letter, one event
    [to_cease] = first.json()
    assert to_cease["stage"] == "to_cease"
    assert to_cease["appeal_by"] == str(add_months(decided_on, 2))

    # The notice (Reg 31(2)-(3)): reasons, the right to appeal and its date, mediation.
    [letter] = printed
    assert (letter.kind, letter.dated) == (LetterKind.CEASE_DECIDED, decided_on)
    assert letter.appeal_by == add_months(decided_on, 2)
    words = unescape(html(letter))
    assert "We have decided to cease the EHC plan for" in words
    assert "the special educational provision it sets out is no longer needed" in words
    assert decision["note"] in words
    assert "You must appeal by" in words
    assert "within 1 month of the date on your mediation certificate" in words
    assert "We will keep the plan until the time to appeal has passed" in words
    assert NOTICES.sendiass.name in words
    kept = (await caseworker.get(f"/v1/referrals/{referral_id}/documents")).json()
    assert [(d["kind"], d["media_type"]) for d in kept] == [("letter", "application/pdf")]
    token = link(UUID(referral_id))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as family:
        page = await family.get(f"/v1/family/{token}")
        assert page.status_code == 200, page.text  # every new step reads to the family
        [listed] = page.json()["letters"]
        assert listed["what"] == "Our decision to cease the EHC plan and your right to appeal"
        opened = await family.get(f"/v1/family/{token}/letters/{listed['id']}")
    assert opened.content.startswith(b"%PDF-")

    # The named school and the health commissioning body told (Reg 31(2)); never the family.
    events = await outbox_events(owner_url, referral_id)
    [told] = [d for t, d in events if t.endswith("others-notified.v1")]
    assert told["step"] == "plan_ceasing_decided"
    assert (told["school_urn"], told["school_email"]) == (SCHOOL_URN, "senco@school.example")
    assert told["health_commissioning_email"] == NOTICES.teams.health_commissioning
    assert told["designated_clinical_officer_email"] is None
    [consulted] = [d for t, d in events if t.endswith("plan-ceasing-consulted.v1")]
    assert (consulted["family_views_given"], consulted["school_views_given"]) == (False, True)
    assert "The school agrees." not in str(events)  # the views never leave referrals

    # Mediation (Reg 32): a certificate today moves the appeal date to a month from it.
    certificate = await _post(
        caseworker, f"{base}/mediation", {"mediation_certificate_on": str(today)}
    )
    appeal_by = add_months(today, 1)
    assert certificate[0]["appeal_by"] == str(appeal_by)

    # Kept until the time to appeal has passed (s45(4)); then ceased, once, with no reviews.
    await _watch(app, owner_url, appeal_by)
    assert "plan-ceased" not in await _topics(owner_url, referral_id)
    await _watch(app, owner_url, appeal_by + timedelta(days=1))
    await _watch(app, owner_url, appeal_by + timedelta(days=2))
    ceased = [
        d for t, d in await outbox_events(owner_url, referral_id) if t.endswith("plan-ceased.v1")
    ]
    assert [(c["ceased_on"], c["reason"]) for c in ceased] == [
        (str(appeal_by + timedelta(days=1)), "no_longer_necessary")
    ]
    [now] = (await caseworker.get(base)).json()
    assert (now["stage"], now["ceased_on"]) == ("ceased", str(appeal_by + timedelta(days=1)))
    reviews = (await caseworker.get(f"/v1/referrals/{referral_id}/annual-reviews")).json()
    assert [r for r in reviews if r["decided_on"] is None] == []  # no review once ceased
    page = (await caseworker.get("/v1/referrals", params={"limit": 200})).json()["items"]
    [row] = [i for i in page if i["id"] == referral_id]
    assert row["ceasing"] == "ceased"  # the caseload shows it
    assert row["next_deadline"] is None  # and watches no review limit
    after = await caseworker.post(
        f"{base}/proposal",
        json={
            "reason": "no_longer_necessary",
            "proposed_on": str(today),
            "views_by": str(today + timedelta(days=5)),
        },
    )
    assert after.status_code == 409, after.text


async def test_an_appeal_keeps_the_plan_until_it_is_decided(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    referral_id = await _imported(app, identity)  # a child under 18: only "no longer necessary"
    base = f"/v1/referrals/{referral_id}/ceasing"
    wrong = await caseworker.post(
        f"{base}/proposal",
        json={
            "reason": "no_longer_responsible",
            "proposed_on": str(today - timedelta(days=40)),
            "views_by": str(today - timedelta(days=20)),
        },
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["detail"][0]["loc"] == ["body", "reason"]
    await _post(
        caseworker,
        f"{base}/proposal",
        {
            "reason": "no_longer_necessary",
            "proposed_on": str(today - timedelta(days=40)),
            "views_by": str(today - timedelta(days=20)),
        },
    )
    await _post(
        caseworker,
        f"{base}/consultation",
        {
            "consulted_on": str(today - timedelta(days=15)),
            "family_views": "Please keep it.",
            "school_views": "We still need the support.",
        },
    )
    await _post(
        caseworker,
        f"{base}/decision",
        {
            "decision": "cease",
            "decided_on": str(today - timedelta(days=10)),
            "note": "Needs are met.",
        },
    )
    await _post(caseworker, f"{base}/appeal", {"lodged_on": str(today)})
    await _watch(app, owner_url, today + timedelta(days=200))  # long after: an appeal pending
    assert "plan-ceased" not in await _topics(owner_url, referral_id)
    upheld = await _post(
        caseworker, f"{base}/appeal-outcome", {"outcome": "upheld", "decided_on": str(today)}
    )
    assert (upheld[0]["stage"], upheld[0]["ceased_on"]) == ("continues", None)
    reviews = (await caseworker.get(f"/v1/referrals/{referral_id}/annual-reviews")).json()
    assert [r for r in reviews if r["decided_on"] is None] != []  # still reviewed


async def test_deciding_not_to_cease_keeps_the_plan_and_a_dismissed_appeal_ceases_it(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    referral_id = await _imported(app, identity)
    base = f"/v1/referrals/{referral_id}/ceasing"
    steps = [
        (
            "proposal",
            {
                "reason": "no_longer_necessary",
                "proposed_on": str(today - timedelta(days=40)),
                "views_by": str(today - timedelta(days=20)),
            },
        ),
        (
            "consultation",
            {
                "consulted_on": str(today - timedelta(days=15)),
                "family_views": "Keep it.",
                "school_views": "Keep it.",
            },
        ),
    ]
    for path, body in steps:
        await _post(caseworker, f"{base}/{path}", body)
    kept = await _post(
        caseworker,
        f"{base}/decision",
        {"decision": "keep", "decided_on": str(today), "note": "The provision is still needed."},
    )
    assert kept[0]["stage"] == "kept"
    topics = await _topics(owner_url, referral_id)
    assert "others-notified" not in topics  # a decision not to cease: no one else is told
    for path, body in steps:  # proposed again, this time ceased after a dismissed appeal
        await _post(caseworker, f"{base}/{path}", body)
    await _post(
        caseworker,
        f"{base}/decision",
        {"decision": "cease", "decided_on": str(today - timedelta(days=10)), "note": "Met."},
    )
    await _post(caseworker, f"{base}/appeal", {"lodged_on": str(today - timedelta(days=5))})
    dismissed = await _post(
        caseworker, f"{base}/appeal-outcome", {"outcome": "dismissed", "decided_on": str(today)}
    )
    assert (dismissed[0]["stage"], dismissed[0]["ceased_on"]) == ("ceased", str(today))
    assert (await _topics(owner_url, referral_id)).count("plan-ceased") == 1
