"""Plans that cease with no appeal: a decision to cease takes effect the day after the time to
appeal ends, when no appeal was lodged (s45(4)(a)); the annual review scheduler
(``referrals.live.review_watch``) runs this in its own pass, driven by the database (the
cessation's stored ``appeal_by``), rows claimed with SKIP LOCKED, a batch a unit of work, the
day from its injectable clock: so a plan ceases once, after a restart or downtime too."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.live import cessation_store
from referrals.live.ceasing import Cessation, lapse
from shared.councils import ALL
from shared.db import Connection
from shared.events import PlanCeased
from shared.unit_of_work import Actor, UnitOfWork, Work

REFERRALS = Actor.system("referrals")


async def plan_ceased(uow: UnitOfWork, ceased: Cessation) -> PlanCeased:
    """The plan ceased: no annual review is scheduled or watched any more; its timeline step;
    its event for the caller to add."""
    assert ceased.ceased_on is not None
    await cessation_store.end_reviews(uow.conn, ceased.referral_id)
    await repository.add_step(
        uow.conn, referral_id=ceased.referral_id, event_id=uuid4(),
        step=StatutoryStep.PLAN_CEASED, service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"), detail=str(ceased.id),
    )  # fmt: skip
    return PlanCeased(
        referral_id=ceased.referral_id,
        local_authority=ceased.local_authority,
        cessation_id=ceased.id,
        ceased_on=ceased.ceased_on,
        reason=ceased.reason,
    )


async def cease_lapsed(work: Work, conn: Connection, today: date, batch: int) -> int:
    """One batch of plans whose time to appeal a decision to cease passed with no appeal:
    ceased (the day after it ended), each in the unit of work that adds its event."""
    async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
        rows = await conn.fetch(
            """SELECT * FROM plan_cessations WHERE stage = 'to_cease' AND appeal_by < $1
               ORDER BY appeal_by LIMIT $2 FOR UPDATE SKIP LOCKED""",
            today,
            batch,
        )
        for row in rows:
            ceased = lapse(cessation_store.cessation_of(row), today)
            assert ceased is not None  # its appeal_by passed: the query's own condition
            await cessation_store.save(conn, ceased)
            uow.add(await plan_ceased(uow, ceased))
    return len(rows)
