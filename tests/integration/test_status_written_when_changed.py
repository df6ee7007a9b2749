"""A step on the timeline writes the referral's status only when the status changes, on real
PostgreSQL: a message to the family (most of a journey's steps) leaves the referral's row as
it was, and the status is still the furthest journey step reached, whatever the order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from referrals import repository
from referrals.domain import Step

from scripts.platform import IdentityProvider, migrations_of
from shared.councils import act_for
from shared.db import Connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS, referral_body, referrals_service, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("statuswrites", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


async def test_only_a_step_that_moves_the_status_writes_the_referral(
    app: FastAPI, identity: IdentityProvider
) -> None:
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        created = await caseworker.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = UUID(created.json()["id"])

    async def record(conn: Connection, step: Step) -> tuple[str, str]:
        """The step recorded in a transaction of its own: then the status and the version of
        the referral's row (``xmin``: a new one each time the row is written)."""
        async with conn.transaction():
            await act_for(conn, [LEEDS])
            await repository.add_step_and_status(
                conn, referral_id=referral_id, event_id=uuid4(), step=step,
                service="tests", occurred_at=datetime.now(UTC),
            )  # fmt: skip
            row = await conn.fetchrow(
                "SELECT status, xmin::text AS version FROM referrals WHERE id = $1", referral_id
            )
        assert row is not None
        return row["status"], row["version"]

    async with service_state(app).database.pool().acquire() as conn:
        status, drafted = await record(conn, Step.PLAN_DRAFTED)
        assert status == Step.PLAN_DRAFTED
        assert await record(conn, Step.MESSAGE_SENT) == (Step.PLAN_DRAFTED, drafted)  # untouched
        assert await record(conn, Step.FAMILY_NOTIFIED) == (Step.PLAN_DRAFTED, drafted)
        status, assigned = await record(conn, Step.SPECIALIST_ASSIGNED)
        assert (status, assigned != drafted) == (Step.SPECIALIST_ASSIGNED, True)
        # A plan step coming late (another topic) never takes the status back.
        assert await record(conn, Step.PLAN_DRAFTED) == (Step.SPECIALIST_ASSIGNED, assigned)


async def test_a_step_for_a_referral_not_known_here_is_refused(app: FastAPI) -> None:
    async with service_state(app).database.pool().acquire() as conn, conn.transaction():
        await act_for(conn, [LEEDS])
        with pytest.raises(LookupError):
            await repository.add_step_and_status(
                conn, referral_id=uuid4(), event_id=uuid4(), step=Step.PLAN_DRAFTED,
                service="tests", occurred_at=datetime.now(UTC),
            )  # fmt: skip
