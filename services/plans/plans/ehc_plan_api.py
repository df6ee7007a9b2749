"""HTTP routes for the caseworker's steps that make the EHC plan ready to issue: confirming
each line the catalogue suggested, against the advice received, one at a time; and recording
the health commissioning body's agreement to a line of health provision (s42(3)). Each is a
new version (an edit of its section), in one unit of work; 409 when the plan changed since it
was read or the line is not one the step is for, 404 when there is no such line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import Field

from plans import changes, repository
from plans.document import HealthAgreement, PlanDocument
from plans.ehc_plan import NoSuchLine, NotSuggested, confirmed, health_agreed
from plans.lifecycle import Refused
from plans.requests import Change
from plans.views import SupportPlanView, current, if_match
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, CallerWork, invalid

router = APIRouter(
    prefix="/v1/referrals/{referral_id}/plan/lines/{line_id}",
    tags=["plan lifecycle"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
IfMatch = Annotated[int | None, Depends(if_match)]
LineId = Annotated[str, Path(pattern=r"^[a-z]+-[0-9]{1,4}$", examples=["provision-2"])]


class HealthAgreed(Change):
    agreed_by: str = Field(
        min_length=3, max_length=200, description="The health commissioning body that agreed",
        examples=["NHS West Yorkshire Integrated Care Board"],
    )  # fmt: skip
    agreed_on: date = Field(description="When it agreed (not after today)")


async def _changed(
    caller: CallerWork,
    referral_id: UUID,
    expected: int | None,
    key_of: Callable[[PlanDocument], str],
    change: Callable[[PlanDocument], PlanDocument],
    why: str,
) -> SupportPlanView:
    try:
        async with caller.begin() as uow:
            plan, document = await changes.locked(uow.conn, referral_id, expected)
            key, edited = key_of(document), change(document)
            attention = plan.status == "needs_attention"
            drafted_from = await repository.drafted_from(uow.conn, plan.id) if attention else None
            taken = plan.edit(key, edited, why, drafted_from=drafted_from)
            await changes.store(uow.conn, taken, edited, changed_by=uow.actor.subject)
            uow.add(*taken.events)
            return await current(uow.conn, referral_id)
    except NoSuchLine as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (NotSuggested, Refused) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


def _section_of(line_id: str) -> Callable[[PlanDocument], str]:
    def key_of(document: PlanDocument) -> str:
        for key in ("E", "F", "G"):
            if any(line.id == line_id for line in getattr(document, key)):
                return key
        raise NoSuchLine(f"the plan has no line {line_id} in E, F or G")

    return key_of


@router.post("/confirm", response_model=SupportPlanView)
async def confirm_line(
    referral_id: UUID, line_id: LineId, body: Change, expected: IfMatch, caller: AsCaller
) -> SupportPlanView:
    """Confirm one line the catalogue suggested, having checked it against the advice."""
    return await _changed(
        caller, referral_id, body.version or expected, _section_of(line_id),
        lambda document: confirmed(document, line_id),
        f"{line_id} confirmed against the advice received",
    )  # fmt: skip


@router.post("/health-agreement", response_model=SupportPlanView)
async def record_health_agreement(
    referral_id: UUID, line_id: LineId, body: HealthAgreed, expected: IfMatch, caller: AsCaller
) -> SupportPlanView:
    """Record that the health commissioning body agreed to a line of section G (s42(3))."""
    if body.agreed_on > london_today():
        raise invalid([(("agreed_on",), "the day it agreed cannot be after today")])
    agreement = HealthAgreement(
        agreed_by=body.agreed_by.strip(), agreed_on=body.agreed_on,
        recorded_by=caller.actor.subject,
    )  # fmt: skip
    return await _changed(
        caller, referral_id, body.version or expected, lambda _: "G",
        lambda document: health_agreed(document, line_id, agreement),
        f"{line_id}: the health commissioning body's agreement recorded",
    )  # fmt: skip
