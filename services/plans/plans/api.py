"""HTTP routes of the plans service."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from plans import repository
from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.http import NOT_FOUND, UNAVAILABLE, DbConnection

router = APIRouter(prefix="/v1", tags=["plans"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


class SupportPlanView(BaseModel):
    id: UUID
    referral_id: UUID
    status: str
    primary_need: str
    area_of_need: str
    specialism: str
    sections: dict[str, Any]
    created_at: datetime


@router.get(
    "/referrals/{referral_id}/plan",
    response_model=SupportPlanView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_plan_for_referral(
    referral_id: UUID, conn: DbConnection, audit: Audit
) -> SupportPlanView:
    """The referral's support plan as drafted so far."""
    row = await repository.plan_for_referral(conn, referral_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no plan yet for referral {referral_id}")
    await audit.record(
        conn, "read", "plan", referral_id=referral_id, local_authority=row["local_authority"]
    )
    return SupportPlanView(**{**dict(row), "sections": json.loads(row["sections"])})
