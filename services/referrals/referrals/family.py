"""The family view: what a family's link opens. No account: the link's signed token is the
key, scoped to one referral, expiring, and revocable by a caseworker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from referrals import repository
from referrals.domain import (
    AWAITING_TRIAGE,
    EHC_NEXT,
    HIDDEN_FROM_FAMILY,
    Step,
    family_next,
    family_words,
    reference,
)
from referrals.schemas import FamilyPlanLink, FamilyStep, FamilyView
from referrals.state import State
from shared.family_links import FamilyLink, InvalidFamilyLink, LinkToken, admit
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller, Problem

router = APIRouter(
    prefix="/v1/family",
    tags=["family"],
    responses={
        **UNAVAILABLE,
        401: {"model": Problem, "description": "The link is expired, revoked or not a link"},
    },
)


def family_link(request: Request, token: LinkToken) -> FamilyLink:
    """The link in the path, checked; the request then acts for that referral's council."""
    try:
        return admit(request, token)
    except InvalidFamilyLink as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc


@router.get(
    "/{token}",
    response_model=FamilyView,
    responses=NOT_FOUND,
    dependencies=[Depends(family_link)],
)
async def get_family_view(
    request: Request,
    token: LinkToken,
    link: Annotated[FamilyLink, Depends(family_link)],
    caller: AsCaller,
    state: State,
) -> FamilyView:
    """Where the family's referral stands, in plain words (steps, dates, what comes next).
    Audited as the link's read (never a person's)."""
    async with caller.begin(isolation="repeatable_read") as uow:
        conn = uow.conn
        found = await repository.get_referral(conn, link.referral_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "this referral is no longer here")
        referral, timeline = found
        arranged = [t["detail"] for t in timeline if t["step"] == Step.FIRST_SESSION_ARRANGED]
        first_session = arranged[-1] if arranged else None
        stage = await conn.fetchval(
            "SELECT stage FROM ehc_requests WHERE referral_id = $1", link.referral_id
        )
        if not await repository.family_link_current(conn, link):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "this link has been withdrawn; use the link in your latest message",
            )
        uow.read("family-view", referral_id=link.referral_id, local_authority=link.local_authority)
    return FamilyView(
        reference=reference(referral["id"]),
        local_authority=link.local_authority,
        requested_on=referral["received_on"],
        steps=[
            FamilyStep(what=family_words(t["step"], t["detail"]), on=t["occurred_at"].date())
            for t in timeline
            if t["step"] not in HIDDEN_FROM_FAMILY
        ],
        next=EHC_NEXT[stage]
        if stage
        else AWAITING_TRIAGE
        if referral["primary_need"] is None
        else family_next(Step(referral["status"]), first_session),
        plan=FamilyPlanLink(
            text="Read your child's plan",
            href=state.family_plan_url.format(token=token),
        ),
    )
