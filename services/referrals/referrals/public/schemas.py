"""The bodies of the public form's routes (``intake``) and of the caseworkers' (``casework``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from referrals.domain import FamilyContact
from referrals.schemas import AboutTheChild, Child, ReferralRequest, Words
from shared.events import Sen2Need, Track

Consent = Literal["given", "refused"]


class PublicRequest(BaseModel):
    """A request made on the public form, with no account: for support, or for an EHC needs
    assessment (the clock then runs from the day it was received, once confirmed)."""

    model_config = ConfigDict(extra="forbid")

    local_authority: str = Field(
        pattern=r"^E[0-9]{8}$",
        description="ONS code of the council where the child or young person lives (one this "
        "deployment serves)",
        examples=["E08000035"],
    )
    requested_by: Literal["parent", "young_person", "school"] = Field(
        description="parent (or carer), young_person (asking for themselves: over compulsory "
        "school age and under 25; they are the contact), school (or college)"
    )
    track: Track = Field(
        default="support",
        description="ehc: the request asks for an EHC needs assessment (s36); support: help "
        "without one",
    )
    primary_need: Sen2Need = Field(
        description="What the requester says is hardest, as the form's words for it stand "
        "(the workspace maps each to its SEN2 code; OTH when they are not sure)"
    )
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")
    about_the_child: AboutTheChild | None = None
    child: Child
    family_contact: FamilyContact = Field(
        description="Who is sent the link to confirm the request, then every message: the "
        "parent, or the young person asking for themselves (a school gives the family's)"
    )
    sharing_consent: Consent | None = Field(
        default=None,
        description="young_person only, and needed then: whether what they tell us may be "
        "shared with the professionals who help (s83: the decision is theirs)",
    )
    evidence: list[UUID] = Field(
        default_factory=list,
        max_length=5,
        description="Files of evidence uploaded for it first (``POST /v1/public/evidence``), "
        "by the ids answered there",
    )
    honeypot: str = Field(
        default="",
        max_length=200,
        description="Leave empty: a field people never see. A request with it filled is "
        "answered as any other, and not kept",
    )

    def as_referral(self, received_on: date) -> ReferralRequest:
        """The referral it is taken in as, dated the day it was received."""
        return ReferralRequest.model_validate(
            {
                **self.model_dump(mode="json", exclude={"sharing_consent", "honeypot", "evidence"}),
                "received_on": received_on.isoformat(),
            }
        )


class PublicReceipt(BaseModel):
    """What the requester is told: the reference in their messages, and the request's date."""

    reference: str = Field(examples=["3F2A9C01"])
    received_on: date = Field(description="The request's legal date (Europe/London)")


class Confirmation(BaseModel):
    """The token in the link the contact was sent (in the body: never in an address)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=2000)


NotTakenIn = Literal["already-referred", "child-details-differ"]


class PublicRequestView(BaseModel):
    """A request made on the public form, for caseworkers: who asked, when, whether the
    contact confirmed it, and what became of it; the child's name to know whom it is about."""

    id: UUID
    reference: str
    local_authority: str
    requested_by: str
    track: Track
    received_on: date = Field(description="The request's legal date")
    decision_due: date | None = Field(
        description="An EHC needs assessment request: decide whether to assess by (6 weeks "
        "from the day received, confirmed or not)"
    )
    given_name: str | None = Field(description="None once erased (retention or taken in)")
    family_name: str | None
    date_of_birth: date
    asked_to_confirm: bool = Field(
        description="A link to confirm it was sent (false: the contact's daily limit was met)"
    )
    confirmed_by: Literal["link", "phone"] | None
    confirmed_at: datetime | None
    referral_id: UUID | None = Field(description="The referral it was taken in as")
    not_taken_in: NotTakenIn | None = Field(
        description="Confirmed, but not taken in: the child has an open referral here "
        "(clashes_with), or a known NHS number with other details"
    )
    clashes_with: UUID | None


class PublicRequestPage(BaseModel):
    items: list[PublicRequestView]
    next_offset: int | None


class PhoneConfirmation(BaseModel):
    """A caseworker rang the contact (or the school) and they confirmed the request."""

    model_config = ConfigDict(extra="forbid")

    spoke_to: Literal["contact", "school"] = Field(
        default="contact", description="Whom the caseworker spoke to"
    )


class Representative(BaseModel):
    """Who acts for a young person who lacks mental capacity (s80), on what basis and why:
    messages and links go to them from then on."""

    model_config = ConfigDict(extra="forbid")

    relationship: Literal["deputy", "attorney", "parent", "other"] = Field(
        description="deputy (appointed by the Court of Protection), attorney (a lasting power "
        "of attorney), parent, other"
    )
    reason: Words = Field(
        description="Why: the young person's capacity to make these decisions, as assessed "
        "(the caseworker's words: kept in the council's record, never in a message)",
    )
    contact: FamilyContact
