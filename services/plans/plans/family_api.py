"""The family's comments on their plan, through their link: a JSON body, or the HTML form on
the family's plan page (``application/x-www-form-urlencoded``: ``comments``, optional
``preferred_school`` and ``agree`` = "yes"), which is sent back to the page (303). Only while
the plan is with the family (shared, or a draft EHC plan issued for comments). The comments are
special category data: stored with the version they were about, never logged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from plans.changes import invalid
from plans.family_access import family_link
from plans.lifecycle import Refused
from plans.responses import record_response
from shared.audit import Audit
from shared.family_links import FamilyLink
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, DbConnection, Problem, ServiceOutbox

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
FORM = "application/x-www-form-urlencoded"


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


async def _body(request: Request) -> tuple[FamilyComments, bool]:
    """The comments, and whether they came from the HTML form."""
    is_form = request.headers.get("content-type", "").split(";")[0].strip() == FORM
    try:
        if is_form:
            fields = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            raw: Any = {**fields, "agree": fields.get("agree") == "yes"}
            return FamilyComments.model_validate(raw), True
        return FamilyComments.model_validate_json(await request.body()), False
    except ValidationError as exc:
        raise invalid([(tuple(e["loc"]), e["msg"]) for e in exc.errors()]) from exc
    except UnicodeDecodeError as exc:
        raise invalid([((), "the form is not UTF-8")]) from exc


@router.post(
    "/{token}/plan/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentsRecorded,
    dependencies=[Depends(family_link)],  # first: the connection acts for the link's council
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": FamilyComments.model_json_schema()},
                FORM: {"schema": FamilyComments.model_json_schema()},
            },
            "required": True,
        }
    },
)
async def post_comments(
    request: Request,
    link: Annotated[FamilyLink, Depends(family_link)],
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
) -> Any:
    """Your comments on the plan (and, on a draft EHC plan, the school you would like named)."""
    body, from_form = await _body(request)
    try:
        async with conn.transaction():
            recorded = await record_response(
                conn, outbox, link.referral_id, comments=body.comments,
                preferred_school=body.preferred_school, agreed=body.agree,
                taken_by="family", who="family",
            )  # fmt: skip
            await audit.record(
                conn, "update", "plan-comments", referral_id=link.referral_id,
                local_authority=link.local_authority,
            )  # fmt: skip
    except Refused as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "the plan is not waiting for your comments just now; please contact your "
            "council's SEND team",
        ) from exc
    if from_form:
        token = request.path_params["token"]
        return RedirectResponse(f"/v1/family/{token}/plan", status.HTTP_303_SEE_OTHER)
    return JSONResponse(
        CommentsRecorded(
            version=recorded.about_version,
            agreed=recorded.agreed,
            preferred_school=recorded.preferred_school,
            status=recorded.plan.status,
            received_at=recorded.received_at,
        ).model_dump(mode="json"),
        status.HTTP_201_CREATED,
    )
