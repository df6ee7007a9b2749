"""Others told of a step, in the step's unit of work: whom (``others``, from the council's
``COUNCIL_NOTICES``), the ``others_notified`` step on the timeline, and its event for the caller
to add (a route) or return (a handler)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

from referrals import ehc_repository, repository
from referrals.domain import StatutoryStep
from referrals.notices.council import notices_for
from referrals.notices.others import others_to_tell, told_whom
from referrals.state import referrals_of
from shared.events import DomainEvent, EhcAssessmentRequested, OthersNotified
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


async def with_others_told(uow: UnitOfWork, events: Sequence[DomainEvent]) -> list[DomainEvent]:
    """A referral's events as it is taken in, and for an EHC needs assessment request among
    them the others told of it (Reg 4(2)): one line where each way in takes a referral."""
    requests = [e for e in events if isinstance(e, EhcAssessmentRequested)]
    return [*events, *[told for e in requests for told in await others_told(uow, e)]]
