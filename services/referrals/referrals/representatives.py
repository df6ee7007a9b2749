"""A young person's representative (Children and Families Act 2014 s80): where a young person
lacks the mental capacity to make a decision, their representative (a deputy, an attorney, or
a parent) acts for them. A caseworker records who, on what basis and why; from then on the
messages and links go to the representative (a new contact for notifications, marked as a
representative's, so the words speak of the young person), and the timeline says so."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from referrals import repository
from referrals.domain import ContactStep, contact_registered
from referrals.public import store
from referrals.public.rules import school_leaving_date
from referrals.public.schemas import Representative
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.dates import london_today
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller, invalid

router = APIRouter(prefix="/v1", tags=["young people"], responses={**UNAVAILABLE, **AUTH_RESPONSES})
RESOURCE = "representative"


class RepresentativeRecorded(BaseModel):
    relationship: str
    recorded_at: datetime


@router.post(
    "/referrals/{referral_id}/representative",
    response_model=RepresentativeRecorded,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def record_representative(
    referral_id: UUID, body: Representative, caller: AsCaller, principal: CurrentPrincipal
) -> RepresentativeRecorded:
    """Record the representative of a young person who lacks mental capacity: they are told
    from now on, in the young person's place (the latest recorded replaces any before)."""
    async with caller.begin() as uow:
        found = await uow.conn.fetchrow(
            """SELECT r.local_authority, c.date_of_birth
               FROM referrals r JOIN children c ON c.id = r.child_id WHERE r.id = $1""",
            referral_id,
        )
        if found is None:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        if london_today() <= school_leaving_date(found["date_of_birth"]):
            raise invalid(
                [(("relationship",), "a representative acts for a young person (over "
                  "compulsory school age); a child's parent is the family's contact already")]
            )  # fmt: skip
        council: str = found["local_authority"]
        await store.record_representative(
            uow.conn, referral_id, council, relationship=body.relationship, reason=body.reason,
            recorded_by=principal.subject,
        )  # fmt: skip
        at: datetime = await uow.conn.fetchval("SELECT now()")
        await repository.add_step(
            uow.conn, referral_id=referral_id, event_id=uuid4(),
            step=ContactStep.REPRESENTATIVE_RECORDED, service="referrals", occurred_at=at,
            detail=body.relationship,
        )  # fmt: skip
        uow.add(contact_registered(referral_id, body.contact, representative=True),
                local_authority=council)  # fmt: skip
        uow.changed("update", RESOURCE, referral_id=referral_id, local_authority=council)
    return RepresentativeRecorded(relationship=body.relationship, recorded_at=at)
