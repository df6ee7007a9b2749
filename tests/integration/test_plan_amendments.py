"""Amending the plan in force after its annual review (#22, Reg 22), through plans' handlers
and API on real PostgreSQL: a plan brought in from the council's earlier system gets the
proposed amendments as a version the caseworker edits and the family sees and comments on
until their day; the amended plan issued becomes the plan in force, once however often its
event comes; plans sends nothing for either (referrals' events tell the family)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months
from shared.events import (
    AmendedPlanIssued,
    AmendmentsProposed,
    LivePlanImported,
    Sen2Need,
    wrap,
)
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_app import family_token, handled, owner_fetch, plans_service
from tests.integration.referrals_app import signed_in

LEEDS = "E08000035"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("planamendments", "plans", migrations_of("plans"))


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


async def _handled(owner_url: str, *events: Any) -> None:
    conn = await owner_connection(owner_url)
    try:
        for event in events:
            async with conn.transaction():
                await handled(conn, wrap(event, source="/t", local_authority=LEEDS))
    finally:
        await conn.close()


async def _plan(caseworker: httpx.AsyncClient, referral_id: UUID) -> Any:
    answer = await caseworker.get(f"/v1/referrals/{referral_id}/plan")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _family_plan(family: httpx.AsyncClient, referral_id: UUID) -> Any:
    answer = await family.get(f"/v1/family/{family_token(referral_id)}/plan")
    assert answer.status_code == 200, answer.text
    return answer.json()["plan"]


async def _rows(owner_url: str, query: str, *args: Any) -> list[Any]:
    return [tuple(r) for r in await owner_fetch(owner_url, query, *args)]


async def test_a_plan_brought_in_is_amended_after_its_review_and_the_family_sees_each_step(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    held_on = today - timedelta(days=20)  # the review meeting
    sent_on = today - timedelta(days=5)  # the proposals
    comments_until = sent_on + timedelta(days=15)
    referral_id, review_id = uuid4(), uuid4()
    live = LivePlanImported(
        referral_id=referral_id, local_authority=LEEDS, issued_on=held_on - timedelta(days=350),
        review_due=held_on + timedelta(days=10), needs=[Sen2Need.ASD], setting_urn="107958",
        phase="primary", age_years=9,
    )  # fmt: skip
    proposals = AmendmentsProposed(
        referral_id=referral_id, local_authority=LEEDS, review_id=review_id, sent_on=sent_on,
        comments_until=comments_until, amended_plan_due=sent_on + timedelta(weeks=8),
        held_on=held_on,
    )  # fmt: skip
    await _handled(owner_url, live, proposals, proposals.model_copy())
    plan = await _plan(caseworker, referral_id)
    assert (plan["status"], plan["version"]) == ("amendments_proposed", 3)
    assert plan["comments_until"] == str(comments_until)
    assert plan["sections"]["reviewed_on"] == str(held_on)

    # The caseworker writes the section the review changed (it was in the earlier system).
    edited = await caseworker.put(
        f"/v1/referrals/{referral_id}/plan/sections/A",
        json={"content": "Enjoys swimming; wants to join the school choir.", "reason": "review",
              "version": 3},
    )  # fmt: skip
    assert edited.status_code == 200, edited.text
    assert (edited.json()["status"], edited.json()["version"]) == ("amendments_proposed", 4)

    # The family sees the proposed plan, their day, and can comment.
    shown = await _family_plan(family, referral_id)
    assert shown["status"] == "amendments_proposed"
    assert shown["views"] == "Enjoys swimming; wants to join the school choir."
    assert shown["comments_open"]
    assert shown["comments_due"] == f"{comments_until.day} {comments_until:%B %Y}"
    commented = await family.post(
        f"/v1/family/{family_token(referral_id)}/plan/comments",
        json={"comments": "Please add swimming lessons.", "agree": False},
    )
    assert commented.status_code == 201, commented.text

    issued_on = comments_until  # after the family's time to comment
    amended = AmendedPlanIssued(
        referral_id=referral_id, local_authority=LEEDS, review_id=review_id,
        issued_on=issued_on, amended_plan_due=sent_on + timedelta(weeks=8), late=False,
        appeal_by=add_months(issued_on, 2), held_on=held_on,
    )  # fmt: skip
    # Issued, then the same event again (another copy) and the proposals replayed late.
    await _handled(owner_url, amended, amended.model_copy(), proposals.model_copy())
    plan = await _plan(caseworker, referral_id)
    assert (plan["status"], plan["version"]) == ("final", 5)
    assert plan["review_due_on"] == str(add_months(held_on, 12))
    assert plan["sections"]["drafted_on"] == str(issued_on)
    assert plan["sections"]["A"] == "Enjoys swimming; wants to join the school choir."
    shown = await _family_plan(family, referral_id)
    assert (shown["status"], shown["status_words"]) == ("final", "Final plan")
    assert not shown["comments_open"]

    versions = await _rows(
        owner_url,
        "SELECT version, status, changed_by FROM plan_versions WHERE referral_id = $1 "
        "ORDER BY version",
        referral_id,
    )
    assert [(v, s) for v, s, _ in versions] == [
        (1, "draft"), (2, "review_due"), (3, "amendments_proposed"), (4, "amendments_proposed"),
        (5, "final"),
    ]  # fmt: skip
    # Nothing from plans for the amendments themselves: the caseworker's edit and the
    # family's comments are announced as on any plan (the timeline; their caseworker told).
    topics = await _rows(
        owner_url, "SELECT topic FROM outbox WHERE key = $1 ORDER BY id", str(referral_id)
    )
    assert topics == [("plans.plan-revised.v1",), ("plans.plan-comments-received.v1",)]
    audited = await _rows(
        owner_url,
        "SELECT action, actor FROM audit_log WHERE referral_id = $1 AND action = 'update' "
        "AND actor = 'system:plans' ORDER BY id",
        referral_id,
    )
    assert len(audited) == 2  # the proposals and the amended plan, each once


async def test_an_amendment_for_a_plan_not_in_force_is_refused(owner_url: str, today: date) -> None:
    """No plan yet: the event waits in the dead-letter topic to be replayed (LookupError)."""
    sent_on = today - timedelta(days=5)
    comments_until = sent_on + timedelta(days=15)
    event = AmendmentsProposed(
        referral_id=uuid4(), local_authority=LEEDS, review_id=uuid4(), sent_on=sent_on,
        comments_until=comments_until, amended_plan_due=sent_on + timedelta(weeks=8),
    )  # fmt: skip
    with pytest.raises(LookupError, match="no plan for referral"):
        await _handled(owner_url, event)
