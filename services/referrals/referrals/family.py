"""The family view: what a family's link opens. No account: the link's signed token is the
key, scoped to one referral, expiring, and revocable by a caseworker."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from referrals import ehc_repository, repository
from referrals.documents import repository as documents
from referrals.documents.api import content_response
from referrals.documents.receiving import desk_of
from referrals.domain import (
    AWAITING_TRIAGE,
    HIDDEN_FROM_FAMILY,
    Step,
    ehc_next,
    family_next,
    family_words,
    reference,
)
from referrals.notices.letters import TITLES, LetterKind
from referrals.schemas import FamilyLetter, FamilyPlanLink, FamilyStep, FamilyView
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


async def family_link(request: Request, token: LinkToken) -> FamilyLink:
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
        ehc = await ehc_repository.stage_and_appeal(conn, link.referral_id)
        stage, appeal_by = ehc if ehc else (None, None)
        letters = await documents.family_letters(conn, link.referral_id)
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
        next=ehc_next(stage, {r["letter_kind"] for r in letters})
        if stage
        else AWAITING_TRIAGE
        if referral["primary_need"] is None
        else family_next(Step(referral["status"]), first_session),
        plan=FamilyPlanLink(
            text="Read your child's plan",
            href=state.family_plan_url.format(token=token),
        ),
        letters=[
            FamilyLetter(
                id=r["id"], what=TITLES[LetterKind(r["letter_kind"])], on=r["uploaded_at"].date()
            )
            for r in letters
        ],
        appeal_by=appeal_by,
    )


@router.get(
    "/{token}/letters/{document_id}",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {"application/pdf": {}}, "description": "The PDF"}},
)
async def get_family_letter(
    request: Request,
    document_id: UUID,
    link: Annotated[FamilyLink, Depends(family_link)],
    caller: AsCaller,
) -> Response:
    """One of the council's letters to the family, through their own link: only that
    referral's decision letters (never another document), each read audited as the link's."""
    async with caller.begin() as uow:
        if not await repository.family_link_current(uow.conn, link):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "this link has been withdrawn; use the link in your latest message",
            )
        found = [
            r
            for r in await documents.family_letters(uow.conn, link.referral_id)
            if r["id"] == document_id
        ]
        if not found:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such letter")
        uow.read("letter", referral_id=link.referral_id, local_authority=link.local_authority)
    return await content_response(await desk_of(request), found[0])
