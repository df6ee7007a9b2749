"""The referrals API's request and response bodies, and their checks.

(Longer than most modules: one model per request and response body of the API with its checks:
a list, not logic.)
"""

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
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from referrals.domain import POSTCODE_PATTERN, FamilyContact, Postcode, Step
from referrals.ehc_schemas import EhcView
from referrals.intake import nhs_number_digits, nhs_number_range, person_name, safe_text
from referrals.sen2.upn import normalised_upn
from shared.events import Sen2Need, Track

REGULATIONS_IN_FORCE = date(2014, 9, 1)  # the SEND Regulations 2014: no request is older
Requester = Literal["parent", "young_person", "school", "health", "social_care"]


def _nhs_number(value: str) -> str:
    digits = nhs_number_digits(value)
    if nhs_number_range(digits) == "unissued":
        raise ValueError("not an NHS number that can have been issued (check the number)")
    return digits


PersonName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(person_name)]
Words = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(safe_text)]
"""The referrer's own words: any script, several lines, no control or formatting characters."""


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
    WithJsonSchema(
        {
            "type": "string",
            "pattern": POSTCODE_PATTERN,
            "description": "A UK postcode in the full format; lower case and spacing are "
            "normalised (ls62ab is LS6 2AB)",
            "examples": ["LS6 2AB"],
        }
    ),
]


class Child(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: PersonName = Field(examples=["Siân"])
    family_name: PersonName = Field(examples=["Nguyễn"])
    date_of_birth: date = Field(description="Under 25 on the day of the request (s83(2))")
    nhs_number: Annotated[str, Field(max_length=20), AfterValidator(_nhs_number)] | None = Field(
        default=None,
        description="Optional; 10 digits with a valid Modulus 11 check, spaces or dashes allowed",
        examples=["450 557 7104"],
    )
    postcode: UkPostcode
    upn: Annotated[str, Field(max_length=20), AfterValidator(normalised_upn)] | None = Field(
        default=None,
        description="Optional; the unique pupil number (SEN2): a check letter and 12 digits, "
        "the check letter matching",
        examples=["P938612345678"],
    )
    school_urn: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="The school or setting the child attends: its unique reference number "
        "(URN, six digits), when known",
        examples=["107958"],
    )


class AboutTheChild(BaseModel):
    """What the referrer says about the child, in their own words: it becomes the plan's
    description of needs (section B) and the child's and family's views (section A)."""

    model_config = ConfigDict(extra="forbid")

    strengths: Words | None = None
    difficulties: Words | None = None
    views: Words | None = Field(
        default=None, description="The child's and family's views, interests and aspirations"
    )


EXAMPLE_REQUEST: dict[str, Any] = {
    "local_authority": "E08000035",
    "track": "ehc",
    "requested_by": "parent",
    "primary_need": "SLCN",
    "secondary_needs": ["SEMH"],
    "language": "en",
    "received_on": "2026-10-01",
    "about_the_child": {
        "strengths": "Loves drawing and building things.",
        "difficulties": "Finds it hard to follow spoken instructions in class.",
        "views": "Wants to make friends and join the football club.",
    },
    "child": {
        "given_name": "Siân",
        "family_name": "Nguyễn",
        "date_of_birth": "2019-05-01",
        "nhs_number": "450 557 7104",
        "postcode": "LS6 2AB",
        "school_urn": "107958",
    },
    "family_contact": {"name": "Ann Parent", "phone": "07700 900123", "preferred_channel": "sms"},
}
"""A whole request, valid as it stands (the OpenAPI document's example)."""


class ReferralRequest(BaseModel):
    """A request for support (the support track), or for an EHC needs assessment (the ehc
    track, which also starts the statutory clock), from a parent, school or professional."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_REQUEST]})

    local_authority: str = Field(
        pattern=r"^E[0-9]{8}$",
        description="ONS code of a council with SEND duties (E06, E08, E09, E10) this "
        "deployment serves",
        examples=["E08000035"],
    )
    track: Track = Field(
        default="support",
        description="support: plan and specialist help at once, no statutory clock; ehc: an EHC "
        "needs assessment request (support starts at once too, and the clock runs). Only a "
        "parent, young person or school may request one (s36(1)): ehc from health or "
        "social_care is taken as support, marked assessment_suggested, for the council to "
        "decide (s24)",
    )
    requested_by: Requester
    primary_need: Sen2Need
    secondary_needs: list[Sen2Need] = Field(
        default_factory=list,
        max_length=4,
        description="Further SEN2 needs, if any; none may repeat the primary need or another",
        examples=[["SEMH"]],
    )
    language: str = Field(
        default="en",
        pattern=r"^[a-z]{2,3}$",
        description="The family's preferred language, as an ISO 639 code",
        examples=["en", "ur", "pl"],
    )
    about_the_child: AboutTheChild | None = None
    received_on: date | None = Field(
        default=None,
        description="When the council received it (Europe/London); today if left out; never in "
        "the future",
    )
    child: Child
    family_contact: FamilyContact

    @field_validator("secondary_needs")
    @classmethod
    def _needs_once_each(cls, value: list[Sen2Need], info: ValidationInfo) -> list[Sen2Need]:
        primary = info.data.get("primary_need")
        if primary in value:
            raise ValueError(f"{primary} is already the primary need")
        if len(set(value)) != len(value):
            raise ValueError("a need is listed twice")
        return value

    @field_validator("received_on")
    @classmethod
    def _after_the_regulations(cls, value: date | None) -> date | None:
        if value is not None and value < REGULATIONS_IN_FORCE:
            raise ValueError(f"must be on or after {REGULATIONS_IN_FORCE} (SEND Regulations 2014)")
        return value


class PartnerReferralRequest(ReferralRequest):
    """An NHS partner's request (read from its FHIR Bundle): NHS systems code reasons in SNOMED
    CT or text, not in SEN2, and deciding a child's need is the council's job, so the need may
    be left out; the referral then waits for a caseworker's triage (``POST
    /v1/referrals/{id}/need``)."""

    primary_need: Sen2Need | None = None  # type: ignore[assignment]  # optional for partners


class ReferralReceipt(BaseModel):
    """What the sender of a referral gets back: our reference, and nothing about the child."""

    id: UUID
    status: Step
    track: Track
    local_authority: str
    received_on: date


class DuplicateReferral(BaseModel):
    """The child already has an open referral in this council: use it (escalate it to ask for
    an EHC assessment)."""

    detail: str
    referral_id: UUID


class FamilyStep(BaseModel):
    what: str = Field(examples=["A support plan was drafted for your child"])
    on: date


class FamilyPlanLink(BaseModel):
    text: str = Field(examples=["Read your child's plan"])
    href: str = Field(description="The plan page, opened by the same link token")


class FamilyLetter(BaseModel):
    """A decision's letter, opened through the family's own link."""

    id: UUID
    what: str = Field(examples=["Our decision not to carry out an EHC needs assessment"])
    on: date = Field(description="The day it was written")


class FamilyView(BaseModel):
    """What a family sees through its link: steps and dates in plain words, and what happens
    next. Never the caseworker's record (no needs, no names)."""

    reference: str = Field(description="The short reference in the family's messages")
    local_authority: str = Field(
        description="The council's ONS code (the workspace names its SEND team's contacts)",
        examples=["E08000035"],
    )
    requested_on: date
    steps: list[FamilyStep] = Field(description="Each step with its date; messages are not steps")
    next: str = Field(examples=["The specialist will contact you to arrange a first session."])
    plan: FamilyPlanLink = Field(description="Where the family reads the child's plan")
    letters: list[FamilyLetter] = Field(
        default_factory=list,
        description="The council's letters about its decisions, oldest first: each opened at "
        "/v1/family/{token}/letters/{id}",
    )
    appeal_by: date | None = Field(
        default=None,
        description="After a decision that can be appealed: the last day to appeal, 2 months "
        "from the decision or 1 month from the mediation certificate, whichever is later",
    )


class TimelineEntry(BaseModel):
    step: str = Field(examples=["plan_drafted", "assessment_decided", "deadline_missed"])
    detail: str | None = Field(
        default=None,
        description="Which deadline, advice or decision; for team_alerted, the message the "
        "council's SEND team was sent",
        examples=["decision", "deadline-at-risk"],
    )
    service: str
    at: datetime
    seconds_since_referral: float


class ReferralView(BaseModel):
    """Where a referral stands. Holds no personal details."""

    id: UUID
    status: Step = Field(description="How far the support journey has come")
    track: Track
    local_authority: str
    requested_by: str
    primary_need: Sen2Need | None = Field(
        description="None: an NHS partner's referral waiting for a caseworker's triage"
    )
    needs_triage: bool = Field(
        default=False, description="True until a caseworker sets the need (POST .../need)"
    )
    received_on: date
    closed: bool = Field(description="The EHC request ended (refused, no plan, or final plan)")
    assessment_suggested: bool = Field(
        default=False,
        description="A health or social care professional asked for an EHC needs assessment: "
        "it brought the child to the council's attention (s24), and a caseworker decides "
        "whether to treat it as a request (POST .../assessment-suggestion); no clock until then",
    )
    ehc: EhcView | None = Field(description="The statutory process, on the ehc track")
    timeline: list[TimelineEntry]


class ChildView(BaseModel):
    """The child's personal details, for the caseworker's page of the referral (kept apart
    from ``ReferralView``, which other clients read without them). Every read is audited."""

    given_name: str | None = Field(description="None once erased (retention)")
    family_name: str | None = Field(description="None once erased (retention)")
    date_of_birth: date
    nhs_number: str | None = Field(description="10 digits; None when not given, or erased")
    postcode: str = Field(description="The postcode district alone once erased")
    school_urn: str | None
    upn: str | None = Field(default=None, description="The unique pupil number, when recorded")
    erased: bool = Field(description="The personal details were erased (retention)")
    sharing_consent: Literal["given", "refused"] | None = Field(
        default=None,
        description="A young person who asked for themselves: whether what they tell us may "
        "be shared with the professionals who help (s83)",
    )
    representative: str | None = Field(
        default=None,
        description="Who acts for a young person who lacks mental capacity (s80): deputy, "
        "attorney, parent or other; None when nobody does",
    )
    representative_reason: str | None = Field(
        default=None, description="Why, in the caseworker's words (None once erased)"
    )
    representative_since: datetime | None = None
    decides: Literal["parent", "young_person", "representative"] = Field(
        default="parent",
        description="Who makes the decisions today (s83): the parent until the end of "
        "compulsory school age, then the young person, or their representative (s80)",
    )
