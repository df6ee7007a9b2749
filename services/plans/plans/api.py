"""HTTP routes of the plans service."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from plans import repository
from shared.http import NOT_FOUND, UNAVAILABLE, DbConnection

router = APIRouter(prefix="/v1", tags=["plans"], responses=UNAVAILABLE)


class SupportPlanView(BaseModel):
    id: UUID
    referral_id: UUID
    status: str
    primary_need: str
    area_of_need: str
    specialism: str
    sections: dict[str, Any]
    created_at: datetime


@router.get("/referrals/{referral_id}/plan", response_model=SupportPlanView, responses=NOT_FOUND)
async def get_plan_for_referral(referral_id: UUID, conn: DbConnection) -> SupportPlanView:
    """The referral's support plan as drafted so far."""
    row = await repository.plan_for_referral(conn, referral_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no plan yet for referral {referral_id}")
    return SupportPlanView(**{**dict(row), "sections": json.loads(row["sections"])})
