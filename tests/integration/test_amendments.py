"""Amending a plan after its annual review (Reg 22) on real PostgreSQL: a decision to amend
sets the amended plan's limit (12 weeks from the meeting), the proposals bring it nearer (8
weeks from them) and give the family at least 15 days to comment, the amended plan cannot be
issued before their time is up, and once issued it meets its limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from html import unescape
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from referrals.notices.letters import LetterKind, html

from scripts.platform import IdentityProvider, migrations_of
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import outbox_events, referrals_service, signed_in
from tests.integration.test_live_plans_import import PATH, plan
from tests.integration.test_notices import _printed


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("amendments", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _limits(review: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in review["deadlines"]}


async def test_an_amendment_runs_from_the_decision_to_the_amended_plan(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    printed = _printed(monkeypatch)
    held = today - timedelta(days=40)
    async with await signed_in(app, identity, "leeds-manager") as manager:
        meeting = [{"step": "annual_review_meeting", "on": str(held)}]
        made = await manager.post(
            PATH,
            json={"plans": [plan(last_reviewed_on=str(today - timedelta(days=360)),
                                 open_steps=meeting)]},
        )  # fmt: skip
        assert made.status_code == 200, made.text
    referral_id = made.json()["plans"][0]["referral_id"]
    base = f"/v1/referrals/{referral_id}/annual-review"
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        early = await caseworker.post(f"{base}/amendments/proposals", json={"sent_on": str(today)})
        assert early.status_code == 409, early.text  # no decision to amend yet
        decided = {"decision": "amend", "decided_on": str(held + timedelta(days=20))}
        reviews = await _post(caseworker, f"{base}/decision", decided)
        amending = next(r for r in reviews if r["decision"] == "amend")
        assert _limits(amending)["amended_plan"]["due_on"] == str(held + timedelta(weeks=12))

        sent = today - timedelta(days=16)
        short = await caseworker.post(
            f"{base}/amendments/proposals",
            json={"sent_on": str(sent), "comments_until": str(sent + timedelta(days=14))},
        )
        assert short.status_code == 422, short.text
        assert short.json()["detail"][0]["loc"] == ["body", "comments_until"]
        reviews = await _post(caseworker, f"{base}/amendments/proposals", {"sent_on": str(sent)})
        amending = next(r for r in reviews if r["decision"] == "amend")
        assert amending["comments_until"] == str(sent + timedelta(days=15))
        due = min(sent + timedelta(weeks=8), held + timedelta(weeks=12))
        assert _limits(amending)["amended_plan"]["due_on"] == str(due)

        too_soon = await caseworker.post(
            f"{base}/amendments/final", json={"issued_on": str(sent + timedelta(days=10))}
        )
        assert too_soon.status_code == 422, too_soon.text
        assert too_soon.json()["detail"][0]["loc"] == ["body", "issued_on"]
        reviews = await _post(
            caseworker,
            f"{base}/amendments/final",
            {"issued_on": str(today), "note": "Section F now gives weekly speech therapy."},
        )
        amending = next(r for r in reviews if r["decision"] == "amend")
        assert amending["amended_issued_on"] == str(today)
        assert _limits(amending)["amended_plan"]["met_on"] == str(today)
        again = await caseworker.post(f"{base}/amendments/final", json={"issued_on": str(today)})
        assert again.status_code == 409
    events = {t: d for t, d in await outbox_events(owner_url, referral_id)}
    issued = events["referrals.amended-plan-issued.v1"]
    assert issued["late"] is False
    # The meeting, from which plans dates the amended plan's next review (within 12 months).
    assert issued["held_on"] == events["referrals.amendments-proposed.v1"]["held_on"] == str(held)
    assert issued["appeal_by"] > str(today)

    # The family's letter (Reg 22(5), Reg 14): the amended plan can be appealed as a final plan.
    [letter] = printed
    assert (letter.kind, letter.dated) == (LetterKind.AMENDED_PLAN, today)
    assert letter.appealable
    assert letter.appeal_by == date.fromisoformat(issued["appeal_by"])
    words = unescape(html(letter))
    assert "The amended EHC plan for" in words
    assert "Section F now gives weekly speech therapy." in words
    assert "You must appeal by" in words
    assert "within 1 month of the date on your mediation certificate" in words
    assert "the school or other institution it names" in words  # what a plan's appeal is about
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        kept = (await caseworker.get(f"/v1/referrals/{referral_id}/documents")).json()
    assert [(d["kind"], d["media_type"]) for d in kept] == [("letter", "application/pdf")]
    token = link(UUID(referral_id))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as family:
        answer = await family.get(f"/v1/family/{token}")
        assert answer.status_code == 200, answer.text
        [listed] = answer.json()["letters"]
        assert listed["what"] == "The amended EHC plan and your right to appeal"
        opened = await family.get(f"/v1/family/{token}/letters/{listed['id']}")
    assert opened.content.startswith(b"%PDF-")
    assert events["referrals.amendments-proposed.v1"]["amended_plan_due"] == str(due)
