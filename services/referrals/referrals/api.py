"""HTTP routes of the referrals service, for caseworkers and partner systems. Each reads or
changes state in one unit of work as its caller (``shared.unit_of_work``): a change's audit
rows come with the events it adds, a read's with ``uow.read``.

(Longer than most modules: one router's routes, each short, and the helpers only they use.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse

from referrals import ehc_repository, repository
from referrals.domain import Step
from referrals.ehc_schemas import EhcView
from referrals.holding import held_for, hold
from referrals.notices.telling import with_others_told
from referrals.public.rules import who_decides
from referrals.schemas import (
    ChildView,
    DuplicateReferral,
    ReferralReceipt,
    ReferralRequest,
    ReferralView,
    TimelineEntry,
)
from referrals.school_requests import school_problems
from referrals.state import State
from referrals.taking_in import Refused, new_referral, rule_problems, take_in
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.dates import london_today
from shared.events import FamilyLinksRevoked
from shared.http import (
    NOT_FOUND,
    UNAVAILABLE,
    AsCaller,
    DbConnection,
    ServiceWork,
    actor_of,
    invalid,
)
from shared.idempotency import IdempotencyKey, key_reused, replayed
from shared.telemetry import tag_current_span
from shared.unit_of_work import KeyReused

router = APIRouter(prefix="/v1", tags=["referrals"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


@router.post(
    "/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralReceipt,
    responses={
        409: {
            "model": DuplicateReferral,
            "description": "To a caseworker or manager: the child already has an open referral "
            "here (its id is given), or the NHS number is known here for a child with other "
            "details. A partner system is never answered so: its request is held for a "
            "caseworker to match, and answered as any referral (201)",
        }
    },
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER, Role.PARTNER, Role.SCHOOL)],
)
async def create_referral(
    request: Request,
    body: ReferralRequest,
    conn: DbConnection,
    work: ServiceWork,
    principal: CurrentPrincipal,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Take in a request for support (or for an EHC needs assessment, which also starts the
    statutory clock): store it and set the journey going. Partner systems may create
    referrals for their configured councils; they cannot read them back, and a request of
    theirs for a child already known here is held for a caseworker to match, answered as any
    other (``referrals.holding``). So is a school's SENCo's, for a pupil of their schools
    (``referrals.school_requests``)."""
    today = london_today()
    problems = rule_problems(state.intake_rules, body, today) + school_problems(principal, body)
    if problems:
        raise invalid(problems)
    require_council(principal, [body.local_authority])
    referral = new_referral(uuid4(), body, today)
    tag_current_span(referral_id=str(referral.referral_id))
    try:
        async with work.begin(
            actor_of(request),
            councils=[referral.local_authority],
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
            conn=conn,
        ) as uow:
            if uow.replayed is not None:
                return replayed(uow.replayed)
            try:
                events, receipt = await take_in(uow.conn, referral, body.child)
                events = await with_others_told(uow, events)
            except Refused as refused:
                if not held_for(principal):
                    raise
                # A partner learns nothing of a child it did not refer: answered as any
                # referral, held for a caseworker to match.
                events, receipt = await hold(
                    uow.conn, referral, body, refused, partner=principal.subject
                )
            uow.add(*events, local_authority=referral.local_authority)
            uow.answer(status.HTTP_201_CREATED, receipt.model_dump(mode="json"))
    except KeyReused as exc:
        raise key_reused(exc) from exc
    except Refused as refused:
        content: dict[str, Any] = {"detail": refused.detail}
        if refused.referral_id is not None:
            content["referral_id"] = str(refused.referral_id)
        return JSONResponse(content, status.HTTP_409_CONFLICT)
    return receipt


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_referral(referral_id: UUID, caller: AsCaller) -> ReferralView:
    """Where a referral stands: status, statutory deadlines and every step so far."""
    # One snapshot for the row and its timeline: a step committing between two reads
    # would otherwise show a timeline ahead of the status.
    async with caller.begin(isolation="repeatable_read") as uow:
        found = await repository.get_referral(uow.conn, referral_id)
        if found is None:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        ehc = await ehc_repository.view(uow.conn, referral_id, london_today())
        council = found[0]["local_authority"]
        uow.read("referral", referral_id=referral_id, local_authority=council)
    return referral_view(*found, ehc)


@router.get(
    "/referrals/{referral_id}/child",
    response_model=ChildView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_child(referral_id: UUID, caller: AsCaller) -> ChildView:
    """The child's name, date of birth, NHS number, postcode and school (URN): for the
    caseworker's page of the referral. Audited (a read of the child's details)."""
    async with caller.begin() as uow:
        found = await repository.child_details(uow.conn, referral_id)
        if found is None:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        uow.read("child", referral_id=referral_id, local_authority=found["local_authority"])
    details = {k: v for k, v in dict(found).items() if k != "local_authority"}
    decides = who_decides(
        found["date_of_birth"], london_today(), represented=found["representative"] is not None
    )
    return ChildView.model_validate({**details, "decides": decides})


@router.post(
    "/referrals/{referral_id}/family-link/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def revoke_family_links(referral_id: UUID, caller: AsCaller) -> Response:
    """Stop every link sent to the family so far from opening the family view or the plan
    (a message went to the wrong person, say); links in later messages work. The referral's
    links start a new generation; plans and notifications hear of it through a
    FamilyLinksRevoked event."""
    async with caller.begin() as uow:
        found = await repository.get_referral(uow.conn, referral_id)
        revoked = (
            None if found is None else await repository.revoke_family_links(uow.conn, referral_id)
        )
        if found is None or revoked is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        generation, revoked_at = revoked
        uow.add(
            FamilyLinksRevoked(
                referral_id=referral_id,
                local_authority=found[0]["local_authority"],
                revoked_at=revoked_at,
                generation=generation,
            )
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def referral_view(
    referral: asyncpg.Record, timeline: list[asyncpg.Record], ehc: dict[str, Any] | None
) -> ReferralView:
    start: datetime = referral["created_at"]
    return ReferralView(
        id=referral["id"],
        status=Step(referral["status"]),
        track=referral["track"],
        local_authority=referral["local_authority"],
        requested_by=referral["requested_by"],
        primary_need=referral["primary_need"],
        needs_triage=referral["primary_need"] is None,
        received_on=referral["received_on"],
        closed=referral["closed_at"] is not None,
        assessment_suggested=referral["assessment_suggested"],
        ehc=None if ehc is None else EhcView.model_validate(ehc),
        timeline=[
            TimelineEntry(
                step=t["step"],
                detail=t["detail"],
                service=t["service"],
                at=t["occurred_at"],
                seconds_since_referral=round((t["occurred_at"] - start).total_seconds(), 3),
            )
            for t in timeline
        ],
    )
