"""HTTP routes of the plans service for caseworkers: the plan, its versions, and editing a
section (a new version, the quality checks run again). Each read is audited, each change is
one unit of work (``plans.units``)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from pydantic import BaseModel, Field, ValidationError

from plans import changes, repository, versions
from plans.document import SECTION_KEYS
from plans.lifecycle import Refused
from plans.structure import SectionNotOnTrack, section_errors, with_section
from plans.views import SupportPlanView, VersionSummary, VersionView, current, if_match
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, invalid

router = APIRouter(
    prefix="/v1/referrals/{referral_id}/plan",
    tags=["plans"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
IfMatch = Annotated[int | None, Depends(if_match)]


@router.get("", response_model=SupportPlanView)
async def get_plan_for_referral(
    referral_id: UUID, caller: AsCaller, response: Response
) -> SupportPlanView:
    """The referral's plan as it stands: its current version, status, checks and dates."""
    async with caller.begin() as uow:
        view = await current(uow.conn, referral_id)
        uow.read("plan", referral_id=referral_id, local_authority=view.local_authority)
    response.headers["ETag"] = f'"{view.version}"'
    return view


@router.get("/versions", response_model=list[VersionSummary])
async def list_versions(referral_id: UUID, caller: AsCaller) -> Any:
    """Every version of the plan: who made it, when, why, and the status then."""
    async with caller.begin() as uow:
        view = await current(uow.conn, referral_id)
        uow.read("plan-versions", referral_id=referral_id, local_authority=view.local_authority)
        return [dict(row) for row in await versions.listed(uow.conn, referral_id)]


@router.get("/versions/{version}", response_model=VersionView)
async def get_version(
    referral_id: UUID, version: Annotated[int, Path(ge=1)], caller: AsCaller
) -> Any:
    """One version, with the family's comments about it."""
    async with caller.begin() as uow:
        view = await current(uow.conn, referral_id)
        found = await versions.one(uow.conn, referral_id, version)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"the plan has no version {version}")
        row, comments = found
        uow.read("plan-version", referral_id=referral_id, local_authority=view.local_authority)
    return {
        **dict(row),
        "comments": len(comments),
        "document": json.loads(row["document"]),
        "family_comments": [dict(c) for c in comments],
    }


class SectionEdit(BaseModel):
    content: Any = Field(description="The section as the plan document's model has it")
    reason: str = Field(min_length=1, max_length=500, description="Why (kept with the version)")
    version: int | None = Field(default=None, ge=1, description="Or If-Match: the version read")


@router.put("/sections/{key}", response_model=SupportPlanView, responses=CONFLICT)
async def edit_section(
    referral_id: UUID,
    key: Annotated[str, Path(description=f"One of {', '.join(SECTION_KEYS)}")],
    body: SectionEdit,
    expected: IfMatch,
    caller: AsCaller,
) -> SupportPlanView:
    """Replace one section: a new version; 409 when the plan changed since it was read."""
    async with caller.begin() as uow:
        plan, document = await changes.locked(uow.conn, referral_id, body.version or expected)
        # A draft that needed attention is announced from its referral once it passes.
        attention = plan.status == "needs_attention"
        drafted_from = await repository.drafted_from(uow.conn, plan.id) if attention else None
        try:
            edited = with_section(document, key, body.content)
            taken = plan.edit(key, edited, body.reason, drafted_from=drafted_from)
            # A plan with the family failing a check is refused here (409), not a 500.
            await changes.store(uow.conn, taken, edited, changed_by=uow.actor.subject)
        except SectionNotOnTrack as exc:
            raise invalid([(("key",), str(exc))]) from exc
        except ValidationError as exc:
            raise invalid(
                [(("content", *loc), msg) for loc, msg in section_errors(exc, key)]
            ) from exc
        except Refused as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        uow.add(*taken.events)
        return await current(uow.conn, referral_id)
