"""What a caseworker does with partners' requests held for matching (``referrals.holding``):
list them (``GET /v1/held-referrals``) and decide (``POST /v1/held-referrals/{id}/decision``):
``join`` one to an open referral (the partner's Task then follows that referral's milestones,
under the id the partner was given), ``take-in`` as a referral of its own (with that id; the
family is told as for any referral), or ``decline`` (the partner is told nothing). Once
decided, the held copy of the request (the child's details) is erased.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from referrals.holding import RESOURCE
from referrals.notices.telling import with_others_told
from referrals.schemas import ReferralRequest
from referrals.taking_in import Refused, new_referral, take_in
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.db import Connection
from shared.events import HoldReason, Sen2Need, Track
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, invalid

Decision = Literal["join", "take-in", "decline"]


class HeldReferral(BaseModel):
    """A partner's request held for matching: ids, codes and field names, no personal details."""

    id: UUID = Field(description="The held request: the id the partner was given")
    local_authority: str
    partner: str = Field(examples=["west-yorkshire-slt"])
    reason: HoldReason = Field(
        description="already-referred: the child has an open referral here; "
        "child-details-differ: the NHS number is a known child's with other details"
    )
    suspected_referral_id: UUID = Field(
        description="The referral it may duplicate (the open one, else the known child's latest)"
    )
    differs: list[str] = Field(
        description="Which details differ from that referral's child (names, never values)",
        examples=[["child.date_of_birth"]],
    )
    track: Track
    primary_need: Sen2Need
    received_on: date
    held_at: datetime
    decision: Decision | None
    decided_at: datetime | None
    referral_id: UUID | None = Field(description="The referral it was joined to or taken in as")


class HeldPage(BaseModel):
    items: list[HeldReferral]
    next_offset: int | None


class HeldDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision = Field(
        description="join: the same child's open referral (the partner is then told of its "
        "milestones); take-in: a referral of its own, as the partner sent it (the family is "
        "told, as for any referral); decline: neither (the partner is told nothing)"
    )
    referral_id: UUID | None = Field(
        default=None,
        description="join only: the open referral to join (default: suspected_referral_id)",
    )


router = APIRouter(
    prefix="/v1",
    tags=["held partner referrals"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES},
)
_COLUMNS = """id, local_authority, partner, reason, suspected_referral_id, differs, track,
              primary_need, received_on, held_at, decision, decided_at, referral_id"""


@router.get(
    "/held-referrals",
    response_model=HeldPage,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def list_held_referrals(
    caller: AsCaller,
    include_decided: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HeldPage:
    """Partners' requests held for matching in the caller's councils, oldest first; decided
    ones only with ``include_decided``."""
    async with caller.begin() as uow:
        rows = await uow.conn.fetch(
            f"""SELECT {_COLUMNS} FROM held_referrals
                WHERE $1 OR decision IS NULL ORDER BY held_at, id LIMIT $2 OFFSET $3""",
            include_decided,
            limit + 1,
            offset,
        )
        items = [HeldReferral.model_validate(dict(r)) for r in rows[:limit]]
        uow.read_each(RESOURCE, [(i.suspected_referral_id, i.local_authority) for i in items])
    return HeldPage(items=items, next_offset=offset + limit if len(rows) > limit else None)


@router.post(
    "/held-referrals/{held_id}/decision",
    response_model=HeldReferral,
    responses={**NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def decide_held_referral(
    held_id: UUID,
    body: HeldDecision,
    caller: AsCaller,
    principal: CurrentPrincipal,
) -> HeldReferral:
    """Join the held request to an open referral, take it in as a referral of its own, or
    decline it. Its copy of the request (the child's details) is erased once decided."""
    if body.referral_id is not None and body.decision != "join":
        raise invalid([(("referral_id",), "only a join names a referral")])
    async with caller.begin() as uow:
        conn = uow.conn
        held = await conn.fetchrow("SELECT * FROM held_referrals WHERE id = $1 FOR UPDATE", held_id)
        if held is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no held referral {held_id}")
        if held["decision"] is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"decided already ({held['decision']})")
        council: str = held["local_authority"]
        referral_id: UUID | None = None
        if body.decision == "join":
            referral_id = await _open_referral(
                conn, body.referral_id or held["suspected_referral_id"], council
            )
        elif body.decision == "take-in":
            if held["request"] is None:
                raise HTTPException(
                    status.HTTP_409_CONFLICT,
                    "the request's details were erased (retention): decline it",
                )
            request = ReferralRequest.model_validate(json.loads(held["request"]))
            referral = new_referral(held_id, request, held["received_on"])
            try:
                events, _ = await take_in(conn, referral, request.child)
            except Refused as refused:  # staff may know which referral: named, as on intake
                raise HTTPException(status.HTTP_409_CONFLICT, refused.detail) from refused
            uow.add(*await with_others_told(uow, events), local_authority=council)
            referral_id = held_id
        if referral_id is not None and held["request_id"] is not None:
            # The partner's Task follows this referral's milestones from now on.
            await conn.execute(
                """UPDATE partner_requests SET referral_id = $3
                   WHERE partner = $1 AND request_id = $2""",
                held["partner"],
                held["request_id"],
                referral_id,
            )
        row = await conn.fetchrow(
            f"""UPDATE held_referrals SET decision = $2, decided_by = $3, decided_at = now(),
                       referral_id = $4, request = NULL
                WHERE id = $1 RETURNING {_COLUMNS}""",
            held_id,
            body.decision,
            principal.subject,
            referral_id,
        )
        uow.changed(
            "update", RESOURCE,
            referral_id=referral_id or held["suspected_referral_id"], local_authority=council,
        )  # fmt: skip
    assert row is not None  # locked above
    return HeldReferral.model_validate(dict(row))


async def _open_referral(conn: Connection, referral_id: UUID, council: str) -> UUID:
    """``referral_id`` when it is an open referral of ``council`` (and the caller's); else a
    422 naming ``referral_id``."""
    found = await conn.fetchrow(
        "SELECT local_authority, closed_at FROM referrals WHERE id = $1", referral_id
    )
    if found is None or found["local_authority"] != council:
        raise invalid([(("referral_id",), f"no referral {referral_id} in {council}")])
    if found["closed_at"] is not None:
        raise invalid([(("referral_id",), "that referral is closed: take the request in instead")])
    return referral_id
