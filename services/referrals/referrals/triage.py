"""Triage: a caseworker sets the SEN2 need of an NHS partner's referral that came without one
(``ReferralAwaitingTriage``), having read the referrer's reasons; the referral then goes on as
any other (``ReferralTriaged``: plans drafts, specialists match, the partner's Task follows).
The route checks and stores; ``triaged`` (pure) says what everyone is told."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from referrals import ehc_repository, reasons_repository
from referrals.domain import age_on, phase_of
from referrals.referrer_reasons import ReferrerReason
from referrals.statutory import Clock, Deadline, deadline_dates
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import ReferralTriaged, Sen2Need
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller
from shared.idempotency import IdempotencyKey, key_reused, replayed
from shared.unit_of_work import KeyReused

router = APIRouter(
    prefix="/v1/referrals/{referral_id}",
    tags=["triage"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


class NeedDecision(BaseModel):
    """The child's special educational needs, as the caseworker decides them."""

    model_config = ConfigDict(extra="forbid")

    primary_need: Sen2Need = Field(examples=["SLCN"])
    secondary_needs: list[Sen2Need] = Field(default_factory=list, max_length=4, examples=[[]])

    @field_validator("secondary_needs")
    @classmethod
    def _once_each(cls, value: list[Sen2Need], info: ValidationInfo) -> list[Sen2Need]:
        primary = info.data.get("primary_need")
        if primary in value:
            raise ValueError(f"{primary} is already the primary need")
        if len(set(value)) != len(value):
            raise ValueError("a need is listed twice")
        return value


class TriageView(BaseModel):
    """A partner's referral as triage sees it: who referred, why (the referrer's words), the
    needs the council's SNOMED CT table suggests, and the need once set."""

    referral_id: UUID
    needs_triage: bool = Field(description="True until a caseworker sets the need")
    requester_ods: str | None = Field(description="Who referred: its ODS code (NHS partners)")
    reasons: list[ReferrerReason] = Field(description="The referrer's reasons, as given")
    suggested_needs: list[Sen2Need] = Field(
        description="What the council's table suggests: for the caseworker to consider"
    )
    primary_need: Sen2Need | None
    secondary_needs: list[Sen2Need]


def triaged(
    referral_id: UUID,
    facts: dict[str, Any],
    clock: Clock,
    decision: NeedDecision,
    today: date,
) -> ReferralTriaged:
    """What everyone is told once the need is set: ``ReferralReceived``'s facts, from the
    day the request came (its clock unchanged), with the need. Pure."""
    born: date | None = facts["date_of_birth"]
    received_on: date = facts["received_on"]
    return ReferralTriaged(
        referral_id=referral_id,
        local_authority=facts["local_authority"],
        received_on=received_on,
        primary_need=decision.primary_need,
        secondary_needs=decision.secondary_needs,
        requested_by=facts["requested_by"],
        postcode_district=facts["postcode_district"],
        decision_due=clock[Deadline.DECISION][0],
        final_plan_due=clock[Deadline.FINAL_PLAN][0],
        track=facts["track"],
        phase=None if born is None else phase_of(born, received_on),
        age_years=None if born is None else age_on(born, received_on),
        school_urn=facts["school_urn"],
        language=facts["language"],
        triaged_on=today,
    )


ReferralId = Annotated[UUID, Path()]


@router.get("/triage", response_model=TriageView)
async def get_triage(referral_id: ReferralId, caller: AsCaller) -> TriageView:
    """What a caseworker needs to set the need (audited as a read of the referral)."""
    async with caller.begin() as uow:
        row = await uow.conn.fetchrow(
            """SELECT local_authority, primary_need, secondary_needs FROM referrals
               WHERE id = $1""",
            referral_id,
        )
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        kept = await reasons_repository.reasons_of(uow.conn, referral_id)
        uow.read("referrer-reasons", referral_id=referral_id, local_authority=row[0])
    ods, reasons, suggested = kept if kept is not None else (None, [], [])
    return TriageView(
        referral_id=referral_id,
        needs_triage=row["primary_need"] is None,
        requester_ods=ods,
        reasons=reasons,
        suggested_needs=suggested,
        primary_need=row["primary_need"],
        secondary_needs=row["secondary_needs"],
    )


@router.post("/need", response_model=TriageView)
async def set_need(
    referral_id: ReferralId,
    body: NeedDecision,
    caller: AsCaller,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Set the need of a referral waiting for triage: the plan is then drafted and a
    specialist matched as for any referral (``ReferralTriaged``). A referral with its need
    already is not triaged again (409): its plan is changed in the plan. With an
    Idempotency-Key, a retry gets the first answer."""
    today = london_today()
    try:
        async with caller.begin(
            idempotency_key=idempotency_key,
            request={
                "path": f"/v1/referrals/{referral_id}/need",
                "body": body.model_dump(mode="json"),
            }
            if idempotency_key
            else None,
        ) as uow:
            if uow.replayed is not None:
                return replayed(uow.replayed)
            facts = await uow.conn.fetchrow(
                """SELECT r.local_authority, r.received_on, r.requested_by,
                          r.postcode_district, r.track, r.school_urn, r.language,
                          r.primary_need, r.closed_at, c.date_of_birth
                   FROM referrals r JOIN children c ON c.id = r.child_id
                   WHERE r.id = $1 FOR UPDATE OF r""",
                referral_id,
            )
            if facts is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
            if facts["primary_need"] is not None:
                raise HTTPException(
                    status.HTTP_409_CONFLICT,
                    "this referral has its need already: change the needs in its plan",
                )
            if facts["closed_at"] is not None:
                raise HTTPException(status.HTTP_409_CONFLICT, "the referral is closed")
            ehc = await ehc_repository.load(uow.conn, referral_id)
            clock = ehc[0].clock if ehc is not None else deadline_dates(facts["received_on"])
            await uow.conn.execute(
                """UPDATE referrals SET primary_need = $2, secondary_needs = $3,
                          triaged_at = now(), triaged_by = $4, updated_at = now()
                   WHERE id = $1""",
                referral_id,
                body.primary_need.value,
                [n.value for n in body.secondary_needs],
                uow.actor.subject,
            )
            uow.add(triaged(referral_id, dict(facts), clock, body, today))
            kept = await reasons_repository.reasons_of(uow.conn, referral_id)
            ods, reasons, suggested = kept if kept is not None else (None, [], [])
            view = TriageView(
                referral_id=referral_id,
                needs_triage=False,
                requester_ods=ods,
                reasons=reasons,
                suggested_needs=suggested,
                primary_need=body.primary_need,
                secondary_needs=body.secondary_needs,
            )
            uow.answer(status.HTTP_200_OK, view.model_dump(mode="json"))
    except KeyReused as exc:
        raise key_reused(exc) from exc
    return view
