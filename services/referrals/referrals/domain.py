"""Referral rules: NHS number check, postcodes, the statutory clock, the journey and its
status. Pure: no I/O."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from shared.events import (
    DomainEvent,
    FamilyContactRegistered,
    NotificationDelivered,
    NotificationSent,
    PlanDrafted,
    ReferralReceived,
    ReferralWaitlisted,
    Sen2Need,
    SpecialistAssigned,
)

# Outward code of a UK postcode, then the inward code (a digit and two letters).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def is_valid_nhs_number(value: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number (spaces allowed)."""
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


@dataclass(frozen=True)
class Postcode:
    """A UK postcode, normalised (upper case, one space), read once."""

    district: str
    """The outward code (``LS6``): precise enough to match help close to home."""
    sector_and_unit: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """``ls62ab`` -> ``LS6 2AB``; raises ``ValueError`` for a non-UK postcode."""
        match = _POSTCODE.match(text.strip().upper())
        if match is None:
            raise ValueError("not a UK postcode, e.g. LS6 2AB")
        return cls(match.group(1), match.group(2))

    def __str__(self) -> str:
        return f"{self.district} {self.sector_and_unit}"


@dataclass(frozen=True)
class StatutoryClock:
    """EHC needs assessment deadlines, counted from the day the request was received."""

    received_on: date

    @property
    def decision_due(self) -> date:
        return self.received_on + timedelta(weeks=6)  # Reg 5

    @property
    def draft_plan_due(self) -> date:
        return self.received_on + timedelta(weeks=16)

    @property
    def final_plan_due(self) -> date:
        return self.received_on + timedelta(weeks=20)  # Reg 13(2)


class Step(enum.StrEnum):
    """Steps of a referral's journey, in the order a family lives them."""

    RECEIVED = "referral_received"
    PLAN_DRAFTED = "plan_drafted"
    WAITLISTED = "waitlisted"
    SPECIALIST_ASSIGNED = "specialist_assigned"
    MESSAGE_SENT = "message_sent"
    """The provider took a message to the family (GOV.UK Notify, email...)."""
    FAMILY_NOTIFIED = "family_notified"
    """The provider confirmed the message reached the family."""


MESSAGE_STEPS = frozenset({Step.MESSAGE_SENT, Step.FAMILY_NOTIFIED})
"""Messages go at several steps: they are on the timeline but do not move the status."""


_ORDER = list(Step)

# Which downstream event records which step, and which service took it.
STEP_OF_EVENT: dict[type[DomainEvent], tuple[Step, str]] = {
    PlanDrafted: (Step.PLAN_DRAFTED, "plans"),
    ReferralWaitlisted: (Step.WAITLISTED, "specialists"),
    SpecialistAssigned: (Step.SPECIALIST_ASSIGNED, "specialists"),
    NotificationSent: (Step.MESSAGE_SENT, "notifications"),
    NotificationDelivered: (Step.FAMILY_NOTIFIED, "notifications"),
}


# How each step reads to a family: what happened, in plain words, and what comes next.
FAMILY_WORDS: dict[Step, str] = {
    Step.RECEIVED: "We received the request for support",
    Step.PLAN_DRAFTED: "A support plan was drafted for your child",
    Step.WAITLISTED: "Your child is on the waiting list for a specialist",
    Step.SPECIALIST_ASSIGNED: "A specialist was matched to support your child",
    Step.MESSAGE_SENT: "We sent you a message about this",
    Step.FAMILY_NOTIFIED: "Our message reached you",
}
WHAT_NEXT: dict[Step, str] = {
    Step.RECEIVED: "We are drafting a support plan and looking for a specialist near you.",
    Step.PLAN_DRAFTED: "We are looking for a specialist near you.",
    Step.WAITLISTED: "We will tell you as soon as a place with a specialist frees up.",
    Step.SPECIALIST_ASSIGNED: "The specialist will contact you to arrange a first session.",
    Step.FAMILY_NOTIFIED: "The specialist will contact you to arrange a first session.",
}


def reference(referral_id: UUID) -> str:
    """The short reference families see in messages and on the family view."""
    return str(referral_id)[:8].upper()


def status_after(steps: list[Step]) -> Step:
    """A referral's status is the furthest step it has reached, whatever order events came in
    (messages to the family aside)."""
    journey = [s for s in steps if s not in MESSAGE_STEPS]
    return max(journey, key=_ORDER.index, default=Step.RECEIVED)


class FamilyContact(BaseModel):
    """Who to tell about the referral, and how. Personal data: it travels only to
    notifications, on its own topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(
        default=None, pattern=r"^\+?[0-9 ]{10,15}$", examples=["07700 900123"]
    )
    preferred_channel: Literal["email", "sms"] = "email"

    @model_validator(mode="after")
    def _reachable(self) -> FamilyContact:
        wanted = self.email if self.preferred_channel == "email" else self.phone
        if wanted is None:
            raise ValueError(f"{self.preferred_channel}: needed for the preferred channel")
        return self


@dataclass(frozen=True)
class NewReferral:
    """What a council, school, parent or NHS partner sends in, already shape-checked."""

    referral_id: UUID
    local_authority: str
    received_on: date
    requested_by: str
    primary_need: Sen2Need
    postcode: Postcode
    contact: FamilyContact

    @cached_property
    def clock(self) -> StatutoryClock:
        return StatutoryClock(self.received_on)


def receive(referral: NewReferral) -> tuple[ReferralReceived, FamilyContactRegistered]:
    """The events a new referral causes: one for everyone, one only for notifications."""
    clock = referral.clock
    received = ReferralReceived(
        referral_id=referral.referral_id,
        local_authority=referral.local_authority,
        received_on=referral.received_on,
        primary_need=referral.primary_need,
        requested_by=referral.requested_by,
        postcode_district=referral.postcode.district,
        decision_due=clock.decision_due,
        final_plan_due=clock.final_plan_due,
    )
    contact = FamilyContactRegistered(
        referral_id=referral.referral_id,
        contact_name=referral.contact.name,
        email=referral.contact.email,
        phone=referral.contact.phone,
        preferred_channel=referral.contact.preferred_channel,
    )
    return received, contact
