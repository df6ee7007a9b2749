"""What the caseworker endpoints answer: the plan as it stands, and its versions."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import Header, HTTPException, status
from pydantic import BaseModel, Field

from plans import children, repository
from plans.checks import CheckResult
from plans.children import PlanChild
from shared.db import Connection
from shared.events import PlanStatus, Track


class SupportPlanView(BaseModel):
    id: UUID
    referral_id: UUID
    local_authority: str
    track: Track
    status: PlanStatus
    version: int = Field(description="Send it back as If-Match (or `version`) to change it")
    primary_need: str
    area_of_need: str
    specialism: str
    sections: dict[str, Any] = Field(description="The plan document (sections A to K)")
    checks: list[CheckResult] = Field(description="Quality checks of this version")
    catalogue_versions: list[str] = Field(description="The standards catalogue versions used")
    comments_until: date | None = Field(description="EHC: the family may comment until")
    no_more_comments: bool
    final_plan_due: date | None = Field(description="EHC: the statutory date")
    review_due_on: date | None
    created_at: datetime
    warnings: list[str] = Field(default_factory=list, description="What the caseworker should know")
    child: PlanChild | None = Field(
        default=None, description="The child the plan is for (name, date of birth), once known"
    )


class VersionSummary(BaseModel):
    version: int
    status: PlanStatus = Field(description="The plan's status when this version was made")
    changed_by: str = Field(description="'plans', or the caseworker's id (never a name)")
    reason: str
    created_at: datetime
    comments: int = Field(description="How many responses of the family are about it")


class FamilyComment(BaseModel):
    comments: str
    preferred_school: str | None
    agreed: bool
    taken_by: str
    received_at: datetime


class VersionView(VersionSummary):
    document: dict[str, Any]
    family_comments: list[FamilyComment]


async def current(
    conn: Connection, referral_id: UUID, warnings: list[str] | None = None
) -> SupportPlanView:
    row = await repository.plan_for_referral(conn, referral_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no plan yet for referral {referral_id}")
    return view_of(row, warnings or [], await children.named(conn, referral_id))


def view_of(
    row: asyncpg.Record, warnings: list[str], child: PlanChild | None = None
) -> SupportPlanView:
    return SupportPlanView(
        **{
            **dict(row),
            "sections": json.loads(row["sections"]),
            "checks": json.loads(row["checks"]),
            "warnings": warnings,
            "child": child,
        }
    )


async def if_match(value: str | None = Header(default=None, alias="If-Match")) -> int | None:
    """The version the caller read (``If-Match: "3"`` or ``3``); None when not given."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, 'If-Match: the plan\'s version number, e.g. "3"'
        )
    return int(text)
