"""What a family sees of their child's plan, through their link: ``/v1/family/{token}/plan``
as JSON (the workspace renders the family's page from it) and as a PDF. The link in the
family's message is the key (``plans.family.access``); it opens this referral's plan and
nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from plans import children, plan_pages
from plans.family import repository
from plans.family.access import FamilyLinkRefused, family_link
from plans.family.shapes import Council, FamilyPlan, Preparing
from plans.family.view import family_plan
from plans.state import state_of
from shared.family_links import FamilyLink
from shared.http import UNAVAILABLE, AsCaller, CallerWork, Problem

router = APIRouter(
    prefix="/v1/family",
    tags=["family"],
    responses={
        **UNAVAILABLE,
        401: {"model": Problem, "description": "The link is expired, revoked or not a link"},
    },
)
Link = Annotated[FamilyLink, Depends(family_link)]


class FamilyPlanAnswer(BaseModel):
    """The child's plan as the family may see it: ``plan`` once it is shared with them (the
    plan in the family's words, sections in order A to K), else ``preparing``: what is
    happening meanwhile."""

    reference: str = Field(description="The short reference in the family's messages")
    local_authority: str = Field(description="The council's ONS code", examples=["E08000035"])
    council: Council
    title: str | None = Field(default=None, examples=["Your child's support plan"])
    plan: FamilyPlan | None = None
    preparing: str | None = Field(
        default=None, examples=["We are writing your child's plan with the people who know them."]
    )


def council_of(request: Request, local_authority: str) -> Council:
    contact = state_of(request).council_contacts.get(local_authority)
    if contact is None:
        return Council(name="your council")
    return Council(name=contact.name, phone=contact.phone, email=contact.email)


async def _plan(request: Request, caller: CallerWork, link: FamilyLink) -> Any:
    async with caller.begin() as uow:
        row = await repository.plan_row(uow.conn, link.referral_id)
        child = await children.named(uow.conn, link.referral_id)
        uow.read("family-plan", referral_id=link.referral_id, local_authority=link.local_authority)
    council = council_of(request, link.local_authority)
    return family_plan(row, link.referral_id, council, child=child)


@router.get(
    "/{token}/plan",
    response_model=FamilyPlanAnswer,
    dependencies=[Depends(family_link)],
)
async def get_family_plan(request: Request, caller: AsCaller, link: Link) -> FamilyPlanAnswer:
    """The child's plan in plain English, for the family (until it is shared with them, what
    is happening meanwhile)."""
    shown = await _plan(request, caller, link)
    about: dict[str, Any] = {
        "reference": shown.reference,
        "local_authority": link.local_authority,
        "council": shown.council,
    }
    if isinstance(shown, Preparing):
        return FamilyPlanAnswer(**about, preparing=shown.what)
    return FamilyPlanAnswer(**about, plan=shown, title=shown.title)


async def family_pdf_turn(request: Request, link: Link) -> AsyncIterator[None]:
    """A turn at printing, counted against the link's plan (``plans.printing``)."""
    async with state_of(request).printing.turn(f"plan:{link.referral_id}"):
        yield


@router.get(
    "/{token}/plan.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        404: {"model": Problem},
        429: {"model": Problem, "description": "This plan was printed often this minute"},
        503: {"model": Problem, "description": "Too many plans are being printed; try again"},
    },
    # The link, then a turn at printing, before the database connection (none held waiting).
    dependencies=[Depends(family_link), Depends(family_pdf_turn, scope="function")],
)
async def get_family_plan_pdf(request: Request, caller: AsCaller, link: Link) -> Response:
    """The child's plan as a document (PDF), once it is shared with the family."""
    shown = await _plan(request, caller, link)
    if not isinstance(shown, FamilyPlan):
        return JSONResponse({"detail": "the plan is still being prepared"}, 404)
    return await plan_pdf(shown)


async def plan_pdf(plan: FamilyPlan) -> Response:
    html = plan_pages.html_for_print("plan.html", council=plan.council, plan=plan)
    return plan_pages.pdf_response(await run_in_threadpool(plan_pages.pdf, html), plan.reference)


async def refused(request: Request, exc: Exception) -> Response:
    """A refused link: the reason, as JSON (the workspace shows the family a page)."""
    assert isinstance(exc, FamilyLinkRefused)
    return JSONResponse({"detail": exc.detail}, exc.status_code)
