"""The one way a service changes state (``shared.unit_of_work``), on a real database: the
events a change caused and the audit rows they stand for commit with it or not at all; an
``Idempotency-Key`` gives a retry the first answer and changes nothing; the change acts for
its council only."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import asyncpg
import pytest

from scripts.platform import migrations_of
from shared.db import Database
from shared.events import FamilyLinksRevoked, ReferralClosed
from shared.migrations import owner_connection
from shared.outbox import Outbox
from shared.services import LOCAL_SERVICE_USER, with_user
from shared.unit_of_work import Actor, KeyReused, Work
from tests.conftest import Databases

LEEDS, BRADFORD = "E08000035", "E08000032"
CASEWORKER = Actor("leeds-caseworker", ("caseworker",), request_id="req-1")


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("unit-of-work", "referrals", migrations_of("referrals"))


@pytest.fixture
async def work(owner_url: str) -> AsyncIterator[Work]:
    database = Database(with_user(owner_url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER))
    await database.open()
    yield Work(
        database.pool,
        Outbox(source="/send-platform/referrals", declared=(ReferralClosed, FamilyLinksRevoked)),
    )
    await database.close()


def _closed(referral_id: UUID, council: str = LEEDS) -> ReferralClosed:
    return ReferralClosed(
        referral_id=referral_id, local_authority=council, reason="support_completed",
        closed_on="2026-12-01",
    )  # fmt: skip


async def _rows(owner_url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await owner_connection(owner_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_a_change_commits_with_its_events_and_their_audit_rows(
    work: Work, owner_url: str
) -> None:
    referral_id = uuid4()
    async with work.begin(CASEWORKER, councils=[LEEDS]) as uow:
        uow.add(_closed(referral_id))
        uow.read("referral", referral_id=referral_id, local_authority=LEEDS)
    outbox = await _rows(owner_url, "SELECT topic FROM outbox WHERE key = $1", str(referral_id))
    assert [r["topic"] for r in outbox] == [ReferralClosed.topic()]
    audit = await _rows(
        owner_url,
        "SELECT actor, action, resource, request_id FROM audit_log WHERE referral_id = $1 "
        "ORDER BY id",
        referral_id,
    )
    assert [tuple(r) for r in audit] == [
        ("leeds-caseworker", "update", "referral", "req-1"),
        ("leeds-caseworker", "read", "referral", "req-1"),
    ]


async def test_a_change_that_fails_leaves_no_event_and_no_audit_row(
    work: Work, owner_url: str
) -> None:
    referral_id = uuid4()

    async def refused() -> None:
        async with work.begin(CASEWORKER, councils=[LEEDS]) as uow:
            uow.add(_closed(referral_id))
            raise RuntimeError("the domain refused")

    with pytest.raises(RuntimeError):
        await refused()
    for table, column in (("outbox", "key"), ("audit_log", "referral_id::text")):
        sql = f"SELECT 1 FROM {table} WHERE {column} = $1"
        assert await _rows(owner_url, sql, str(referral_id)) == [], table


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_changes_nothing(
    work: Work, owner_url: str
) -> None:
    referral_id, key = uuid4(), str(uuid4())
    request = {"reason": "support_completed"}
    async with work.begin(
        CASEWORKER, councils=[LEEDS], idempotency_key=key, request=request
    ) as uow:
        assert uow.replayed is None
        uow.add(_closed(referral_id))
        uow.answer(200, {"closed": str(referral_id)})
    async with work.begin(
        CASEWORKER, councils=[LEEDS], idempotency_key=key, request=request
    ) as uow:
        assert uow.replayed is not None
        assert (uow.replayed.status_code, uow.replayed.body) == (200, {"closed": str(referral_id)})
        uow.add(_closed(referral_id))  # a retry that would change again: never written
    outbox = await _rows(owner_url, "SELECT 1 FROM outbox WHERE key = $1", str(referral_id))
    assert len(outbox) == 1
    with pytest.raises(KeyReused):
        async with work.begin(
            CASEWORKER, councils=[LEEDS], idempotency_key=key, request={"reason": "other"}
        ):
            pass


async def test_a_change_acts_for_its_council_only(work: Work) -> None:
    """A Leeds change cannot write a Bradford row: row-level security binds its transaction."""
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with work.begin(CASEWORKER, councils=[LEEDS]) as uow:
            uow.add(_closed(uuid4(), council=BRADFORD))  # the audit row is Bradford's


async def test_an_event_without_a_council_is_refused_before_anything_is_written(
    work: Work,
) -> None:
    async with work.begin(Actor.system("referrals"), councils=[LEEDS]) as uow:
        with pytest.raises(ValueError, match="names no council"):
            uow.add(_closed(uuid4()).model_copy(update={"local_authority": ""}))


async def test_events_recorded_together_each_continue_the_trace_they_were_given(
    work: Work, owner_url: str
) -> None:
    """One unit of work recording several messages (notifications' sender): each event goes
    out in the trace of its own cause, not in the one current at commit."""
    first, second = uuid4(), uuid4()
    trace = {"traceparent": f"00-{first.hex}-{'1' * 16}-01"}
    async with work.begin(Actor.system("tests"), councils=[LEEDS]) as uow:
        uow.add(_closed(first), trace=trace)
        uow.add(_closed(second))  # the current span's: none here
    rows = await _rows(
        owner_url,
        "SELECT key, headers FROM outbox WHERE key = ANY($1::text[]) ORDER BY id",
        [str(first), str(second)],
    )
    headers = {r["key"]: json.loads(r["headers"]) for r in rows}
    assert headers[str(first)] == trace
    assert headers[str(second)] == {}
