"""Closing a referral: the council's support for the child is over (completed, declined by the
family, or the child moved away). Its specialists' allocations end, and their places go to
the waitlist at once, through a ``ReferralClosed`` event. A referral whose statutory EHC
process is still running is not closed here; once its outcome (a refusal, a decision not to
issue, the final plan) has ended the request, the support it started is closed here as any
other."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from referrals import repository
from referrals.statutory import CLOSED, Stage
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import EndReason, ReferralClosed
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller

router = APIRouter(
    prefix="/v1",
    tags=["referrals"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
)


class Closing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: EndReason = Field(
        description="support_completed, family_declined or child_moved", examples=["child_moved"]
    )


class Closed(BaseModel):
    id: UUID
    reason: EndReason
    closed_on: str = Field(examples=["2026-11-29"])


@router.post(
    "/referrals/{referral_id}/close",
    response_model=Closed,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def close_referral(referral_id: UUID, body: Closing, caller: AsCaller) -> Closed:
    """Close the referral; its specialists' allocations end and free their places."""
    async with caller.begin() as uow:
        found = await repository.closing_state(uow.conn, referral_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        if found["support_ended_at"] is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, "the referral is closed already")
        if found["ehc_stage"] is not None and Stage(found["ehc_stage"]) not in CLOSED:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                "the statutory EHC process is still running: close the referral once its "
                "outcome is recorded",
            )
        await repository.close(uow.conn, referral_id)
        today = london_today()
        uow.add(
            ReferralClosed(
                referral_id=referral_id,
                local_authority=found["local_authority"],
                reason=body.reason,
                closed_on=today,
            )
        )
    return Closed(id=referral_id, reason=body.reason, closed_on=today.isoformat())
