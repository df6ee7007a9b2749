"""Consulting a school about being named in a child's EHC plan (s39 Children and Families Act
2014): once the draft plan is issued (the family may ask for a school, Reg 13(1)), a
caseworker sends the consultation; the school answers within 15 days whether it can meet the
child's needs (s39(3)). Each is a step on the timeline and an event. The school's SENCo sees
and answers the consultations for their schools only (``referrals.schools``). Pure rules here;
the routes beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from referrals.statutory import CLOSED, InvalidStep, OutOfOrder, Stage
from shared.events import ConsultationAnswer, SchoolConsultationAnswered, SchoolConsulted

RESPONSE_DAYS = 15
"""s39(3): the school's governing body, proprietor or principal answers within 15 days."""

Urn = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class Consultation(BaseModel):
    """A consultation as the caseworker and the school see it."""

    id: UUID
    referral_id: UUID
    reference: str
    school_urn: str
    sent_on: date
    respond_by: date
    answer: ConsultationAnswer | None
    reason: str | None
    answered_on: date | None


class ConsultationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    school_urn: Urn = Field(description="The school to consult, by its URN", examples=["107958"])
    sent_on: date | None = Field(default=None, description="Today if left out; never ahead")


class ConsultationReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: ConsultationAnswer
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = (
        Field(default=None, description="Why the school cannot meet the child's needs")
    )


@dataclass(frozen=True)
class Sent:
    """A consultation as the rules see it."""

    id: UUID
    referral_id: UUID
    local_authority: str
    school_urn: str
    respond_by: date
    answered: bool


def consult(
    referral_id: UUID, local_authority: str, stage: Stage, urn: str, on: date, today: date
) -> SchoolConsulted:
    """A consultation of ``urn`` sent ``on``: only once the draft plan is issued (the family
    may then ask for a school), before the final plan."""
    if stage != Stage.DRAFT_PLAN_ISSUED:
        why = "the final plan is issued" if stage in CLOSED else "the draft plan is not issued"
        raise OutOfOrder(f"a school is consulted on the draft plan: {why}")
    if on > today:
        raise InvalidStep("sent_on", "must not be in the future")
    return SchoolConsulted(
        referral_id=referral_id,
        local_authority=local_authority,
        consultation_id=uuid4(),
        school_urn=urn,
        sent_on=on,
        respond_by=on + timedelta(days=RESPONSE_DAYS),
    )


def reply(
    sent: Sent, answer: ConsultationAnswer, reason: str | None, today: date
) -> SchoolConsultationAnswered:
    """The school's answer, once: a school that cannot meet the child's needs says why."""
    if sent.answered:
        raise OutOfOrder("the school has answered this consultation already")
    if answer == "cannot_meet_needs" and not reason:
        raise InvalidStep("reason", "say why the school cannot meet the child's needs")
    return SchoolConsultationAnswered(
        referral_id=sent.referral_id,
        local_authority=sent.local_authority,
        consultation_id=sent.id,
        school_urn=sent.school_urn,
        answer=answer,
        answered_on=today,
        in_time=today <= sent.respond_by,
    )
