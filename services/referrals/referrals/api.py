"""HTTP routes of the referrals service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, HTTPException, status
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from referrals import repository
from referrals.domain import (
    FamilyContact,
    NewReferral,
    Step,
    is_valid_nhs_number,
    postcode_district,
    receive,
)
from shared.events import Sen2Need
from shared.outbox import add_to_outbox
from shared.runtime import ServiceRuntime
from shared.telemetry import tag_current_span


def _nhs_number(value: str) -> str:
    digits = value.replace(" ", "")
    if not is_valid_nhs_number(digits):
        raise ValueError("not a valid NHS number: 10 digits whose last is the Modulus 11 check")
    return digits


def _postcode(value: str) -> str:
    postcode_district(value)  # raises ValueError with the reason
    return value.strip().upper()


class Child(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    nhs_number: Annotated[str, AfterValidator(_nhs_number)] | None = Field(
        default=None, examples=["9434765919"]
    )
    postcode: Annotated[str, AfterValidator(_postcode)] = Field(examples=["LS6 2AB"])

    @field_validator("date_of_birth")
    @classmethod
    def _born_in_range(cls, value: date) -> date:
        today = date.today()
        if not date(today.year - 26, 1, 1) <= value <= today:
            raise ValueError("must be in the past and within the 0-25 SEND age range")
        return value


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(
        default=None, pattern=r"^\+?[0-9 ]{10,15}$", examples=["07700 900123"]
    )
    preferred_channel: Literal["email", "sms"] = "email"

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        wanted = self.email if self.preferred_channel == "email" else self.phone
        if wanted is None:
            raise ValueError(f"{self.preferred_channel}: needed for the preferred channel")
        return self


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
    family_contact: Contact


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


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["referrals"])
    settings = runtime.settings

    @api.post("/referrals", status_code=status.HTTP_201_CREATED, response_model=ReferralView)
    async def create_referral(body: ReferralRequest) -> ReferralView:
        referral = NewReferral(
            referral_id=uuid4(),
            local_authority=body.local_authority,
            received_on=body.received_on or datetime.now(UTC).date(),
            requested_by=body.requested_by,
            primary_need=body.primary_need,
            postcode=body.child.postcode,
            contact=FamilyContact(
                name=body.family_contact.name,
                email=body.family_contact.email,
                phone=body.family_contact.phone,
                preferred_channel=body.family_contact.preferred_channel,
            ),
        )
        tag_current_span(referral_id=str(referral.referral_id))
        events = receive(referral)
        async with runtime.pool.acquire() as conn, conn.transaction():
            created_at = await repository.add_referral(
                conn,
                referral,
                nhs_number=body.child.nhs_number,
                given_name=body.child.given_name,
                family_name=body.child.family_name,
                date_of_birth=body.child.date_of_birth,
            )
            envelopes = [
                await add_to_outbox(
                    conn, e, source=settings.event_source, local_authority=referral.local_authority
                )
                for e in events
            ]
            await repository.add_step(
                conn,
                referral_id=referral.referral_id,
                event_id=envelopes[0].id,
                step=Step.RECEIVED,
                service=settings.service_name,
                occurred_at=created_at,
            )
            found = await repository.get_referral(conn, referral.referral_id)
        assert found is not None  # written in this very transaction
        return _view(*found)

    @api.get("/referrals/{referral_id}", response_model=ReferralView)
    async def get_referral(referral_id: UUID) -> ReferralView:
        # One snapshot for the row and its timeline: a step committing between two reads
        # would otherwise show a timeline ahead of the status.
        async with (
            runtime.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            found = await repository.get_referral(conn, referral_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        return _view(*found)

    return api


def _view(referral: asyncpg.Record, timeline: list[asyncpg.Record]) -> ReferralView:
    start: datetime = referral["created_at"]
    return ReferralView(
        id=referral["id"],
        status=Step(referral["status"]),
        local_authority=referral["local_authority"],
        requested_by=referral["requested_by"],
        primary_need=Sen2Need(referral["primary_need"]),
        received_on=referral["received_on"],
        deadlines=StatutoryDeadlines(
            decision_due=referral["decision_due"],
            draft_plan_due=referral["draft_plan_due"],
            final_plan_due=referral["final_plan_due"],
        ),
        timeline=[
            TimelineEntry(
                step=Step(t["step"]),
                service=t["service"],
                at=t["occurred_at"],
                seconds_since_referral=round((t["occurred_at"] - start).total_seconds(), 3),
            )
            for t in timeline
        ],
    )
