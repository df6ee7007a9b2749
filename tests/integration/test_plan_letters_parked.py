"""The plans' letter printer (#22's leftover) on real PostgreSQL: a letter that can never be
kept (the request changed between printing and keeping, every time: ``LetterNotWritten``) is
tried again only after a growing wait, parked after ``attempts`` failures (its failure's kind
kept, counted in ``send_plan_letters_parked``) and no longer tried, while another letter due
with it is printed and kept; an operator's documented SQL puts it back. A letter the printer
keeps is audited as a document created by the service (``system:referrals``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.documents.store import PostgresStore, StoredKey, StoreUnavailable
from referrals.notices import plan_letters
from referrals.notices.issuing import LetterDesk, LetterNotWritten
from referrals.notices.plan_letters import PlanLetterPrinter

from scripts.platform import IdentityProvider, migrations_of
from shared.db import Connection
from shared.events import DomainEvent
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS, referrals_service, signed_in
from tests.integration.test_plan_letters import (
    _consume,
    _decided_to_issue,
    _draft_issued,
    _letters,
)

ATTEMPTS = 3

PUT_BACK = """UPDATE plan_letters_to_print
              SET parked_at = NULL, attempts = 0, failure = NULL, next_attempt_at = now()
              WHERE referral_id = $1 AND letter_kind = $2 AND parked_at IS NOT NULL"""
"""The operator's statement of docs/operating.md that puts a parked letter back."""


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("planletterspark", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn: asyncpg.Connection = await owner_connection(owner_url)
    try:
        yield conn
    finally:
        await conn.close()


async def _run(app: FastAPI) -> int:
    """One run of the printer job, as the service's, parking at the ``ATTEMPTS``-th failure."""
    work = service_state(app).work
    async with work.pool().acquire() as conn:
        return await PlanLetterPrinter(interval_s=60, attempts=ATTEMPTS).check(work, conn)


async def _row(owner: asyncpg.Connection, referral_id: str) -> Any:
    return await owner.fetchrow(
        """SELECT attempts, failure, parked_at,
                  extract(epoch FROM next_attempt_at - now()) AS wait_s
           FROM plan_letters_to_print WHERE referral_id = $1""",
        UUID(referral_id),
    )


def _parked(app: FastAPI) -> float:
    registry = service_state(app).operations.registry
    value = registry.get_sample_value("send_plan_letters_parked_total", {"local_authority": LEEDS})
    return value or 0.0


async def test_a_letter_never_kept_is_parked_after_its_attempts_and_holds_back_no_other(
    app: FastAPI,
    caseworker: httpx.AsyncClient,
    owner: asyncpg.Connection,
    owner_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plan_letters, "BATCH", 1)  # one letter a run: the order decides
    never = await _decided_to_issue(caseworker)
    other = await _decided_to_issue(caseworker)
    await _consume(app, _draft_issued(never))  # due first
    await _consume(app, _draft_issued(other))
    keep = LetterDesk.keep
    tried: list[int] = []
    still_failing = [True]

    async def changed_meanwhile(
        desk: LetterDesk, conn: Connection, event: DomainEvent, note: str | None, by: str
    ) -> UUID | None:
        """The child's details change between printing and keeping, at every try."""
        if str(getattr(event, "referral_id", "")) == never and still_failing[0]:
            tried.append(1)
            raise LetterNotWritten("the request changed while its letter was written")
        return await keep(desk, conn, event, note, by)

    monkeypatch.setattr(LetterDesk, "keep", changed_meanwhile)
    parked_before = _parked(app)

    assert await _run(app) == 0  # the letter never kept: tried, put off
    assert await _run(app) == 1  # the next run prints the other, not the same one again
    assert "draft_plan" in await _letters(owner_url, other)
    assert len(tried) == 1
    first = await _row(owner, never)
    assert (first["attempts"], first["failure"]) == (1, "LetterNotWritten")
    assert first["parked_at"] is None
    assert 25 < first["wait_s"] <= 30  # tried again in 30 s, not at the next run

    waits = []
    for _ in range(5):  # time passes: it is due again each time
        await owner.execute(
            "UPDATE plan_letters_to_print SET next_attempt_at = now() WHERE referral_id = $1",
            UUID(never),
        )
        assert await _run(app) == 0
        row = await _row(owner, never)
        waits.append(row["wait_s"])
    assert len(tried) == ATTEMPTS  # tried at most ATTEMPTS times, then no more
    assert 55 < waits[0] <= 60  # the wait doubled after the second failure
    parked = await _row(owner, never)
    assert parked["attempts"] == ATTEMPTS
    assert parked["parked_at"] is not None
    assert parked["failure"] == "LetterNotWritten"
    assert _parked(app) == parked_before + 1  # counted once, by council
    assert "draft_plan" not in await _letters(owner_url, never)

    still_failing[0] = False  # the cause fixed, an operator puts it back
    assert await owner.execute(PUT_BACK, UUID(never), "draft_plan") == "UPDATE 1"
    assert await _run(app) == 1
    assert "draft_plan" in await _letters(owner_url, never)
    assert await _row(owner, never) is None
    assert _parked(app) == parked_before + 1


async def test_an_unreadable_letter_due_first_does_not_stop_the_run(
    app: FastAPI, caseworker: httpx.AsyncClient, owner: asyncpg.Connection, owner_url: str
) -> None:
    unreadable = await _decided_to_issue(caseworker)
    other = await _decided_to_issue(caseworker)
    await _consume(app, _draft_issued(unreadable))
    await _consume(app, _draft_issued(other))
    await owner.execute(  # an event no longer read as its type (its schema changed, say)
        "UPDATE plan_letters_to_print SET event = '{}' WHERE referral_id = $1", UUID(unreadable)
    )
    assert await _run(app) == 1  # the other printed in the same run
    assert "draft_plan" in await _letters(owner_url, other)
    row = await _row(owner, unreadable)
    assert (row["attempts"], row["failure"]) == (1, "ValidationError")


async def test_a_letter_the_printer_keeps_is_audited_as_the_services_document(
    app: FastAPI, caseworker: httpx.AsyncClient, owner: asyncpg.Connection
) -> None:
    referral_id = await _decided_to_issue(caseworker)
    await _consume(app, _draft_issued(referral_id))
    assert await _run(app) == 1
    rows = await owner.fetch(
        """SELECT actor, action, resource, local_authority FROM audit_log
           WHERE referral_id = $1 AND resource = 'document'""",
        UUID(referral_id),
    )
    assert [tuple(r) for r in rows] == [("system:referrals", "create", "document", LEEDS)]


async def test_a_store_that_cannot_remove_the_bytes_still_counts_the_attempt(
    app: FastAPI,
    caseworker: httpx.AsyncClient,
    owner: asyncpg.Connection,
    owner_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    never = await _decided_to_issue(caseworker)
    other = await _decided_to_issue(caseworker)
    await _consume(app, _draft_issued(never))
    await _consume(app, _draft_issued(other))
    keep = LetterDesk.keep

    async def changed_meanwhile(
        desk: LetterDesk, conn: Connection, event: DomainEvent, note: str | None, by: str
    ) -> UUID | None:
        if str(getattr(event, "referral_id", "")) == never:
            raise LetterNotWritten("the request changed while its letter was written")
        return await keep(desk, conn, event, note, by)

    async def refused(store: PostgresStore, key: StoredKey) -> None:
        raise StoreUnavailable("the bucket is down")

    monkeypatch.setattr(LetterDesk, "keep", changed_meanwhile)
    monkeypatch.setattr(PostgresStore, "remove", refused)
    assert await _run(app) == 1  # the other printed in the same run
    assert "draft_plan" in await _letters(owner_url, other)
    row = await _row(owner, never)
    assert (row["attempts"], row["failure"]) == (1, "LetterNotWritten")  # counted all the same
