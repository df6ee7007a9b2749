"""A SENCo's read of their pupil's plan (role ``school``): its sections A to K as the plans
service gives them to a school, read only. Plans decides who the SENCo's pupils are (the
school named by the referral): another school's pupil is "Page not found" here. A pupil whose
plan is not drafted yet has a page saying so."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web import pages, words
from web.backends import Backends, NotFound
from web.plan import sections, wording
from web.signin import User, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Senco = Annotated[User, with_role("school")]


@router.get("/school/pupils/{referral_id}/plan")
async def pupil_plan(request: Request, referral_id: UUID, user: Senco) -> Response:
    backends: Backends = state_of(request).backends
    # The pupil first: another school's pupil is "Page not found", whether it has a plan or not.
    await backends.get("referrals", f"/v1/school/pupils/{referral_id}", token=user.access_token)
    try:
        plan = await backends.get(
            "plans", f"/v1/school/pupils/{referral_id}/plan", token=user.access_token
        )
    except NotFound:
        plan = None
    return pages.render(
        request,
        "school/plan.html",
        referral_id=referral_id,
        reference=str(referral_id)[:8].upper(),
        plan=plan,
        keys=sections.sections_of(plan["track"]) if plan else [],
        sections=sections,
        wording=wording,
        words=words,
    )
