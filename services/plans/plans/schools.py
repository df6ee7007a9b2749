"""A school's SENCo (role ``school``, scoped by the ``school_urns`` claim): the plan of one of
their pupils, read only.

A pupil is a child whose referral named one of the SENCo's schools: plans keeps the school's
URN from the referral received (``support_plans.school_urn``). Any other plan is "not found"
here, whether it exists or not, so a SENCo learns nothing about another school's pupils; the
council line is row-level security's, as for every caller. Each read is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from plans.views import current
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.events import PlanStatus, Track
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller

router = APIRouter(
    prefix="/v1/school/pupils/{referral_id}/plan",
    tags=["schools"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND},
    dependencies=[allow(Role.SCHOOL)],
)


class PupilPlanView(BaseModel):
    """The plan as a school reads it: where it stands and its sections. Not the council's
    quality checks or working notes, which are the caseworker's."""

    referral_id: UUID
    track: Track
    status: PlanStatus
    version: int
    sections: dict[str, Any] = Field(description="The plan document (sections A to K)")
    final_plan_due: date | None = Field(description="EHC: the statutory date")
    review_due_on: date | None


@router.get("", response_model=PupilPlanView)
async def get_pupil_plan(
    referral_id: UUID, caller: AsCaller, principal: CurrentPrincipal
) -> PupilPlanView:
    """The pupil's plan as it stands. Another school's pupil, no such referral or no plan yet:
    the same 404."""
    async with caller.begin() as uow:
        school = await uow.conn.fetchval(
            "SELECT school_urn FROM support_plans WHERE referral_id = $1", referral_id
        )
        if school is None or school not in principal.school_urns:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no pupil's plan {referral_id}")
        view = await current(uow.conn, referral_id)
        uow.read("plan", referral_id=referral_id, local_authority=view.local_authority)
    return PupilPlanView(**view.model_dump())
