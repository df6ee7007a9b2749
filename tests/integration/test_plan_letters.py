"""A draft or final EHC plan issued in the plans service writes the family's letter when
referrals records its statutory step (#21), on real PostgreSQL: the same letter the
caseworker's ``/draft-plan`` and ``/final-plan`` write (the draft's comment date, the final
plan's appeal date), once on redelivery, listed on the family's page and opened through their
link; none again when a caseworker recorded the step (and its letter) first. The letter is
printed and put in the store after the consumer's transaction committed, with no lock held on
the referral (the store may be a bucket across a network)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from html import unescape
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.documents.store import PostgresStore, StoredKey, StoreUnavailable
from referrals.notices.letters import TITLES, Letter, LetterKind, html, pdf

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months, london_today
from shared.events import DomainEvent, PlanFinalised, PlanIssuedForComment, wrap
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import (
    LEEDS,
    handled,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("planletters", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
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


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list[Letter]:
    """Each letter as it is printed (and printed: the letter is what it says)."""
    from referrals.notices import issuing

    seen: list[Letter] = []

    def printing(letter: Letter) -> bytes:
        seen.append(letter)
        return pdf(letter)

    monkeypatch.setattr(issuing, "pdf", printing)
    return seen


async def _decided_to_issue(caseworker: httpx.AsyncClient) -> str:
    today = london_today()
    start = today - timedelta(weeks=14)
    created = await caseworker.post(
        "/v1/referrals", json=referral_body(track="ehc", received_on=start)
    )
    assert created.status_code == 201, created.text
    path = f"/v1/referrals/{created.json()['id']}"
    week5 = str(start + timedelta(weeks=5))
    kinds = ["parent", "educational", "educational_psychology", "medical", "social_care"]
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": week5}),
        ("advice-requests", {"kinds": kinds, "requested_on": week5}),
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


def _draft_issued(referral_id: str) -> PlanIssuedForComment:
    today = london_today()
    return PlanIssuedForComment(
        **_plan_step(referral_id),
        issued_on=today,
        comments_until=today + timedelta(days=15),
        final_plan_due=None,
    )


async def _consume(app: FastAPI, event: DomainEvent) -> list[DomainEvent]:
    """A new delivery of ``event`` handled as referrals' consumer handles it."""
    return await handled(app, wrap(event, source="/send-platform/plans", local_authority=LEEDS))


async def _print_due(app: FastAPI) -> int:
    """The letters due printed, as the service's printer job does (its next run)."""
    from referrals.notices.plan_letters import PlanLetterPrinter

    work = service_state(app).work
    async with work.pool().acquire() as conn:
        return await PlanLetterPrinter(interval_s=60).check(work, conn)


async def _letters(owner_url: str, referral_id: str) -> list[str]:
    conn: asyncpg.Connection = await owner_connection(owner_url)
    try:
        rows = await conn.fetch(
            """SELECT d.letter_kind FROM documents d
               JOIN document_contents c ON c.document_id = d.id
               WHERE d.referral_id = $1 AND d.kind = 'letter' ORDER BY d.uploaded_at""",
            UUID(referral_id),
        )
    finally:
        await conn.close()
    return [r["letter_kind"] for r in rows]


async def test_plans_draft_and_final_write_the_familys_letters_once(
    app: FastAPI,
    caseworker: httpx.AsyncClient,
    family: httpx.AsyncClient,
    owner_url: str,
    printed: list[Letter],
    today: date,
) -> None:
    referral_id = await _decided_to_issue(caseworker)
    before = await _letters(owner_url, referral_id)
    assert before == ["assessment_agreed", "plan_to_be_issued"]
    until = today + timedelta(days=15)
    issued = PlanIssuedForComment(
        **_plan_step(referral_id), issued_on=today, comments_until=until, final_plan_due=None
    )
    await _consume(app, issued)
    await _consume(app, issued)  # delivered again: one letter
    assert await _print_due(app) == 1
    assert await _print_due(app) == 0
    assert await _letters(owner_url, referral_id) == [
        "assessment_agreed",
        "plan_to_be_issued",
        "draft_plan",
    ]
    draft = printed[-1]
    assert (draft.kind, draft.dated, draft.comments_due) == (LetterKind.DRAFT_PLAN, today, until)
    words = unescape(html(draft))
    assert "at least 15 days" in words
    assert str(draft.council.local_offer) in words  # where the list of schools and colleges is

    final = PlanFinalised(
        **_plan_step(referral_id), final_plan_due=None, late=False, finalised_on=today,
        comments_closed_early=True, review_due=today,
    )  # fmt: skip
    await _consume(app, final)
    await _consume(app, final)
    assert await _print_due(app) == 1
    kinds = await _letters(owner_url, referral_id)
    assert kinds == ["assessment_agreed", "plan_to_be_issued", "draft_plan", "final_plan"]
    letter = printed[-1]
    assert (letter.kind, letter.appeal_by) == (LetterKind.FINAL_PLAN, add_months(today, 2))
    assert letter.appealable

    token = link(UUID(referral_id))
    view = (await family.get(f"/v1/family/{token}")).json()
    listed = {item["what"]: item["id"] for item in view["letters"]}
    assert TITLES[LetterKind.DRAFT_PLAN] in listed
    assert TITLES[LetterKind.FINAL_PLAN] in listed
    opened = await family.get(f"/v1/family/{token}/letters/{listed[TITLES[LetterKind.FINAL_PLAN]]}")
    assert opened.status_code == 200
    assert opened.content.startswith(b"%PDF")


async def test_a_draft_recorded_by_a_caseworker_first_gets_no_second_letter(
    app: FastAPI, caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = await _decided_to_issue(caseworker)
    recorded = await caseworker.post(
        f"/v1/referrals/{referral_id}/draft-plan", json={"issued_on": str(today)}
    )
    assert recorded.status_code == 200, recorded.text
    issued = _draft_issued(referral_id)
    assert await _consume(app, issued) == []
    assert await _print_due(app) == 0
    assert await _letters(owner_url, referral_id) == [
        "assessment_agreed",
        "plan_to_be_issued",
        "draft_plan",
    ]


async def test_the_letter_is_stored_after_the_step_commits_with_no_lock_on_the_referral(
    app: FastAPI,
    caseworker: httpx.AsyncClient,
    owner_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    referral_id = await _decided_to_issue(caseworker)
    put = PostgresStore.put
    seen: list[dict[str, bool]] = []

    async def bucket(store: PostgresStore, key: StoredKey, content: bytes) -> None:
        """As the store is called: is the step committed, and is the referral free?"""
        topics = [t for t, _ in await outbox_events(owner_url, referral_id)]
        owner = await owner_connection(owner_url)
        try:
            await owner.execute("SET lock_timeout = '2s'")  # never waits for ever
            async with owner.transaction():
                await owner.execute(
                    "SELECT 1 FROM referrals WHERE id = $1 FOR UPDATE NOWAIT", UUID(referral_id)
                )
                await owner.execute(
                    "SELECT 1 FROM ehc_requests WHERE referral_id = $1 FOR UPDATE NOWAIT",
                    UUID(referral_id),
                )
            locked = False
        except asyncpg.LockNotAvailableError:
            locked = True  # the store called under the consumer's lock on the referral
        finally:
            await owner.close()
        seen.append({"committed": any("draft-plan-issued" in t for t in topics), "locked": locked})
        await put(store, key, content)

    monkeypatch.setattr(PostgresStore, "put", bucket)
    issued = _draft_issued(referral_id)
    await _consume(app, issued)
    assert seen == []  # nothing stored while the consumer's transaction was open
    assert await _print_due(app) == 1
    assert seen == [{"committed": True, "locked": False}]
    assert "draft_plan" in await _letters(owner_url, referral_id)


async def test_a_letter_the_store_refused_stays_due_and_is_printed_after_a_wait(
    app: FastAPI, caseworker: httpx.AsyncClient, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    referral_id = await _decided_to_issue(caseworker)
    put = PostgresStore.put
    refused: list[StoredKey] = []

    async def bucket_down_once(store: PostgresStore, key: StoredKey, content: bytes) -> None:
        if not refused:
            refused.append(key)
            raise StoreUnavailable("the bucket is down")
        await put(store, key, content)

    monkeypatch.setattr(PostgresStore, "put", bucket_down_once)
    issued = _draft_issued(referral_id)
    await _consume(app, issued)
    assert await _print_due(app) == 0
    assert "draft_plan" not in await _letters(owner_url, referral_id)
    assert await _print_due(app) == 0  # still due, but tried again only after a wait
    owner = await owner_connection(owner_url)
    try:  # the wait is over
        await owner.execute(
            "UPDATE plan_letters_to_print SET next_attempt_at = now() WHERE referral_id = $1",
            UUID(referral_id),
        )
    finally:
        await owner.close()
    assert await _print_due(app) == 1  # printed at the next run after it, once
    assert await _print_due(app) == 0
    assert (await _letters(owner_url, referral_id)).count("draft_plan") == 1
