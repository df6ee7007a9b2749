"""The referrals API's request and response bodies, and their checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)

from referrals.domain import FamilyContact, Postcode, Step, is_valid_nhs_number
from shared.events import Sen2Need


def _nhs_number(value: str) -> str:
    digits = value.replace(" ", "")
    if not is_valid_nhs_number(digits):
        raise ValueError("not a valid NHS number: 10 digits whose last is the Modulus 11 check")
    return digits


def _postcode(value: Any) -> Postcode:
    if isinstance(value, Postcode):
        return value
    if not isinstance(value, str):
        raise ValueError("a UK postcode as text, e.g. LS6 2AB")  # pydantic wants ValueError
    return Postcode.parse(value)


UkPostcode = Annotated[
    Postcode,
    BeforeValidator(_postcode),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["LS6 2AB"]}),
]


class Child(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    nhs_number: Annotated[str, AfterValidator(_nhs_number)] | None = Field(
        default=None, examples=["9434765919"]
    )
    postcode: UkPostcode

    @field_validator("date_of_birth")
    @classmethod
    def _born_in_range(cls, value: date) -> date:
        today = date.today()
        if not date(today.year - 26, 1, 1) <= value <= today:
            raise ValueError("must be in the past and within the 0-25 SEND age range")
        return value


class ReferralRequest(BaseModel):
    """A request for an EHC needs assessment, from a parent, school or professional."""

    model_config = ConfigDict(extra="forbid")

    local_authority: str = Field(
        pattern=r"^E0[6-9][0-9]{6}$", description="ONS code of the council", examples=["E08000035"]
    )
    requested_by: Literal["parent", "young_person", "school", "health", "social_care"]
    primary_need: Sen2Need
    received_on: date | None = Field(
        default=None, description="When the council received it; today if left out"
    )
    child: Child
    family_contact: FamilyContact


class ReferralReceipt(BaseModel):
    """What the sender of a referral gets back: our reference, and nothing about the child."""

    id: UUID
    status: Step
    local_authority: str
    received_on: date


class FamilyStep(BaseModel):
    what: str = Field(examples=["A support plan was drafted for your child"])
    on: date


class FamilyView(BaseModel):
    """What a family sees through its link: steps and dates in plain words, and what happens
    next. Never the caseworker's record (no needs, no names)."""

    reference: str = Field(description="The short reference in the family's messages")
    requested_on: date
    steps: list[FamilyStep]
    next: str = Field(examples=["The specialist will contact you to arrange a first session."])


class TimelineEntry(BaseModel):
    step: Step
    service: str
    at: datetime
    seconds_since_referral: float


class StatutoryDeadlines(BaseModel):
    decision_due: date
    draft_plan_due: date
    final_plan_due: date


class ReferralView(BaseModel):
    """Where a referral stands. Holds no personal details."""

    id: UUID
    status: Step
    local_authority: str
    requested_by: str
    primary_need: Sen2Need
    received_on: date
    deadlines: StatutoryDeadlines
    timeline: list[TimelineEntry]
