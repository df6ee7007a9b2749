"""The family's comments on their plan, through their link, as JSON (the workspace's comment
form sends them so). Only while the plan is with the family (shared, or a draft EHC plan
issued for comments). The comments are special category data: stored with the version they
were about, never logged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from plans.family.access import family_link
from plans.lifecycle import Refused
from plans.responses import record_response
from shared.family_links import FamilyLink
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, Problem

router = APIRouter(
    prefix="/v1/family",
    tags=["family"],
    responses={
        **UNAVAILABLE,
        **NOT_FOUND,
        **CONFLICT,
        401: {"model": Problem, "description": "The link is expired or not a link"},
    },
)


class FamilyComments(BaseModel):
    comments: str = Field(min_length=1, max_length=5000)
    preferred_school: str | None = Field(
        default=None, max_length=200, description="EHC: the school you would like named"
    )
    agree: bool = Field(
        default=False, description="You agree the plan (or, on a draft EHC plan: no more comments)"
    )


class CommentsRecorded(BaseModel):
    version: int = Field(description="The version of the plan the comments were about")
    agreed: bool
    preferred_school: str | None
    status: str = Field(description="Where the plan stands now")
    received_at: datetime


@router.post(
    "/{token}/plan/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentsRecorded,
    # First: the link's family is the caller, and the connection acts for its council.
    dependencies=[Depends(family_link)],
)
async def post_comments(
    body: FamilyComments,
    link: Annotated[FamilyLink, Depends(family_link)],
    caller: AsCaller,
) -> CommentsRecorded:
    """Your comments on the plan (and, on a draft EHC plan, the school you would like named)."""
    try:
        async with caller.begin() as uow:
            recorded = await record_response(
                uow, link.referral_id, comments=body.comments,
                preferred_school=body.preferred_school, agreed=body.agree,
                taken_by="family", who="family",
            )  # fmt: skip
    except Refused as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "the plan is not waiting for your comments just now; please contact your "
            "council's SEND team",
        ) from exc
    return CommentsRecorded(
        version=recorded.about_version,
        agreed=recorded.agreed,
        preferred_school=recorded.preferred_school,
        status=recorded.plan.status,
        received_at=recorded.received_at,
    )
