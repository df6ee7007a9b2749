"""A referral marked ``described`` whose words never come still gets its plan: after the wait,
drafted from the referral alone, announced once; not before the wait, and never twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from uuid import uuid4

import asyncpg
import pytest
from plans.late_words import LateWordsWatch

from scripts.platform import migrations_of
from shared.events import ReferralDescribed, ReferralReceived, Sen2Need, wrap
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_app import WORK, handled


@pytest.fixture(scope="module")
async def plans_url(databases: Databases) -> str:
    return await databases.fresh("latewords", "plans", migrations_of("plans"))


@pytest.fixture
async def conn(plans_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await owner_connection(plans_url)
    await connection.execute("TRUNCATE plan_inputs, outbox")
    yield connection
    await connection.close()


def _described_referral() -> ReferralReceived:
    return ReferralReceived(
        referral_id=uuid4(), local_authority="E08000035", received_on=date(2026, 11, 2),
        primary_need=Sen2Need.SLCN, requested_by="school", postcode_district="LS6",
        decision_due=date(2026, 12, 14), final_plan_due=date(2027, 3, 22), phase="primary",
        described=True,
    )  # fmt: skip


async def _received(conn: asyncpg.Connection, referral: ReferralReceived) -> None:
    message = wrap(referral, source="/t", local_authority=referral.local_authority)
    async with conn.transaction():
        await handled(conn, message)
    assert await _announced(conn) == []  # waits for the words


async def _announced(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT key FROM outbox WHERE topic = 'plans.plan-drafted.v1'")
    return [r["key"] for r in rows]


async def test_a_plan_waits_for_the_words_then_is_drafted_without_them_once(
    conn: asyncpg.Connection,
) -> None:
    referral = _described_referral()
    await _received(conn, referral)

    assert await LateWordsWatch(wait=timedelta(hours=1), interval_s=1).check(WORK, conn) == 0
    assert await _announced(conn) == []  # not before the wait

    late = LateWordsWatch(wait=timedelta(0), interval_s=1)
    assert await late.check(WORK, conn) == 1
    assert await _announced(conn) == [str(referral.referral_id)]
    status = await conn.fetchval(
        "SELECT status FROM support_plans WHERE referral_id = $1", referral.referral_id
    )
    assert status == "draft"
    audited = await conn.fetch(
        "SELECT actor, action, resource FROM audit_log WHERE referral_id = $1",
        referral.referral_id,
    )
    assert [tuple(r) for r in audited] == [("system:plans", "create", "plan")]
    assert await conn.fetchval("SELECT count(*) FROM plan_inputs") == 0
    assert await late.check(WORK, conn) == 0  # nothing left to do

    # The words come after all: the plan is not drafted a second time.
    words = ReferralDescribed(referral_id=referral.referral_id, strengths="Loves trains")
    async with conn.transaction():
        await handled(conn, wrap(words, source="/t", local_authority="E08000035"))
    assert await _announced(conn) == [str(referral.referral_id)]
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE referral_id = $1", referral.referral_id
        )
        == 1
    )  # no second draft, no second row


async def test_words_arriving_in_time_are_used_and_nothing_is_left_waiting(
    conn: asyncpg.Connection,
) -> None:
    referral = _described_referral()
    await _received(conn, referral)
    words = ReferralDescribed(referral_id=referral.referral_id, difficulties="Noisy rooms")
    async with conn.transaction():
        await handled(conn, wrap(words, source="/t", local_authority="E08000035"))
    assert await _announced(conn) == [str(referral.referral_id)]  # drafted, announced
    assert await LateWordsWatch(wait=timedelta(0), interval_s=1).check(WORK, conn) == 0
