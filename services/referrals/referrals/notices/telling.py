"""Others told of a step, in the step's unit of work: whom (``others``, from the council's
``COUNCIL_NOTICES``), the ``others_notified`` step on the timeline, and its event for the caller
to add (a route) or return (a handler)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

from referrals import ehc_repository, repository
from referrals.domain import StatutoryStep
from referrals.notices.council import notices_for
from referrals.notices.others import ceasing_told, others_to_tell, told_whom
from referrals.state import referrals_of
from shared.events import DomainEvent, EhcAssessmentRequested, OthersNotified, PlanCeasingDecided
from shared.unit_of_work import UnitOfWork


async def others_told(uow: UnitOfWork, event: DomainEvent) -> list[OthersNotified]:
    """Who is told of ``event``'s step (none, or one event), its timeline step recorded."""
    council = getattr(event, "local_authority", None)
    if not isinstance(council, str):
        return []
    notices = notices_for(referrals_of(uow.service).council_notices, council)
    school_urn = await ehc_repository.school_of(uow.conn, event.referral_id)
    told = others_to_tell(event, notices.teams, school_urn)
    if told is None:
        return []
    await repository.add_step(
        uow.conn,
        referral_id=event.referral_id,
        event_id=uuid4(),
        step=StatutoryStep.OTHERS_NOTIFIED,
        service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"),
        detail=told_whom(told),
    )
    return [told]


async def others_told_of_ceasing(
    uow: UnitOfWork, event: PlanCeasingDecided
) -> list[OthersNotified]:
    """Who is told of a decision to cease the plan (Reg 31(2)): the named school and the health
    commissioning body; its timeline step recorded. A plan brought in carries the referral's
    requester and its first known day, as its import recorded them."""
    notices = notices_for(referrals_of(uow.service).council_notices, event.local_authority)
    school_urn = await ehc_repository.school_of(uow.conn, event.referral_id)
    row = await uow.conn.fetchrow(
        """SELECT r.track, r.requested_by, coalesce(e.requested_on, r.received_on) AS requested_on
           FROM referrals r LEFT JOIN ehc_requests e ON e.referral_id = r.id WHERE r.id = $1""",
        event.referral_id,
    )
    assert row is not None  # the step's referral, locked by its unit of work
    common = {
        "referral_id": event.referral_id,
        "local_authority": event.local_authority,
        "track": row["track"],
        "requested_by": row["requested_by"],
        "ehc_requested_on": row["requested_on"],
    }
    told = ceasing_told(event, notices.teams, school_urn, common)
    if told is None:
        return []
    await _told_step(uow, told)
    return [told]


async def _told_step(uow: UnitOfWork, told: OthersNotified) -> None:
    await repository.add_step(
        uow.conn,
        referral_id=told.referral_id,
        event_id=uuid4(),
        step=StatutoryStep.OTHERS_NOTIFIED,
        service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"),
        detail=told_whom(told),
    )


async def with_others_told(uow: UnitOfWork, events: Sequence[DomainEvent]) -> list[DomainEvent]:
    """A referral's events as it is taken in, and for an EHC needs assessment request among
    them the others told of it (Reg 4(2)): one line where each way in takes a referral."""
    requests = [e for e in events if isinstance(e, EhcAssessmentRequested)]
    return [*events, *[told for e in requests for told in await others_told(uow, e)]]
