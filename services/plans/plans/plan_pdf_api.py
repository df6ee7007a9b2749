"""The plan as the document a council sends (PDF), for caseworkers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from plans import children
from plans.family import repository as family_repository
from plans.family.page import council_of, plan_pdf
from plans.family.shapes import FamilyPlan
from plans.family.view import family_plan
from plans.state import state_of
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller, Problem

router = APIRouter(prefix="/v1", tags=["plans"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


async def staff_pdf_turn(request: Request, principal: CurrentPrincipal) -> AsyncIterator[None]:
    """A turn at printing, counted against the member of staff (``plans.printing``)."""
    async with state_of(request).printing.turn(f"staff:{principal.subject}"):
        yield


@router.get(
    "/referrals/{referral_id}/plan.pdf",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {"content": {"application/pdf": {}}},
        429: {"model": Problem, "description": "You printed many plans this minute"},
        503: {"model": Problem, "description": "Too many plans are being printed; try again"},
    },
    # Who, then a turn at printing, before the database connection (none held waiting).
    dependencies=[
        allow(Role.CASEWORKER, Role.MANAGER),
        Depends(staff_pdf_turn, scope="function"),
    ],
)
async def get_plan_pdf(request: Request, referral_id: UUID, caller: AsCaller) -> Response:
    """The referral's plan as the document the council sends (PDF), in whatever status."""
    async with caller.begin() as uow:
        row = await family_repository.plan_row(uow.conn, referral_id)
        if row is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no plan yet for referral {referral_id}"
            )
        child = await children.named(uow.conn, referral_id)
        uow.read("plan-pdf", referral_id=referral_id, local_authority=row["local_authority"])
    council = council_of(request, row["local_authority"])
    shown = family_plan(row, referral_id, council, staff=True, child=child)
    if not isinstance(shown, FamilyPlan):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the plan of referral {referral_id} is in an older shape: it must be drafted again",
        )
    return await plan_pdf(shown)
