"""A consumed batch's steps through referrals' own handlers on real PostgreSQL (issue #25), run
as ``shared.consumption`` runs them (one transaction, the referrals' locks by
``referrals_locked``, ``shared.batches``' consumer): what a step follows up (the partners told
of a milestone) is read once for the batch, not once a step; the intake's steps need no lock;
the caseload's rows of its specialists' events are written in one statement; and the steps,
statuses and caseload rows are those the same events leave one at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from asyncpg.connection import LoggedQuery
from fastapi import FastAPI
from referrals.handlers import subscriptions

from scripts.platform import IdentityProvider, migrations_of
from shared.batches import batch_consumer
from shared.councils import act_for
from shared.db import Connection
from shared.events import (
    DomainEvent,
    Envelope,
    PlanDrafted,
    ReferralRequested,
    ReferralWaitlisted,
    SpecialistAssigned,
    wrap,
)
from shared.referral_locks import referrals_locked
from shared.state import service_state
from tests.conftest import Databases
from tests.events import sample_event
from tests.handling import units_of_work
from tests.integration.referrals_app import LEEDS, referral_body, referrals_service, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("batchfollow", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    # The intake topic's sample requests carry test NHS numbers (999...).
    async with referrals_service(owner_url, identity, accept_test_nhs_numbers=True) as running:
        yield running


async def _referrals(app: FastAPI, identity: IdentityProvider, count: int) -> list[UUID]:
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        ids = []
        for _ in range(count):
            created = await caseworker.post("/v1/referrals", json=referral_body())
            assert created.status_code == 201, created.text
            ids.append(UUID(created.json()["id"]))
    return ids


def _messages(event_class: type[DomainEvent], referrals: list[UUID]) -> list[Envelope[Any]]:
    return [
        wrap(sample_event(event_class, r), source="/send-platform/tests", local_authority=LEEDS)
        for r in referrals
    ]


async def _batch(app: FastAPI, messages: list[Envelope[Any]]) -> list[str]:
    """``messages`` (of one event class) consumed as one batch; the statements it made."""
    state = service_state(app)
    (subscription,) = [s for s in subscriptions if s.event_class is type(messages[0].data)]
    consume = batch_consumer(subscription, units_of_work(state.outbox, state.own), "referrals")
    statements: list[str] = []

    def logged(query: LoggedQuery) -> None:
        statements.append(query.query)

    async with state.database.pool().acquire() as conn:
        conn.add_query_logger(logged)
        try:
            async with conn.transaction(), referrals_locked(conn, (m.subject for m in messages)):
                await consume(messages, conn)
        finally:
            conn.remove_query_logger(logged)
    return statements


async def _state(conn: Connection, referral_id: UUID) -> tuple[str, list[str]]:
    async with conn.transaction():
        await act_for(conn, [LEEDS])
        status = await conn.fetchval("SELECT status FROM referrals WHERE id = $1", referral_id)
        steps = await conn.fetch("SELECT step FROM timeline WHERE referral_id = $1", referral_id)
    return status, sorted(row["step"] for row in steps)


async def test_a_batchs_milestones_read_the_partners_requests_once(
    app: FastAPI, identity: IdentityProvider
) -> None:
    referrals = await _referrals(app, identity, 3)
    statements = await _batch(app, _messages(PlanDrafted, referrals))
    partners = [s for s in statements if "FROM partner_requests" in s]
    inserts = [s for s in statements if "INSERT INTO timeline" in s]
    assert len(partners) == 1, statements  # was one a milestone: three
    assert len(inserts) == 1, statements  # was one a step: three
    async with service_state(app).database.pool().acquire() as conn:
        for referral_id in referrals:
            assert await _state(conn, referral_id) == (
                "plan_drafted",
                ["plan_drafted", "referral_received"],
            )


async def _rows(conn: Connection, query: str, referrals: list[UUID]) -> list[tuple[Any, ...]]:
    async with conn.transaction():
        await act_for(conn, [LEEDS])
        return [tuple(r) for r in await conn.fetch(query, referrals)]


async def test_a_batchs_specialists_events_are_one_statement_with_the_same_rows(
    app: FastAPI, identity: IdentityProvider
) -> None:
    referrals = await _referrals(app, identity, 4)
    waits = _messages(ReferralWaitlisted, referrals)
    again = wrap(  # the first referral's wait for the same role again: the first one is kept
        sample_event(ReferralWaitlisted, referrals[0]),
        source="/send-platform/tests",
        local_authority=LEEDS,
    )
    statements = await _batch(app, [*waits, again])
    assert len([s for s in statements if "INTO specialist_waits" in s]) == 1, statements
    assigned = _messages(SpecialistAssigned, referrals[:3])  # the fourth still waits
    statements = await _batch(app, assigned)
    allocations = [s for s in statements if "INTO specialist_allocations" in s]
    assert len(allocations) == 1, statements  # was two an event (the allocation, its wait)
    async with service_state(app).database.pool().acquire() as conn:
        waiting = await _rows(
            conn,
            "SELECT referral_id, since FROM specialist_waits WHERE referral_id = ANY($1)",
            referrals,
        )
        assert waiting == [(referrals[3], waits[3].time)]
        allocated = await _rows(
            conn,
            """SELECT allocation_id, referral_id, specialist_id, assigned_at
               FROM specialist_allocations WHERE referral_id = ANY($1) ORDER BY assigned_at""",
            referrals,
        )
        expected = [(m.data.allocation_id, m.data.referral_id, m.data.specialist_id, m.time)
                    for m in assigned]  # fmt: skip
        assert sorted(allocated) == sorted(expected)
        for referral_id in referrals[:3]:
            assert (await _state(conn, referral_id))[0] == "specialist_assigned"
        assert (await _state(conn, referrals[3])) == (
            "waitlisted",
            ["referral_received", "waitlisted"],
        )


async def test_a_batchs_referrals_taken_in_have_their_steps_written_at_once(
    app: FastAPI,
) -> None:
    referrals = [uuid4() for _ in range(3)]
    statements = await _batch(app, _messages(ReferralRequested, referrals))
    inserts = [s for s in statements if "INSERT INTO timeline" in s]
    assert len(inserts) == 1, statements  # was one a referral, each after its row's lock
    assert not [s for s in statements if "FOR UPDATE" in s], statements
    async with service_state(app).database.pool().acquire() as conn:
        for referral_id in referrals:
            assert await _state(conn, referral_id) == ("referral_received", ["referral_received"])


async def test_a_batch_of_two_referrals_writes_its_steps_at_once_as_before(
    app: FastAPI, identity: IdentityProvider
) -> None:
    referrals = await _referrals(app, identity, 2)
    statements = await _batch(app, _messages(PlanDrafted, referrals))
    timeline = [s for s in statements if "timeline" in s]
    assert len(timeline) == 2, statements  # each step's insert with its read-back, as before
    assert not [s for s in statements if "unnest" in s and "timeline" in s], statements
    async with service_state(app).database.pool().acquire() as conn:
        for referral_id in referrals:
            assert (await _state(conn, referral_id))[0] == "plan_drafted"
