"""Notices of the statutory EHC process through the referrals API on real PostgreSQL (#21):
each decision's letter (a PDF kept in the document store, with the caseworker's reasons, the
appeal and mediation only where the decision can be appealed), opened through the family's own
link and audited; mediation recorded after a decision that can be appealed, and the appeal date
from both."""

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
from referrals.domain import HIDDEN_FROM_FAMILY
from referrals.notices.council import SAMPLE
from referrals.notices.letters import Letter, html, pdf

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months
from shared.migrations import owner_connection
from tests import documents
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import (
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("notices", "referrals", migrations_of("referrals"))


SCHOOL_URN = "107958"
NOTICES = SAMPLE.model_copy(
    update={
        "teams": SAMPLE.teams.model_copy(update={"schools": {SCHOOL_URN: "senco@school.example"}})
    }
)


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, council_notices={"*": NOTICES}) as running:
        yield running


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    yield conn
    await conn.close()


@pytest.fixture
async def family(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _refused(client: httpx.AsyncClient, decided_on: Any, **child: Any) -> str:
    body = referral_body(track="ehc", received_on=decided_on - timedelta(weeks=5), **child)
    created = await _post(client, "/v1/referrals", body)
    path = f"/v1/referrals/{created['id']}"
    await _post(
        client,
        f"{path}/assessment-decision",
        {
            "decision": "refuse",
            "decided_on": str(decided_on),
            "reason": "no_evidence_of_special_educational_needs",
            "note": "The school's support is working.",
        },
    )
    return path


async def test_the_appeal_date_runs_from_the_mediation_certificate_when_later(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    decided_on = today - timedelta(days=50)
    path = await _refused(caseworker, decided_on)
    ehc = (await caseworker.get(path)).json()["ehc"]
    assert ehc["appeal_by"] == str(add_months(decided_on, 2))
    asked = await _post(
        caseworker, f"{path}/mediation", {"mediation_asked_on": str(decided_on + timedelta(3))}
    )
    assert asked["appeal_by"] == str(add_months(decided_on, 2))
    certified = await _post(
        caseworker, f"{path}/mediation", {"mediation_certificate_on": str(today)}
    )
    assert certified["mediation_asked_on"] == str(decided_on + timedelta(3))
    assert certified["appeal_by"] == str(max(add_months(today, 1), add_months(decided_on, 2)))
    assert certified["appeal_by"] == str(add_months(today, 1))
    timeline = (await caseworker.get(path)).json()["timeline"]
    assert [t["detail"] for t in timeline if t["step"] == "mediation_recorded"] == [
        "asked",
        "certificate",
    ]


async def test_mediation_is_refused_before_an_appealable_decision_and_bad_dates_name_the_field(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=today)
    )
    early = await caseworker.post(
        f"/v1/referrals/{created['id']}/mediation", json={"mediation_asked_on": str(today)}
    )
    assert early.status_code == 409
    path = await _refused(caseworker, today - timedelta(days=10))
    before = await caseworker.post(
        f"{path}/mediation", json={"mediation_asked_on": str(today - timedelta(days=11))}
    )
    assert before.status_code == 422
    assert before.json()["detail"][0]["loc"] == ["body", "mediation_asked_on"]
    future = await caseworker.post(
        f"{path}/mediation", json={"mediation_certificate_on": str(today + timedelta(days=1))}
    )
    assert future.json()["detail"][0]["loc"] == ["body", "mediation_certificate_on"]


def _printed(monkeypatch: pytest.MonkeyPatch) -> list[Letter]:
    """Each letter as it is printed (the PDF is printed too: the letter is what it says)."""
    from referrals.notices import issuing

    seen: list[Letter] = []

    def printing(letter: Letter) -> bytes:
        seen.append(letter)
        return pdf(letter)

    monkeypatch.setattr(issuing, "pdf", printing)
    return seen


async def test_a_refusal_writes_a_letter_with_the_reasons_and_appeal_that_the_family_opens(
    caseworker: httpx.AsyncClient,
    family: httpx.AsyncClient,
    owner: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    printed = _printed(monkeypatch)
    decided_on = today - timedelta(days=3)
    path = await _refused(caseworker, decided_on)
    referral_id = UUID(path.rsplit("/", 1)[-1])
    [letter] = printed
    assert letter.note == "The school's support is working."
    assert letter.appealable
    assert letter.appeal_by == add_months(decided_on, 2)
    words = unescape(html(letter))
    assert "The school's support is working." in words
    assert "You must appeal by" in words
    assert "within 1 month of the date on your mediation certificate" in words
    assert letter.council.mediation_adviser.name in words
    assert letter.council.sendiass.name in words
    assert letter.council.disagreement_resolution.name in words

    kept = (await caseworker.get(f"{path}/documents")).json()
    assert [(d["kind"], d["media_type"]) for d in kept] == [("letter", "application/pdf")]

    token = link(referral_id)
    view = (await family.get(f"/v1/family/{token}")).json()
    assert view["next"] == "Your letter explains why, and your right to mediation and appeal."
    [listed] = view["letters"]
    assert listed["what"] == "Our decision not to carry out an EHC needs assessment"
    assert view["appeal_by"] == str(add_months(decided_on, 2))
    opened = await family.get(f"/v1/family/{token}/letters/{listed['id']}")
    assert opened.status_code == 200
    assert opened.content.startswith(b"%PDF-")
    reads = await owner.fetch(
        """SELECT actor FROM audit_log WHERE referral_id = $1 AND resource = 'letter'
           AND action = 'read'""",
        referral_id,
    )
    assert len(reads) == 1

    other = link(UUID(int=referral_id.int ^ 1))
    assert (await family.get(f"/v1/family/{other}/letters/{listed['id']}")).status_code in (
        401,
        404,
    )


async def test_a_decision_to_assess_has_a_letter_without_appeal_and_uploads_stay_unseen(
    caseworker: httpx.AsyncClient,
    family: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    printed = _printed(monkeypatch)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=today)
    )
    path = f"/v1/referrals/{created['id']}"
    await _post(
        caseworker, f"{path}/assessment-decision", {"decision": "assess", "decided_on": str(today)}
    )
    [letter] = printed
    assert not letter.appealable
    assert "appeal" not in html(letter).lower()
    uploaded = await caseworker.post(
        f"{path}/documents",
        files={"file": ("letter.pdf", documents.pdf("a letter"), "application/pdf")},
        data={"kind": "letter"},
    )
    assert uploaded.status_code == 201, uploaded.text
    token = link(UUID(created["id"]))
    view = (await family.get(f"/v1/family/{token}")).json()
    assert [x["what"] for x in view["letters"]] == [
        "Our decision to carry out an EHC needs assessment"
    ]
    assert view["appeal_by"] is None
    upload = await family.get(f"/v1/family/{token}/letters/{uploaded.json()['id']}")
    assert upload.status_code == 404


async def test_without_its_letter_the_family_is_not_told_your_letter_explains_why(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner: asyncpg.Connection, today: date
) -> None:
    path = await _refused(caseworker, today)
    referral_id = UUID(path.rsplit("/", 1)[-1])
    await owner.execute(
        "UPDATE documents SET letter_kind = NULL WHERE referral_id = $1", referral_id
    )
    view = (await family.get(f"/v1/family/{link(referral_id)}")).json()
    assert view["letters"] == []
    assert "letter" not in view["next"]


async def test_the_school_health_and_social_care_are_told_of_a_refusal_never_the_family(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    path = await _refused(caseworker, today, school_urn=SCHOOL_URN)
    referral_id = UUID(path.rsplit("/", 1)[-1])
    told = [
        data
        for topic, data in await outbox_events(owner_url, referral_id)
        if "others-notified" in topic
    ]
    [refusal] = [t for t in told if t["step"] == "assessment_decided"]
    assert refusal["decision"] == "refuse"
    assert (refusal["school_urn"], refusal["school_email"]) == (SCHOOL_URN, "senco@school.example")
    assert refusal["designated_clinical_officer_email"] == NOTICES.teams.designated_clinical_officer
    assert refusal["social_care_email"] == NOTICES.teams.social_care
    assert refusal["health_commissioning_email"] is None
    timeline = (await caseworker.get(path)).json()["timeline"]
    details = [t["detail"] for t in timeline if t["step"] == "others_notified"]
    assert "school:107958,designated_clinical_officer,social_care" in details
    assert not any("@" in (t["detail"] or "") for t in timeline)  # whom, never an address
    view = (await family.get(f"/v1/family/{link(referral_id)}")).json()
    shown = [t for t in timeline if t["step"] not in HIDDEN_FROM_FAMILY]
    assert len(view["steps"]) == len(shown)
    assert "others_notified" not in {t["step"] for t in shown}


async def test_the_final_plan_is_told_to_the_school_it_names_and_health_commissioning(
    caseworker: httpx.AsyncClient, owner_url: str, monkeypatch: pytest.MonkeyPatch, today: date
) -> None:
    printed = _printed(monkeypatch)
    start = today - timedelta(weeks=19)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    day = start + timedelta(weeks=4)
    await _post(
        caseworker, f"{path}/assessment-decision", {"decision": "assess", "decided_on": str(day)}
    )
    kinds = ["parent", "educational", "educational_psychology", "medical", "social_care"]
    await _post(caseworker, f"{path}/advice-requests", {"kinds": kinds, "requested_on": str(day)})
    await _post(caseworker, f"{path}/plan-decision", {"decision": "issue", "decided_on": str(day)})
    await _post(caseworker, f"{path}/draft-plan", {"issued_on": str(day)})
    bad = await caseworker.post(
        f"{path}/final-plan", json={"issued_on": str(today), "named_school_urn": "10795"}
    )
    assert bad.json()["detail"][0]["loc"] == ["body", "named_school_urn"]
    await _post(
        caseworker, f"{path}/final-plan", {"issued_on": str(today), "named_school_urn": SCHOOL_URN}
    )
    told = [d for t, d in await outbox_events(owner_url, created["id"]) if "others-notified" in t]
    final = told[-1]
    assert final["step"] == "final_plan_issued"
    assert (final["school_urn"], final["school_email"]) == (SCHOOL_URN, "senco@school.example")
    assert final["health_commissioning_email"] == NOTICES.teams.health_commissioning
    assert final["designated_clinical_officer_email"] is None
    kinds_printed = [letter.kind.value for letter in printed]
    assert kinds_printed == ["assessment_agreed", "plan_to_be_issued", "draft_plan", "final_plan"]
    draft = unescape(html(printed[2]))
    assert "at least 15 days to comment" in draft
    assert "right to ask for a meeting with one of our officers" in draft
    assert "particular school, college or other setting" in draft
    assert f"Local Offer: {NOTICES.local_offer}" in draft
    final_letter = unescape(html(printed[3]))
    assert "section B" in final_letter
    assert "unless your appeal is only about the school" in final_letter
