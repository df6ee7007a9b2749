"""HTTP routes of the referrals service, for caseworkers and partner systems.

(Longer than most modules: one router's routes, each short, and the helpers only they use.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from referrals import ehc_repository, idempotency, repository
from referrals.domain import Step
from referrals.ehc_schemas import EhcView
from referrals.holding import held_for, hold
from referrals.idempotency import IdempotencyKey
from referrals.intake import IntakeRules, intake_problems, london_today
from referrals.schemas import (
    ChildView,
    DuplicateReferral,
    ReferralReceipt,
    ReferralRequest,
    ReferralView,
    TimelineEntry,
)
from referrals.taking_in import Refused, new_referral, take_in
from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.events import FamilyLinksRevoked, Sen2Need
from shared.http import NOT_FOUND, UNAVAILABLE, DbConnection, ServiceOutbox
from shared.telemetry import tag_current_span

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
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER, Role.PARTNER)],
)
async def create_referral(
    body: ReferralRequest,
    conn: DbConnection,
    outbox: ServiceOutbox,
    principal: CurrentPrincipal,
    audit: Audit,
    rules: Rules,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Take in a request for support (or for an EHC needs assessment, which also starts the
    statutory clock): store it and set the journey going. Partner systems may create
    referrals for their configured councils; they cannot read them back, and a request of
    theirs for a child already known here is held for a caseworker to match, answered as any
    other (``referrals.holding``)."""
    today = london_today()
    child = body.child
    problems = intake_problems(
        rules,
        local_authority=body.local_authority,
        requested_on=body.received_on or today,
        today=today,
        born=child.date_of_birth,
        nhs_number=child.nhs_number,
    )
    if problems:
        raise invalid(problems)
    require_council(principal, [body.local_authority])
    referral = new_referral(uuid4(), body, today)
    tag_current_span(referral_id=str(referral.referral_id))
    try:
        async with conn.transaction():
            if idempotency_key is not None:
                first = await idempotency.claim(
                    conn,
                    principal.subject,
                    idempotency_key,
                    referral.local_authority,
                    idempotency.fingerprint(body.model_dump(mode="json")),
                )
                if first is not None:
                    return JSONResponse(
                        first.body, first.status_code, headers={"Idempotent-Replayed": "true"}
                    )
            try:
                events, receipt = await take_in(conn, audit, referral, child)
            except Refused as refused:
                if not held_for(principal):
                    raise
                # A partner learns nothing of a child it did not refer: answered as any
                # referral, held for a caseworker to match.
                events, receipt = await hold(
                    conn, audit, referral, body, refused, partner=principal.subject
                )
            await outbox.add(conn, events, local_authority=referral.local_authority)
            if idempotency_key is not None:
                await idempotency.answer(
                    conn, principal.subject, idempotency_key, 201, receipt.model_dump(mode="json")
                )
    except idempotency.KeyReused as exc:
        raise invalid([(("Idempotency-Key",), str(exc))], where="header") from exc
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
async def get_referral(referral_id: UUID, conn: DbConnection, audit: Audit) -> ReferralView:
    """Where a referral stands: status, statutory deadlines and every step so far."""
    # One snapshot for the row and its timeline: a step committing between two reads
    # would otherwise show a timeline ahead of the status.
    async with conn.transaction(isolation="repeatable_read"):
        found = await repository.get_referral(conn, referral_id)
        if found is None:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        ehc = await ehc_repository.view(conn, referral_id, london_today())
        await audit.record(
            conn,
            "read",
            "referral",
            referral_id=referral_id,
            local_authority=found[0]["local_authority"],
        )
    return referral_view(*found, ehc)


@router.get(
    "/referrals/{referral_id}/child",
    response_model=ChildView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_child(referral_id: UUID, conn: DbConnection, audit: Audit) -> ChildView:
    """The child's name, date of birth, NHS number, postcode and school (URN): for the
    caseworker's page of the referral. Audited (a read of the child's details)."""
    async with conn.transaction():
        found = await repository.child_details(conn, referral_id)
        if found is None:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        await audit.record(
            conn, "read", "child", referral_id=referral_id, local_authority=found["local_authority"]
        )
    details = {k: v for k, v in dict(found).items() if k != "local_authority"}
    return ChildView.model_validate(details)


@router.post(
    "/referrals/{referral_id}/family-link/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def revoke_family_links(
    referral_id: UUID, conn: DbConnection, outbox: ServiceOutbox, audit: Audit
) -> Response:
    """Stop every link sent to the family so far from opening the family view or the plan
    (a message went to the wrong person, say); links in later messages work. The referral's
    links start a new generation; plans and notifications hear of it through a
    FamilyLinksRevoked event."""
    async with conn.transaction():
        found = await repository.get_referral(conn, referral_id)
        revoked = None if found is None else await repository.revoke_family_links(conn, referral_id)
        if found is None or revoked is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        generation, revoked_at = revoked
        council = found[0]["local_authority"]
        await audit.record(
            conn, "update", "family-links", referral_id=referral_id, local_authority=council
        )
        event = FamilyLinksRevoked(
            referral_id=referral_id,
            local_authority=council,
            revoked_at=revoked_at,
            generation=generation,
        )
        await outbox.add(conn, [event], local_authority=council)
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
        primary_need=Sen2Need(referral["primary_need"]),
        received_on=referral["received_on"],
        closed=referral["closed_at"] is not None,
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


def invalid(
    problems: list[tuple[tuple[str, ...], str]], where: str = "body"
) -> RequestValidationError:
    """A 422 naming each field and why, as FastAPI's own validation gives it."""
    return RequestValidationError(
        [{"loc": (where, *loc), "msg": msg, "type": "value_error"} for loc, msg in problems]
    )


def intake_rules(request: Request) -> IntakeRules:
    rules: IntakeRules = request.app.state.intake_rules
    return rules


Rules = Annotated[IntakeRules, Depends(intake_rules)]
