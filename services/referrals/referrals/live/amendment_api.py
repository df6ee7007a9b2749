"""HTTP routes of a plan's amendment after its annual review (Reg 22): the proposals sent, the
amended final plan issued. Each one unit of work (its event, its limit, its timeline entry),
answered with the plan's reviews; a step POSTed again with its Idempotency-Key gets the first
answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_api import StepRetry, one_step
from referrals.live import amendment, phase_transfer, phase_transfer_store, review_store
from referrals.live.amendment import Amendment
from referrals.live.phase_transfer import NamedSetting
from referrals.live.review_api import ReviewView, reviews_now
from referrals.notices.issuing import LetterDesk, Letters
from referrals.statutory import OutOfOrder
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.db import Connection
from shared.events import AmendedPlanIssued, AmendmentsProposed
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/referrals/{referral_id}/annual-review/amendments",
    tags=["annual review"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


class Proposals(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sent_on: date
    comments_until: date | None = Field(
        default=None, description="Left out: 15 days after the proposals (never fewer)"
    )


SettingType = Literal[
    "mainstream_school", "special_school", "resourced_provision", "independent_school",
    "school_sixth_form", "sixth_form_college", "further_education_college",
    "specialist_post_16_institution", "alternative_provision",
]  # fmt: skip
"""The type of school or college a plan names where it names a type (section I)."""


class NextSetting(BaseModel):
    """The school or college the amended plan names for a child moving phase (Reg 18)."""

    model_config = ConfigDict(extra="forbid")
    urn: str | None = Field(default=None, pattern=r"^[0-9]{6}$", examples=["140001"])
    ukprn: str | None = Field(default=None, pattern=r"^1[0-9]{7}$", examples=["10001234"])
    setting_type: SettingType | None = None

    @model_validator(mode="after")
    def _one_id(self) -> NextSetting:
        if self.urn and self.ukprn:
            raise ValueError("urn or ukprn, not both")
        return self

    def named(self) -> NamedSetting:
        return NamedSetting(self.urn, self.ukprn, self.setting_type)


class AmendedPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    issued_on: date
    next_setting: NextSetting | None = Field(
        default=None,
        description="The next school or college (section I): required, and not the setting "
        "named now, when the child moves phase before the next September (Reg 18)",
    )
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="What changed and why, in the caseworker's words: the family's letter says it",
    )


Act = Callable[[Connection, Amendment], Awaitable[AmendmentsProposed | AmendedPlanIssued]]


async def _step(
    referral_id: UUID,
    caller: AsCaller,
    retry: Any,
    body: BaseModel,
    act: Act,
    letters: LetterDesk | None = None,
    note: str | None = None,
) -> Any:
    """The amendment's step in one unit of work (``ehc_api.one_step``), answered with the
    plan's reviews; the amended plan (``letters``) also writes the family's letter with the
    right to appeal (Reg 22(5), Reg 14), its bytes removed again if the step fails."""

    async def under_way(uow: UnitOfWork) -> Amendment:
        found = await review_store.amendment_of(uow.conn, referral_id)
        if found is None:
            known = await uow.conn.fetchval("SELECT true FROM referrals WHERE id = $1", referral_id)
            if not known:  # unknown, or another council's: the same answer
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
            raise OutOfOrder("no amendment under way: a review must decide to amend first")
        return found

    async def decide(uow: UnitOfWork) -> AmendmentsProposed | AmendedPlanIssued:
        return await act(uow.conn, await under_way(uow))

    async def step(uow: UnitOfWork) -> list[ReviewView]:
        found = await under_way(uow)
        event = await act(uow.conn, found)
        if letters is not None:
            await letters.keep(uow.conn, event, note, caller.actor.subject)
        uow.add(event)
        step = (
            StatutoryStep.AMENDMENTS_PROPOSED
            if isinstance(event, AmendmentsProposed)
            else StatutoryStep.AMENDED_PLAN_ISSUED
        )
        await repository.add_step(
            uow.conn, referral_id=referral_id, event_id=uuid4(), step=step,
            service="referrals", occurred_at=await uow.conn.fetchval("SELECT now()"),
            detail=str(found.review_id),
        )  # fmt: skip
        return await reviews_now(uow, referral_id)

    try:
        if letters is not None:  # printed and stored first, with no lock held (``LetterDesk``)
            await letters.write_first(caller.begin, decide, note)
        answer = await one_step(caller, retry, body, step)
    except BaseException:
        if letters is not None:
            await letters.forget()
        raise
    if letters is not None:
        await letters.done()
    return answer


@router.post("/proposals", response_model=list[ReviewView])
async def proposals_sent(
    referral_id: UUID, body: Proposals, caller: AsCaller, retry: StepRetry
) -> Any:
    """The proposed amendments sent to the family, with at least 15 days to comment; the
    amended plan is then due within 8 weeks (and 12 weeks of the meeting). The family is told."""

    async def act(conn: Connection, found: Amendment) -> AmendmentsProposed:
        proposed, event = amendment.propose(
            found, body.sent_on, body.comments_until, london_today()
        )
        await review_store.store_proposals(conn, proposed, event.amended_plan_due)
        return event

    return await _step(referral_id, caller, retry, body, act)


@router.post("/final", response_model=list[ReviewView])
async def amended_plan_issued(
    referral_id: UUID, body: AmendedPlan, caller: AsCaller, retry: StepRetry, letters: Letters
) -> Any:
    """The amended final plan issued, once the family's time to comment has passed. The family
    is told, with the right to appeal. A child moving phase by the next September: the plan
    names the next school or college (``next_setting``; 422 naming it otherwise), which meets
    the phase transfer's deadline."""

    async def act(conn: Connection, found: Amendment) -> AmendedPlanIssued:
        named = body.next_setting.named() if body.next_setting else None
        transfer = await phase_transfer_store.pending_for(conn, referral_id, body.issued_on)
        event = amendment.issue_amended_plan(found, body.issued_on, london_today(), transfer, named)
        if transfer is not None:  # the plan naming the next setting meets the transfer
            current = await phase_transfer_store.current_setting(conn, referral_id)
            phase_transfer.check_next_setting(transfer, current, named)
        await review_store.store_amended_plan(conn, found.review_id, body.issued_on)
        if transfer is not None and named is not None:
            await phase_transfer_store.met(conn, referral_id, transfer, body.issued_on, named)
        return event

    return await _step(referral_id, caller, retry, body, act, letters, body.note)
