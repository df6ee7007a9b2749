"""A plan's life through the plans API on real PostgreSQL (the application role, row-level
security): versions with who and why, edits with stale versions refused, the family's
comments through their link (JSON and the HTML form), sharing and agreeing (support), issuing
and finalising (EHC), the review scheduler, and what the statutory process changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from plans.reviews import ReviewWatch
from pydantic import SecretStr

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months
from shared.events import AdviceReceived, EhcAssessmentRequested, wrap
from shared.family_links import mint
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.plans_app import (
    drafted,
    family_token,
    handled,
    owner_fetch,
    plans_service,
)
from tests.integration.referrals_app import BRADFORD, outbox_events, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("planlife", "plans", migrations_of("plans"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with plans_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def family(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def _topics(owner_url: str, referral_id: UUID) -> list[str]:
    return [topic for topic, _ in await outbox_events(owner_url, referral_id)]


async def test_the_draft_is_version_1_and_an_edit_a_new_version_with_who_and_why(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    path = f"/v1/referrals/{referral_id}/plan"
    first = await caseworker.get(path)
    plan = await _ok(first)
    assert (plan["version"], plan["status"], plan["track"]) == (1, "draft", "support")
    assert first.headers["ETag"] == '"1"'
    line = plan["sections"]["F"][0]
    edited = await _ok(
        await caseworker.put(
            f"{path}/sections/F",
            json={
                "content": [{**line, "weeks": 20}, *plan["sections"]["F"][1:]],
                "reason": "agreed with the school",
            },
            headers={"If-Match": '"1"'},
        )
    )
    assert (edited["version"], edited["sections"]["F"][0]["weeks"]) == (2, 20)
    assert {c["name"] for c in edited["checks"]} >= {
        "every_need_has_an_outcome",
        "every_need_has_provision",
    }
    assert all(c["passed"] for c in edited["checks"])

    listed = await _ok(await caseworker.get(f"{path}/versions"))
    assert [(v["version"], v["changed_by"], v["reason"], v["status"]) for v in listed] == [
        (1, "plans", "drafted", "draft"),
        (2, "leeds-caseworker", "agreed with the school", "draft"),
    ]
    old = await _ok(await caseworker.get(f"{path}/versions/1"))
    assert old["document"]["F"][0]["weeks"] == line["weeks"]
    assert (await caseworker.get(f"{path}/versions/9")).status_code == 404
    events = await outbox_events(owner_url, referral_id)
    assert [(t, d["reason"], d["sections"], d["plan_version"]) for t, d in events] == [
        ("plans.plan-revised.v1", "edited", ["F"], 2)
    ]


async def test_a_stale_version_is_a_409_and_bad_content_a_422_naming_the_field(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    path = f"/v1/referrals/{referral_id}/plan"
    plan = await _ok(await caseworker.get(path))
    body = {"content": "Sam loves trains and wants to make friends", "reason": "the family's words"}
    await _ok(await caseworker.put(f"{path}/sections/A", json={**body, "version": 1}))
    stale = await caseworker.put(f"{path}/sections/A", json={**body, "version": 1})
    assert stale.status_code == 409
    assert "version 2, not 1" in stale.json()["detail"]
    stale = await caseworker.put(f"{path}/sections/A", json=body, headers={"If-Match": "1"})
    assert stale.status_code == 409

    line = {**plan["sections"]["F"][0], "minutes_per_session": 0}
    bad = await caseworker.put(
        f"{path}/sections/F", json={"content": [line], "reason": "x", "version": 2}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "content", 0, "minutes_per_session"]
    not_on_track = await caseworker.put(
        f"{path}/sections/K", json={"content": [], "reason": "x", "version": 2}
    )
    assert not_on_track.status_code == 422
    assert "belongs to an EHC plan" in not_on_track.json()["detail"][0]["msg"]
    assert len(await _ok(await caseworker.get(f"{path}/versions"))) == 2


async def test_a_shared_plan_is_agreed_through_the_familys_link_and_kept_with_its_version(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    path = f"/v1/referrals/{referral_id}/plan"
    token = family_token(referral_id)
    early = await family.post(f"/v1/family/{token}/plan/comments", json={"comments": "hello"})
    assert early.status_code == 409
    assert "not waiting for your comments" in early.json()["detail"]

    shared = await _ok(await caseworker.post(f"{path}/share", json={}))
    assert (shared["status"], shared["version"]) == ("shared", 2)
    posted = await family.post(
        f"/v1/family/{token}/plan/comments",
        json={"comments": "Looks right to us", "agree": True},
    )
    assert posted.status_code == 201, posted.text
    assert (posted.json()["version"], posted.json()["status"]) == (2, "agreed")
    # JSON only: the family's form is the workspace's, which sends JSON.
    as_form = await family.post(
        f"/v1/family/{token}/plan/comments",
        content="comments=Looks+right+to+us&agree=yes",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert as_form.status_code == 422

    plan = await _ok(await caseworker.get(path))
    assert (plan["status"], plan["version"]) == ("agreed", 3)
    assert plan["review_due_on"] == plan["sections"]["E"][0]["review_on"]
    about = await _ok(await caseworker.get(f"{path}/versions/2"))
    assert [(c["comments"], c["agreed"], c["taken_by"]) for c in about["family_comments"]] == [
        ("Looks right to us", True, "family")
    ]
    assert (await _ok(await caseworker.get(f"{path}/versions/3")))["family_comments"] == []
    assert await _topics(owner_url, referral_id) == [
        "plans.plan-shared.v1",
        "plans.plan-comments-received.v1",
        "plans.plan-agreed.v1",
    ]
    again = await family.post(f"/v1/family/{token}/plan/comments", json={"comments": "more"})
    assert again.status_code == 409


async def test_changes_asked_for_by_phone_are_edited_and_shared_again(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    path = f"/v1/referrals/{referral_id}/plan"
    await _ok(await caseworker.post(f"{path}/share", json={}))
    asked = await _ok(
        await caseworker.post(
            f"{path}/response", json={"agreed": False, "comments": "more sessions please"}
        )
    )
    assert asked["status"] == "changes_requested"
    line = {**asked["sections"]["F"][0], "sessions_per_week": 2}
    edited = await _ok(
        await caseworker.put(
            f"{path}/sections/F", json={"content": [line], "reason": "the family's request"}
        )
    )
    assert edited["status"] == "draft"
    assert (await _ok(await caseworker.post(f"{path}/share", json={})))["status"] == "shared"
    events = await outbox_events(owner_url, referral_id)
    received = [d for t, d in events if t == "plans.plan-comments-received.v1"]
    assert [(d["agreed"], d["taken_by"]) for d in received] == [(False, "caseworker")]
    assert "more sessions" not in str(events)  # the family's words never leave the database


async def test_a_family_link_acts_only_for_its_own_referral_and_council(
    family: httpx.AsyncClient, caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    mine = await drafted(owner_url)
    await _ok(await caseworker.post(f"/v1/referrals/{mine}/plan/share", json={}))
    other = await drafted(owner_url)  # a draft: not with its family
    comment = {"comments": "for the other child"}
    assert (
        await family.post(f"/v1/family/{family_token(other)}/plan/comments", json=comment)
    ).status_code == 409
    forged = mint(
        SecretStr("not-the-councils-key-but-long-enough"), referral_id=mine,
        local_authority="E08000035", valid_for=timedelta(days=1),
    )  # fmt: skip
    assert (
        await family.post(f"/v1/family/{forged}/plan/comments", json=comment)
    ).status_code == 401
    elsewhere = family_token(mine, council=BRADFORD)  # Bradford cannot see a Leeds plan
    assert (
        await family.post(f"/v1/family/{elsewhere}/plan/comments", json=comment)
    ).status_code == 404
    rows = await owner_fetch(
        owner_url, "SELECT count(*) FROM plan_comments WHERE referral_id = ANY($1)", [mine, other]
    )
    assert rows[0][0] == 0
    bradford = await drafted(owner_url, council=BRADFORD)
    assert (await caseworker.get(f"/v1/referrals/{bradford}/plan")).status_code == 404


async def test_an_ehc_draft_is_issued_for_15_days_and_finalised_once_the_family_is_done(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = await drafted(owner_url, track="ehc")
    path = f"/v1/referrals/{referral_id}/plan"
    plan = await _ok(await caseworker.get(path))
    # Until the council decides to issue an EHC plan, the plan is the child's support plan.
    assert (plan["sections"]["track"], plan["sections"]["C"]) == ("support", None)
    undecided = await caseworker.post(f"{path}/issue", json={})
    assert undecided.status_code == 409
    assert "not decided to issue" in undecided.json()["detail"]
    assert (await caseworker.post(f"{path}/share", json={})).status_code == 409

    referral_id = await drafted(owner_url, track="ehc", issue_decided=True)
    path = f"/v1/referrals/{referral_id}/plan"
    short = await caseworker.post(
        f"{path}/issue", json={"comments_until": str(today + timedelta(days=14))}
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "comments_until"]
    issued = await _ok(await caseworker.post(f"{path}/issue", json={}))
    assert (issued["status"], issued["comments_until"]) == (
        "issued_for_comment",
        str(today + timedelta(days=15)),
    )
    too_soon = await caseworker.post(f"{path}/finalise", json={})
    assert too_soon.status_code == 409
    assert "may comment until" in too_soon.json()["detail"]

    token = family_token(referral_id)
    commented = await family.post(
        f"/v1/family/{token}/plan/comments",
        json={"comments": "We would like Oak Lane", "preferred_school": "Oak Lane Primary"},
    )
    assert commented.status_code == 201, commented.text
    assert commented.json()["version"] == issued["version"]
    done = await family.post(
        f"/v1/family/{token}/plan/comments",
        json={"comments": "Nothing more from us", "agree": True},
    )
    assert done.status_code == 201
    final = await _ok(await caseworker.post(f"{path}/finalise", json={}))
    assert (final["status"], final["warnings"]) == ("final", [])
    assert final["review_due_on"] == str(add_months(today, 12))
    events = await outbox_events(owner_url, referral_id)
    data = {t: d for t, d in events}
    assert [t for t, _ in events] == [
        "plans.plan-issued-for-comment.v1",
        "plans.plan-comments-received.v1",
        "plans.plan-comments-received.v1",
        "plans.plan-finalised.v1",
    ]
    assert data["plans.plan-issued-for-comment.v1"]["comments_until"] == issued["comments_until"]
    assert data["plans.plan-finalised.v1"]["comments_closed_early"] is True
    assert data["plans.plan-finalised.v1"]["late"] is False


async def test_a_late_final_plan_needs_its_reason_which_the_version_keeps(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    due = today - timedelta(days=1)
    referral_id = await drafted(owner_url, track="ehc", issue_decided=True, final_plan_due=due)
    path = f"/v1/referrals/{referral_id}/plan"
    await _ok(await caseworker.post(f"{path}/issue", json={}))
    await _ok(
        await caseworker.post(f"{path}/response", json={"agreed": True, "comments": "no more"})
    )
    unexplained = await caseworker.post(f"{path}/finalise", json={})
    assert unexplained.status_code == 422
    assert unexplained.json()["detail"][0]["loc"] == ["body", "late_reason"]
    final = await _ok(
        await caseworker.post(f"{path}/finalise", json={"late_reason": "advice came late"})
    )
    assert final["warnings"] == [f"late: the final plan was due by {due}"]
    versions = await _ok(await caseworker.get(f"{path}/versions"))
    assert versions[-1]["reason"] == "finalised late: advice came late"
    [(_, finalised)] = [
        e for e in await outbox_events(owner_url, referral_id) if "finalised" in e[0]
    ]
    assert finalised["late"] is True
    assert "advice came late" not in str(finalised)


async def test_the_review_scheduler_marks_a_due_review_once_and_a_review_settles_it(
    app: FastAPI, caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    path = f"/v1/referrals/{referral_id}/plan"
    await _ok(await caseworker.post(f"{path}/share", json={}))
    await _ok(await caseworker.post(f"{path}/response", json={"agreed": True, "comments": "ok"}))
    review_on = date.fromisoformat((await _ok(await caseworker.get(path)))["review_due_on"])
    watch = ReviewWatch(interval_s=60, today=lambda: review_on - timedelta(days=1))
    async with service_state(app).database.pool().acquire() as conn:
        await watch.check(service_state(app).work, conn)
        assert (await _ok(await caseworker.get(path)))["status"] == "agreed"
        watch.today = lambda: review_on
        assert await watch.check(service_state(app).work, conn) >= 1
        assert await watch.check(service_state(app).work, conn) == 0  # once
    plan = await _ok(await caseworker.get(path))
    assert plan["status"] == "review_due"
    audited = await owner_fetch(
        owner_url,
        "SELECT action, resource FROM audit_log WHERE referral_id = $1 AND actor = $2",
        referral_id,
        "system:plans",
    )
    assert [tuple(r) for r in audited if r["action"] == "update"] == [("update", "plan")]  # once
    due = [d for t, d in await outbox_events(owner_url, referral_id) if "review-due" in t]
    assert [d["review_due"] for d in due] == [str(review_on)]
    reviewed = await _ok(
        await caseworker.post(f"{path}/reviewed", json={"reason": "review meeting held"})
    )
    assert reviewed["status"] == "agreed"
    assert reviewed["review_due_on"] > str(review_on)


async def test_an_escalation_keeps_the_support_plan_and_advice_fills_section_k(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = await drafted(owner_url)
    common = {
        "referral_id": referral_id, "local_authority": "E08000035", "requested_by": "school",
        "ehc_requested_on": today,
    }  # fmt: skip
    escalated = EhcAssessmentRequested(
        **common, escalated=True, decision_due=today + timedelta(weeks=6),
        final_plan_due=today + timedelta(weeks=20),
    )  # fmt: skip
    advice = AdviceReceived(
        **common, kind="educational_psychology", received_on=today, due_on=today, on_time=True
    )
    conn = await owner_connection(owner_url)
    try:
        for event in (escalated, advice) * 2:  # a second copy of each changes nothing
            async with conn.transaction():
                await handled(conn, wrap(event, source="/t", local_authority="E08000035"))
    finally:
        await conn.close()
    plan = await _ok(await caseworker.get(f"/v1/referrals/{referral_id}/plan"))
    assert (plan["track"], plan["status"], plan["version"]) == ("ehc", "draft", 3)
    assert plan["final_plan_due"] == str(today + timedelta(weeks=20))
    assert [k["kind"] for k in plan["sections"]["K"]] == ["educational_psychology"]
    assert (plan["sections"]["track"], plan["sections"]["I"]) == ("support", None)
    reasons = [
        v["reason"]
        for v in await _ok(await caseworker.get(f"/v1/referrals/{referral_id}/plan/versions"))
    ]
    assert reasons == ["drafted", "escalated to EHC", "advice received"]
    audited = await owner_fetch(
        owner_url,
        "SELECT actor, action, resource FROM audit_log WHERE referral_id = $1 AND actor = $2",
        referral_id,
        "system:plans",
    )
    assert [tuple(r) for r in audited] == [("system:plans", "update", "plan")] * 2
    revised = [d["reason"] for t, d in await outbox_events(owner_url, referral_id)]
    assert revised == ["escalated", "advice_received"]


async def test_two_caseworkers_editing_the_same_version_at_once_one_wins_one_gets_409(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    path = f"/v1/referrals/{referral_id}/plan/sections/A"
    answers = await asyncio.gather(
        *(
            caseworker.put(path, json={"content": f"views {n}", "reason": "r", "version": 1})
            for n in range(2)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    rows = await owner_fetch(
        owner_url, "SELECT version FROM plan_versions WHERE referral_id = $1", referral_id
    )
    assert sorted(r["version"] for r in rows) == [1, 2]


async def _break_provision(owner_url: str, referral_id: UUID, status: str) -> list[Any]:
    """The plan with no provision at all (a quality check fails), in ``status``; returns the
    provision it had."""
    conn = await owner_connection(owner_url)
    try:
        lines = await conn.fetchval(
            "SELECT sections->'F' FROM support_plans WHERE referral_id = $1", referral_id
        )
        await conn.execute(
            """UPDATE support_plans SET status = $2, sections = jsonb_set(sections, '{F}', '[]')
               WHERE referral_id = $1""",
            referral_id,
            status,
        )
    finally:
        await conn.close()
    found: list[Any] = json.loads(lines)
    return found


async def test_a_draft_needing_attention_is_announced_once_an_edit_passes_every_check(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    lines = await _break_provision(owner_url, referral_id, "needs_attention")
    path = f"/v1/referrals/{referral_id}/plan"
    plan = await _ok(await caseworker.get(path))
    assert plan["status"] == "needs_attention"
    assert (await caseworker.post(f"{path}/share", json={})).status_code == 409  # not to a family

    edited = await _ok(
        await caseworker.put(
            f"{path}/sections/F", json={"content": lines, "reason": "provision restored"}
        )
    )
    assert edited["status"] == "draft"
    assert all(c["passed"] for c in edited["checks"])
    announced = [d for t, d in await outbox_events(owner_url, referral_id)
                 if t == "plans.plan-drafted.v1"]  # fmt: skip
    assert len(announced) == 1  # now specialists can match it
    assert announced[0]["plan_id"] == plan["id"]
    assert announced[0]["provision_roles"][0] == "speech_and_language_therapy"


async def test_a_plan_failing_a_check_is_never_shared_with_the_family(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url)
    await _break_provision(owner_url, referral_id, "draft")
    refused = await caseworker.post(f"/v1/referrals/{referral_id}/plan/share", json={})
    assert refused.status_code == 409, refused.text
    assert "every_need_has_provision" in refused.json()["detail"]
    assert "plans.plan-shared.v1" not in await _topics(owner_url, referral_id)


async def test_an_edit_that_would_send_the_family_a_plan_failing_a_check_is_a_409(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    """A draft EHC plan with the family for comments is still editable, but not into one that
    fails a quality check: refused saying which (before, the refusal escaped as a 500)."""
    referral_id = await drafted(owner_url, track="ehc", issue_decided=True)
    path = f"/v1/referrals/{referral_id}/plan"
    issued = await _ok(await caseworker.post(f"{path}/issue", json={}))
    assert issued["status"] == "issued_for_comment"
    refused = await caseworker.put(
        f"{path}/sections/F", json={"content": [], "reason": "provision to be agreed"}
    )
    assert refused.status_code == 409, refused.text
    assert "every_need_has_provision" in refused.json()["detail"]
    plan = await _ok(await caseworker.get(path))
    assert (plan["version"], plan["sections"]["F"]) == (issued["version"], issued["sections"]["F"])
    assert "plans.plan-revised.v1" not in await _topics(owner_url, referral_id)
