"""A school's SENCo (role ``school``, scoped by the ``school_urns`` claim): their pupils'
referrals, read only, and what they may ask for.

A pupil is a child whose referral names one of the SENCo's schools (``school_urn``), in a
council they act for (row-level security holds that line). Any other referral is "not found"
here, whether it exists or not, so a SENCo learns nothing about another school's pupils.
A SENCo's own request (``POST /v1/referrals``) is checked by ``referrals.school_requests``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import asyncpg
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from referrals import ehc_repository, repository
from referrals.api import referral_view
from referrals.domain import reference
from referrals.schemas import ReferralView
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.dates import london_today
from shared.db import Connection
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller

router = APIRouter(
    prefix="/v1/school",
    tags=["schools"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES},
    dependencies=[allow(Role.SCHOOL)],
)

PUPILS_SHOWN = 500
"""The most referrals one list shows (a school's open and recent ones)."""


class Pupil(BaseModel):
    """A pupil's referral as their SENCo sees it in the list: the child's name (the school
    knows its pupils) and where the referral stands."""

    referral_id: UUID
    reference: str
    school_urn: str
    given_name: str | None = Field(description="Null once the council's retention erased it")
    family_name: str | None
    date_of_birth: date
    track: str
    status: str
    received_on: date
    closed: bool


async def _pupils(conn: Connection, urns: Sequence[str]) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """SELECT r.id AS referral_id, r.school_urn, r.track, r.status, r.received_on,
                      r.local_authority, r.closed_at IS NOT NULL AS closed, c.date_of_birth,
                      CASE WHEN c.erased_at IS NULL THEN c.given_name END AS given_name,
                      CASE WHEN c.erased_at IS NULL THEN c.family_name END AS family_name
               FROM referrals r JOIN children c ON c.id = r.child_id
               WHERE r.school_urn = ANY ($1)
               ORDER BY r.closed_at IS NOT NULL, r.received_on DESC, r.id
               LIMIT $2""",
            list(urns),
            PUPILS_SHOWN,
        )
    )


@router.get("/pupils", response_model=list[Pupil])
async def get_pupils(caller: AsCaller, principal: CurrentPrincipal) -> list[Pupil]:
    """The referrals of the SENCo's pupils (open first, the newest first); each read audited."""
    async with caller.begin() as uow:
        rows = await _pupils(uow.conn, principal.school_urns)
        uow.read_each("referral", [(r["referral_id"], r["local_authority"]) for r in rows])
    return [
        Pupil(
            **{k: v for k, v in dict(r).items() if k != "local_authority"},
            reference=reference(r["referral_id"]),
        )
        for r in rows
    ]


@router.get("/pupils/{referral_id}", response_model=ReferralView, responses=NOT_FOUND)
async def get_pupil(
    referral_id: UUID, caller: AsCaller, principal: CurrentPrincipal
) -> ReferralView:
    """A pupil's referral, read only: where it stands, its statutory deadlines and every
    step so far. Another school's pupil, or no such referral: the same 404."""
    async with caller.begin(isolation="repeatable_read") as uow:
        school = await uow.conn.fetchval(
            "SELECT school_urn FROM referrals WHERE id = $1", referral_id
        )
        found = await repository.get_referral(uow.conn, referral_id)
        if found is None or school not in principal.school_urns:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no pupil's referral {referral_id}")
        ehc = await ehc_repository.view(uow.conn, referral_id, london_today())
        uow.read("referral", referral_id=referral_id, local_authority=found[0]["local_authority"])
    return referral_view(*found, ehc)
