"""The plan as the document a council sends (PDF), for caseworkers."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, Response, status

from plans import family_repository
from plans.family_page import council_of, plan_pdf
from plans.family_shapes import FamilyPlan
from plans.family_view import family_plan
from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.http import NOT_FOUND, UNAVAILABLE, DbConnection

router = APIRouter(prefix="/v1", tags=["plans"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


@router.get(
    "/referrals/{referral_id}/plan.pdf",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {"application/pdf": {}}}},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_plan_pdf(
    request: Request, referral_id: UUID, conn: DbConnection, audit: Audit
) -> Response:
    """The referral's plan as the document the council sends (PDF), in whatever status."""
    row = await family_repository.plan_row(conn, referral_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no plan yet for referral {referral_id}")
    await audit.record(
        conn, "read", "plan-pdf", referral_id=referral_id, local_authority=row["local_authority"]
    )
    council = council_of(request, row["local_authority"])
    shown = family_plan(row, referral_id, council, staff=True)
    if not isinstance(shown, FamilyPlan):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the plan of referral {referral_id} is in an older shape: it must be drafted again",
        )
    return await plan_pdf(shown)
