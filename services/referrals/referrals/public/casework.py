"""What caseworkers do with requests made on the public form: list those not taken in yet
(unconfirmed, or confirmed but clashing with the child's open referral), oldest first, each
with its legal date (and, for an EHC needs assessment request, when the decision is due,
confirmed or not), and confirm one by phone, which takes it in as the link would have."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status

from referrals.domain import reference
from referrals.public import confirming, store
from referrals.public.schemas import PhoneConfirmation, PublicRequestPage, PublicRequestView
from referrals.statutory import Deadline, deadline_dates
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller

router = APIRouter(
    prefix="/v1", tags=["public requests (casework)"], responses={**UNAVAILABLE, **AUTH_RESPONSES}
)


def view_of(row: Mapping[str, Any]) -> PublicRequestView:
    ehc = row["track"] == "ehc"
    due = deadline_dates(row["received_on"])[Deadline.DECISION][0] if ehc else None
    return PublicRequestView.model_validate(
        {**row, "reference": reference(row["id"]), "decision_due": due}
    )


@router.get(
    "/public-requests",
    response_model=PublicRequestPage,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def list_public_requests(
    caller: AsCaller,
    include_taken_in: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PublicRequestPage:
    """Requests made on the public form in the caller's councils, oldest first: those not
    taken in as a referral yet, or all with ``include_taken_in``. Each names the child (so a
    caseworker knows whom to ring about): audited, a row each."""
    async with caller.begin() as uow:
        rows = await store.listed(
            uow.conn, waiting_only=not include_taken_in, limit=limit + 1, offset=offset
        )
        items = [view_of(dict(r)) for r in rows[:limit]]
        uow.read_each(confirming.RESOURCE, [(i.id, i.local_authority) for i in items])
    return PublicRequestPage(items=items, next_offset=offset + limit if len(rows) > limit else None)


@router.post(
    "/public-requests/{request_id}/confirm",
    response_model=PublicRequestView,
    responses={**NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def confirm_by_phone(
    request_id: UUID, body: PhoneConfirmation, caller: AsCaller, principal: CurrentPrincipal
) -> PublicRequestView:
    """The caseworker rang the contact (or the school) and they confirmed the request: it is
    taken in as a referral, dated the day it was received. 409 once taken in, or when the
    child has an open referral here (named: escalate that one instead)."""
    async with caller.begin() as uow:
        found = await store.locked(uow.conn, request_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no request {request_id}")
        if found["referral_id"] is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, "already confirmed and taken in")
        if found["request"] is None:
            raise HTTPException(status.HTTP_409_CONFLICT, "its details were erased (retention)")
        refused = await confirming.confirm(uow, found, by="phone", subject=principal.subject)
        row = await store.view(uow.conn, request_id)
    if refused is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, refused.detail)
    assert row is not None  # locked above
    return view_of(dict(row))
