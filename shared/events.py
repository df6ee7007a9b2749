"""Every event the platform publishes: one frozen pydantic model each, and the envelope.

The envelope follows CloudEvents 1.0 in structured JSON mode. CloudEvents extension
attribute names may only hold lower-case letters and digits, so the council travels as
``localauthority`` and the payload's version as ``schemaversion``.

Events carry ids and codes, never a child's name or a family's contact details, with two
exceptions, each on its own topic that only the service needing it reads:
``FamilyContactRegistered`` (notifications), ``ReferralDescribed`` (plans: the referrer's
own words about the child) and ``ChildIdentified`` (plans: the child's name and date of
birth, which the plan and its PDF carry). ``AdviceReceived`` may carry an adviser's summary of
the child's needs (no name) for section K of the plan.

(Longer than most modules: the platform's event contracts, one small frozen model per event and
the envelope, kept together so every contract is read, versioned and reviewed in one place.)
"""

from __future__ import annotations

import enum
import functools
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from shared.specialisms import Specialism

EVENT_TYPE_PREFIX = "uk.send-platform"


class Sen2Need(enum.StrEnum):
    """SEN2 primary need codes (DfE)."""

    SPLD = "SPLD"
    MLD = "MLD"
    SLD = "SLD"
    PMLD = "PMLD"
    SEMH = "SEMH"
    SLCN = "SLCN"
    HI = "HI"
    VI = "VI"
    MSI = "MSI"
    PD = "PD"
    ASD = "ASD"
    DS = "DS"
    OTH = "OTH"


_DECLARED: list[type[DomainEvent]] = []
"""Every concrete event class, in the order declared (``ALL_EVENTS``)."""


class DomainEvent(BaseModel):
    """Base of every event payload. Unknown fields are ignored (additive changes are safe)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: ClassVar[str]
    """Short, past-tense name, e.g. ``referral-received``."""
    owner: ClassVar[str]
    """The service that publishes it."""
    version: ClassVar[int] = 1

    referral_id: UUID = Field(description="The referral this event belongs to; the Kafka key.")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "name" in cls.__dict__:  # a concrete event (bases such as StatutoryStep name none)
            _DECLARED.append(cls)

    @classmethod
    def topic(cls) -> str:
        """Versioned topic name: ``<owner>.<name>.v<version>``."""
        return f"{cls.owner}.{cls.name}.v{cls.version}"

    def key(self) -> str:
        """The Kafka key: the referral id, so one referral's events stay in order."""
        return str(self.referral_id)

    def destination(self) -> str:
        """The topic this event is published to: its class's (``PartnerEvent``: the partner's
        own)."""
        return self.topic()

    @classmethod
    def event_type(cls) -> str:
        """CloudEvents ``type`` attribute."""
        return f"{EVENT_TYPE_PREFIX}.{cls.owner}.{cls.name}.v{cls.version}"


Track = Literal["support", "ehc"]
"""A support request (the reform path) or an EHC needs assessment request (statutory)."""

Phase = Literal["early_years", "primary", "secondary", "post_16"]
"""The child's phase of education on the day of the request, from their date of birth (the
school year they are in: early years under 5 on 31 August, primary to year 6, secondary to
year 11, post-16 after)."""


class ReferralReceived(DomainEvent):
    name: ClassVar[str] = "referral-received"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    received_on: date = Field(description="The day the statutory clock started")
    primary_need: Sen2Need = Field(description="SEN2 primary need code", examples=["SLCN"])
    requested_by: str = Field(examples=["parent", "school", "health", "social_care"])
    postcode_district: str = Field(
        description="Outward code only (e.g. LS6), for matching help close to home",
        examples=["LS6"],
    )
    decision_due: date = Field(
        description="6 weeks from the request (Reg 5). On the support track, where no clock "
        "runs, the date an EHC request made that day would have (kept for older consumers)"
    )
    final_plan_due: date = Field(
        description="20 weeks from the request (Reg 13(2)); as decision_due on the support track"
    )
    track: Track = Field(
        default="support",
        description="support: a personal plan and specialist help, no statutory clock; ehc: an "
        "EHC needs assessment request, which also starts the statutory clock",
        examples=["support", "ehc"],
    )
    secondary_needs: list[Sen2Need] = Field(
        default_factory=list,
        description="Further SEN2 needs, beyond the primary one (none repeats the primary)",
        examples=[["SEMH"]],
    )
    phase: Phase | None = Field(
        default=None, description="Phase of education on the day of the request"
    )
    age_years: int | None = Field(
        default=None, ge=0, le=25, description="Age in whole years on the day of the request"
    )
    school_urn: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="The school or setting the child attends (its URN), when known: matching "
        "prefers specialists who visit it",
        examples=["107958"],
    )
    language: str = Field(
        default="en",
        pattern=r"^[a-z]{2,3}$",
        description="The family's preferred language (ISO 639 code), for matching specialists "
        "who speak it",
        examples=["en", "ur", "pl"],
    )
    described: bool = Field(
        default=False,
        description="True when the referrer described the child's strengths and difficulties: "
        "a ReferralDescribed event follows (on its own topic) and the plan waits for it",
    )


class ReferralTriaged(ReferralReceived):
    """A caseworker set the SEN2 need of a referral that waited for triage
    (``ReferralAwaitingTriage``): everything ``ReferralReceived`` carries, on a topic of its
    own, so the plan is drafted and the specialist matched as for any referral. Not a second
    receipt: the family heard when the request came, so notifications sends nothing for it."""

    name: ClassVar[str] = "referral-triaged"
    owner: ClassVar[str] = "referrals"

    triaged_on: date = Field(description="The day the caseworker set the need")


class ReferralDescribed(DomainEvent):
    """What the referrer said about the child, in their own words, for the plan's section B.
    Special category data on its own topic, which only plans reads; never logged."""

    name: ClassVar[str] = "referral-described"
    owner: ClassVar[str] = "referrals"

    strengths: str | None = Field(default=None, max_length=4000)
    difficulties: str | None = Field(default=None, max_length=4000)
    views: str | None = Field(
        default=None,
        max_length=4000,
        description="The child's or family's views, interests and aspirations (section A)",
    )


class ReferralAwaitingTriage(DomainEvent):
    """An NHS partner's referral taken in without a SEN2 need (NHS systems code reasons in
    SNOMED CT or text; deciding the need is the council's job): it waits in the caseload for a
    caseworker's triage. The family is told "we received the request" (as for
    ``ReferralReceived``); no plan is drafted and no specialist matched until
    ``ReferralTriaged``. A new event, not ``ReferralReceived`` without its need: that one's
    consumers draft a plan from the need it always carries."""

    name: ClassVar[str] = "referral-awaiting-triage"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    received_on: date = Field(description="The day the council received the request")
    requested_by: str = Field(examples=["health"])
    track: Track = Field(default="support", examples=["support", "ehc"])
    decision_due: date = Field(
        description="As ReferralReceived's: 6 weeks from the request (Reg 5)"
    )
    final_plan_due: date = Field(
        description="As ReferralReceived's: 20 weeks from the request (Reg 13(2))"
    )
    suggested_needs: list[Sen2Need] = Field(
        default_factory=list,
        description="SEN2 needs the council's SNOMED CT table suggests for the referrer's "
        "reasons (SNOMED_SEN2_SUGGESTIONS): for the caseworker to consider, never decided",
        examples=[["ASD"]],
    )


class ChildIdentified(DomainEvent):
    """The child a referral is about, by name and date of birth, for the plan and its PDF
    (a plan names the child it is for). Personal data on its own topic, which only plans
    reads; never logged."""

    name: ClassVar[str] = "child-identified"
    owner: ClassVar[str] = "referrals"

    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    date_of_birth: date | None = None


class StatutoryStep(DomainEvent):
    """What every step of the statutory EHC process carries for the messages it causes:
    the council, who asked, and when the clock started. Ids, codes and dates only."""

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    track: Track = Field(default="ehc", examples=["ehc"])
    requested_by: str = Field(
        description="Who asked for the assessment", examples=["parent", "school", "health"]
    )
    ehc_requested_on: date = Field(
        description="The day the council received the EHC request: the clock's start"
    )
    earlier_system: bool = Field(
        default=False,
        description="A step taken in the council's earlier system, brought in by an import of "
        "open requests: its messages went out then, so it causes none now",
    )


class EhcAssessmentRequested(StatutoryStep):
    """The statutory clock started: at intake, or when a support request was escalated."""

    name: ClassVar[str] = "ehc-assessment-requested"
    owner: ClassVar[str] = "referrals"

    escalated: bool = Field(description="True when a support request was escalated to EHC")
    decision_due: date = Field(description="Decide whether to assess by (6 weeks, Reg 5)")
    final_plan_due: date = Field(description="Final plan by (20 weeks, Reg 13(2))")


class AssessmentDecided(StatutoryStep):
    """Whether the council will carry out an EHC needs assessment. A refusal's notice must
    give the reason, the right to appeal to the SEND Tribunal (by ``appeal_by``) and the
    right to mediation."""

    name: ClassVar[str] = "assessment-decided"
    owner: ClassVar[str] = "referrals"

    decision: Literal["assess", "refuse"]
    decided_on: date
    decision_due: date = Field(description="The 6-week date, moved by any recorded exceptions")
    on_time: bool = Field(description="Decided by decision_due")
    refusal_reason: str | None = Field(
        default=None,
        description="Why not (a code); set when refused",
        examples=["no_evidence_of_special_educational_needs"],
    )
    appeal_by: date | None = Field(
        default=None, description="Refused: the last day to appeal (2 months from the decision)"
    )


class AdviceRequested(StatutoryStep):
    """Advice asked of the professionals the law requires (Reg 6), due in 6 weeks (Reg 8)."""

    name: ClassVar[str] = "advice-requested"
    owner: ClassVar[str] = "referrals"

    kinds: list[str] = Field(examples=[["educational_psychology", "medical", "social_care"]])
    requested_on: date
    due_on: date = Field(description="6 weeks from being asked (Reg 8)")


class AdviceSummary(BaseModel):
    """An adviser's own short summary of their advice, for section K of the plan (and the EHC
    plan's drafting): about the child's needs, never naming the child."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    needs: str = Field(description="The needs the adviser found")
    outcomes_sought: str = Field(description="The outcomes they advise the plan to seek")
    provision_recommended: str = Field(description="The provision they recommend")


class AdviceReceived(StatutoryStep):
    """A professional's advice arrived (Reg 6). Returned by the adviser through their link, it
    carries their document's id and their summary (plans lists both in section K); recorded by
    a caseworker, neither."""

    name: ClassVar[str] = "advice-received"
    owner: ClassVar[str] = "referrals"

    kind: str = Field(examples=["educational_psychology"])
    received_on: date
    due_on: date
    on_time: bool
    document_id: UUID | None = Field(
        default=None, description="The advice as a document in the referrals service's store"
    )
    summary: AdviceSummary | None = Field(
        default=None, description="The adviser's summary: needs, outcomes sought, provision"
    )


class ExistingAdviceAgreed(StatutoryStep):
    """Advice given before is used instead of seeking it afresh (Reg 6(4)): the person who
    gave it, the council and the family agreed. It counts as sought for the decision whether
    to issue a plan. What it is and who gave it stay in referrals: kind and dates only."""

    name: ClassVar[str] = "existing-advice-agreed"
    owner: ClassVar[str] = "referrals"

    kind: str = Field(description="The kind of advice, (b) to (h)", examples=["medical"])
    advice_dated: date = Field(description="The date the advice was given")
    agreed_on: date = Field(description="The day the last of the three agreed")


class PlanIssueDecided(StatutoryStep):
    """Whether the council will issue an EHC plan. A decision not to issue must be notified
    by week 16 (Reg 10(1)) with the right to appeal (by ``appeal_by``) and to mediation."""

    name: ClassVar[str] = "plan-issue-decided"
    owner: ClassVar[str] = "referrals"

    decision: Literal["issue", "not_issue"]
    decided_on: date
    not_issue_due: date = Field(description="A decision not to issue is due by this (week 16)")
    reason: str | None = Field(
        default=None,
        description="Why no plan (a code); set when not issuing",
        examples=["needs_met_by_sen_support"],
    )
    appeal_by: date | None = Field(
        default=None, description="Not issuing: the last day to appeal (2 months)"
    )


class DraftPlanIssued(StatutoryStep):
    """The draft EHC plan was sent to the family, who have at least 15 days to comment and to
    ask for a school to be named (Reg 13(1))."""

    name: ClassVar[str] = "draft-plan-issued"
    owner: ClassVar[str] = "referrals"

    issued_on: date
    comments_due: date = Field(description="The family may comment until this day (15+ days)")
    final_plan_due: date


class SchoolConsulted(DomainEvent):
    """The council asked a school whether it can be named in the child's EHC plan (s39(2)
    Children and Families Act 2014): its governing body, proprietor or principal answers
    within 15 days (s39(3); Code of Practice 9.79). Ids, codes and dates only."""

    name: ClassVar[str] = "school-consulted"
    owner: ClassVar[str] = "referrals"

    local_authority: str
    consultation_id: UUID
    school_urn: str = Field(description="The school consulted, by its URN", examples=["107958"])
    sent_on: date
    respond_by: date = Field(description="The school's 15 days end on this day")


ConsultationAnswer = Literal["can_meet_needs", "cannot_meet_needs"]


class SchoolConsultationAnswered(DomainEvent):
    """The school consulted answered (its SENCo, for the governing body): whether it can meet
    the child's needs. Its reasons stay in referrals: the event carries codes only."""

    name: ClassVar[str] = "school-consultation-answered"
    owner: ClassVar[str] = "referrals"

    local_authority: str
    consultation_id: UUID
    school_urn: str
    answer: ConsultationAnswer
    answered_on: date
    in_time: bool = Field(description="Answered within the school's 15 days")


class FinalPlanIssued(StatutoryStep):
    name: ClassVar[str] = "final-plan-issued"
    owner: ClassVar[str] = "referrals"

    issued_on: date
    final_plan_due: date = Field(description="The 20-week date, moved by any exceptions")
    within_20_weeks: bool = Field(description="Issued within 20 weeks of the request (SEN2)")
    with_exceptions: bool = Field(description="An exception was recorded (SEN2 reports both)")
    appeal_by: date = Field(description="Last day to appeal sections B, F and I (2 months)")


OthersToldAt = Literal[
    "ehc_assessment_requested",
    "assessment_decided",
    "plan_issue_decided",
    "final_plan_issued",
    "plan_ceasing_decided",
]


class OthersNotified(StatutoryStep):
    """The council tells others of a step the Regulations name: the child's school, health (the
    designated medical or clinical officer) and social care of the request (Reg 4(2)), of the
    decision whether to assess (Reg 5(2)) and of a decision not to issue a plan (Reg 10(2));
    the named school and the health commissioning body of the final plan (Reg 13(2)) and of a
    decision to cease the plan (Reg 31(2)). Team mailboxes from the council's configuration,
    never a family's; a step on the timeline."""

    name: ClassVar[str] = "others-notified"
    owner: ClassVar[str] = "referrals"

    step: OthersToldAt = Field(description="The step they are told of")
    decision: str | None = Field(
        default=None, description="The decision told of, as a code", examples=["refuse"]
    )
    school_urn: str | None = Field(default=None, examples=["107958"])
    school_email: str | None = Field(default=None, description="The school's SEND mailbox")
    designated_clinical_officer_email: str | None = None
    social_care_email: str | None = None
    health_commissioning_email: str | None = None


class StatutoryExceptionRecorded(StatutoryStep):
    """An exception to the time limits (Regs 5(4), 10(4), 13(3)): the deadlines move."""

    name: ClassVar[str] = "statutory-exception-recorded"
    owner: ClassVar[str] = "referrals"

    kind: str = Field(examples=["school_closure", "personal_circumstances", "family_away"])
    starts_on: date
    ends_on: date
    deadlines: dict[str, date] = Field(
        description="Each open deadline's date now", examples=[{"final_plan": "2026-06-08"}]
    )


class DeadlineAtRisk(StatutoryStep):
    """A statutory deadline is close and its step not taken (days before: a council setting)."""

    name: ClassVar[str] = "deadline-at-risk"
    owner: ClassVar[str] = "referrals"

    deadline: str = Field(examples=["decision", "issue_decision", "final_plan", "advice:medical"])
    due_on: date = Field(description="With exceptions: the date that applies now")
    statutory_due_on: date = Field(description="Without exceptions")
    days_left: int


class DeadlineMissed(StatutoryStep):
    """A statutory deadline passed without its step (sent once, the day after)."""

    name: ClassVar[str] = "deadline-missed"
    owner: ClassVar[str] = "referrals"

    deadline: str = Field(examples=["decision", "issue_decision", "final_plan"])
    due_on: date
    statutory_due_on: date


class ReferralRequested(DomainEvent):
    """A request for support arriving as an event (bulk intake, a partner system's batch):
    the same body as ``POST /v1/referrals``, taken in by referrals with the same rules. Personal
    data: on its own topic, which only referrals consumes."""

    name: ClassVar[str] = "referral-requested"
    owner: ClassVar[str] = "intake"

    request: dict[str, Any] = Field(
        description="The referral as `POST /v1/referrals` takes it (see the referrals OpenAPI)"
    )


class FamilyContactRegistered(DomainEvent):
    """Personal data: on its own topic, which only notifications consumes (a topic ACL should
    enforce that on a shared cluster; none is configured yet). A later one for the same
    referral replaces the contact (a representative recorded for a young person)."""

    name: ClassVar[str] = "family-contact-registered"
    owner: ClassVar[str] = "referrals"

    contact_name: str
    email: str | None = None
    phone: str | None = None
    preferred_channel: Literal["email", "sms", "letter"]
    address_lines: list[str] = Field(
        default_factory=list,
        description="Postal address for letters (3 to 7 lines, the postcode last); empty when "
        "the family gave none",
    )
    representative: bool = Field(
        default=False,
        description="The contact is the representative of a young person who lacks mental "
        "capacity (Children and Families Act 2014 s80): messages and links go to them, and "
        "speak of the young person rather than to them",
    )


class PublicRequestReceived(DomainEvent):
    """A request made on the workspace's public form (a parent or carer, a young person, or
    a school or college, with no account), kept until its contact confirms it through the
    link they are sent, or a caseworker confirms it by phone: only then is it taken in as a
    referral (with this ``referral_id``), dated the day it was received. Ids, codes and the
    day only; the contact travels on its own topic (``FamilyContactRegistered``, the same
    ``referral_id``)."""

    name: ClassVar[str] = "public-request-received"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    requested_by: Literal["parent", "young_person", "school"]
    track: Track = Field(description="ehc: the request asks for an EHC needs assessment")
    received_on: date = Field(
        description="The day the council received it (Europe/London): the request's legal "
        "date, whenever it is confirmed"
    )
    ask_to_confirm: bool = Field(
        description="Send the contact a link to confirm the request. False once the contact "
        "was sent PUBLIC_REQUEST_MESSAGES_PER_CONTACT of them in a day: the request is kept "
        "all the same, and a caseworker can confirm it by phone"
    )


class FamilyLinksRevoked(DomainEvent):
    """A caseworker withdrew every link sent to the family so far (a message went to the
    wrong person, say): the referral's links start a new ``generation``, and links of an
    earlier one stop opening anything, in every service that takes them (the family view, the
    plan page); notifications makes its links of the new one from then on. Ids, a count and
    the moment only."""

    name: ClassVar[str] = "family-links-revoked"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    revoked_at: datetime = Field(
        description="When (referrals' clock). Decides nothing, except on an event of "
        "generation 0: links issued before it no longer open"
    )
    generation: int = Field(
        default=0,
        ge=0,
        description="The referral's link generation from now on: links of an earlier one no "
        "longer open. 0: an event from before generations were counted (see revoked_at)",
        examples=[1],
    )


class ChildDetailsErased(DomainEvent):
    """Retention: the council's retention period for the child's records has passed, and
    referrals has erased the child's personal details. Every service holding a copy of them
    (plans: the referrer's and family's words in the plan; notifications: the family's contact
    details) erases or pseudonymises its own. Ids and the day only."""

    name: ClassVar[str] = "child-details-erased"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    erased_on: date = Field(description="The day referrals erased the child's details")


class LivePlanImported(DomainEvent):
    """An EHC plan already in force, brought in from the council's earlier system (issue #22):
    the child and the contact stay in referrals (the contact travels on its own topic,
    ``FamilyContactRegistered``), and referrals runs the plan's annual review clock. Ids,
    codes and dates only: never the child's details or the council's own case id."""

    name: ClassVar[str] = "live-plan-imported"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    issued_on: date = Field(description="The day the plan (or its last amended version) was issued")
    last_reviewed_on: date | None = Field(
        default=None, description="The day of the last annual review meeting, if any"
    )
    review_due: date = Field(
        description="The next annual review: within 12 months of the issue or the last review "
        "(Reg 20); earlier when the council set an earlier date"
    )
    needs: list[Sen2Need] = Field(
        min_length=1,
        description="SEN2 needs in rank order, the primary need first",
        examples=[["ASD", "SLCN"]],
    )
    setting_urn: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="The named school's URN (section I)"
    )
    setting_ukprn: str | None = Field(
        default=None,
        pattern=r"^1[0-9]{7}$",
        description="The named college or provider's UKPRN (section I), instead of a URN",
    )
    phase: Phase | None = Field(default=None, description="Phase of education on import")
    age_years: int | None = Field(default=None, ge=0, le=25, description="Age on import")


class ImportedAdvice(BaseModel):
    """Advice an imported request received in the earlier system: its kind and day only."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: str = Field(examples=["educational_psychology"])
    received_on: date


class OpenRequestImported(DomainEvent):
    """An EHC needs assessment under way in the council's earlier system, brought in (issue
    #22): what the plans service needs to hold the request's plan at the stage its steps left
    it, in one event. The steps' own events (``earlier_system``) go on their own topics, so
    nothing orders them after this one: plans takes the steps from here. Ids, codes and dates
    only: never the child's details or the council's own case id."""

    name: ClassVar[str] = "open-request-imported"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    received_on: date = Field(description="The day the council received the request: the clock")
    requested_by: str = Field(examples=["parent", "school"])
    needs: list[Sen2Need] = Field(
        min_length=1,
        description="SEN2 needs in rank order, the primary need first",
        examples=[["ASD", "SLCN"]],
    )
    postcode_district: str = Field(description="Outward code only", examples=["LS6"])
    decision_due: date = Field(description="Decide whether to assess by (6 weeks, Reg 5)")
    final_plan_due: date = Field(description="Final plan by (20 weeks, Reg 13(2))")
    phase: Phase | None = Field(default=None, description="Phase of education on the request")
    age_years: int | None = Field(default=None, ge=0, le=25, description="Age on the request")
    advice_received: list[ImportedAdvice] = Field(
        default_factory=list, description="The advice received in the earlier system (section K)"
    )
    plan_decision: Literal["issue", "not_issue"] | None = Field(
        default=None, description="Whether the council decided to issue an EHC plan, if it has"
    )
    plan_decided_on: date | None = None
    draft_issued_on: date | None = Field(
        default=None, description="The day the draft plan went to the family, if it has"
    )
    comments_due: date | None = Field(
        default=None, description="With the draft: the end of the family's comments"
    )


Invitee = Literal["family", "school", "health", "social_care"]
"""Who an annual review's meeting invites (Reg 20(3)): the child's parent or the young person,
the head teacher or principal, health and social care."""
ReviewDecision = Literal["keep", "amend", "cease"]
"""What the council decides after an annual review (Reg 20(10)): keep the plan as it is,
amend it, or cease it."""


ReviewDeadlineKind = Literal[
    "review_meeting", "review_invitations", "review_report", "review_decision", "amended_plan"
]
"""The limits of an annual review (Regs 20-22): the meeting (12 months), the invitations (2
weeks before it), the report (2 weeks after), the decision (4 weeks after), and after a
decision to amend, the amended plan (8 weeks from the proposals, 12 from the meeting)."""


PhaseTransferKind = Literal[
    "early_years_to_primary", "infant_to_junior", "primary_to_secondary", "secondary_to_post_16"
]
"""A move to the next phase of education (Reg 18): the amended plan naming the next school or
college is issued before 15 February of the year of the move (before 31 March for secondary
school to a post-16 institution). Primary to middle school counts as primary_to_secondary."""


class PhaseTransferStep(DomainEvent):
    """What every event of a plan's phase transfer carries. Ids, codes and dates."""

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    kind: PhaseTransferKind
    transfer_year: int = Field(description="The child moves in September of this year")
    due_on: date = Field(
        description="The last day the law allows: 14 February (30 March to post-16)"
    )


class PhaseTransferSet(PhaseTransferStep):
    """The plan's next phase transfer, worked out from the date of birth, brought in with the
    plan, or set by the caseworker (who knows the child's school and year group)."""

    name: ClassVar[str] = "phase-transfer-set"
    owner: ClassVar[str] = "referrals"

    set_by: Literal["date_of_birth", "import", "caseworker"]


class PhaseTransferDeadlineAtRisk(PhaseTransferStep):
    """The phase transfer's deadline is near, the amended plan naming the next setting not yet
    issued (warned once)."""

    name: ClassVar[str] = "phase-transfer-deadline-at-risk"
    owner: ClassVar[str] = "referrals"

    days_left: int


class PhaseTransferDeadlineMissed(PhaseTransferStep):
    """The phase transfer's deadline passed, the amended plan naming the next setting not
    issued (warned once). The family is told, with the law's date."""

    name: ClassVar[str] = "phase-transfer-deadline-missed"
    owner: ClassVar[str] = "referrals"


class AnnualReviewStep(DomainEvent):
    """What every step of a plan's annual review (Regs 18-22) carries. Ids, codes and dates."""

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    review_id: UUID = Field(description="This year's review of the plan")


class AnnualReviewOpened(AnnualReviewStep):
    """The scheduler opened the plan's annual review: its meeting is due by ``review_due``
    (12 months from the issue or the last review, Reg 20)."""

    name: ClassVar[str] = "annual-review-opened"
    owner: ClassVar[str] = "referrals"

    review_due: date


class AnnualReviewMeetingArranged(AnnualReviewStep):
    name: ClassVar[str] = "annual-review-meeting-arranged"
    owner: ClassVar[str] = "referrals"

    meeting_on: date
    invite_by: date = Field(description="2 weeks before the meeting: the invitations' last day")
    review_due: date


class AnnualReviewInvitationsSent(AnnualReviewStep):
    """The family, the school, health and social care were invited to the meeting and asked
    for their advice and information (Reg 20(3)-(4)). The family is told."""

    name: ClassVar[str] = "annual-review-invitations-sent"
    owner: ClassVar[str] = "referrals"

    sent_on: date
    meeting_on: date
    invitees: list[Invitee]


class AnnualReviewMeetingHeld(AnnualReviewStep):
    name: ClassVar[str] = "annual-review-meeting-held"
    owner: ClassVar[str] = "referrals"

    held_on: date
    report_due: date = Field(description="2 weeks after the meeting (Reg 20(7))")
    decision_due: date = Field(description="4 weeks after the meeting (Reg 20(10))")


class AnnualReviewReportSent(AnnualReviewStep):
    """The meeting's report went to everyone invited (Reg 20(7)). The family is told."""

    name: ClassVar[str] = "annual-review-report-sent"
    owner: ClassVar[str] = "referrals"

    sent_on: date
    held_on: date = Field(description="The meeting the report is of")
    decision_due: date = Field(description="4 weeks after the meeting (Reg 20(10))")


class AnnualReviewDecided(AnnualReviewStep):
    """The council decided to keep, amend or cease the plan (Reg 20(10)). The family is told:
    keep is a decision not to amend, which can be appealed; amend means proposed changes
    follow (Reg 22); cease means the council is considering ending the plan, and informs and
    consults the family and the school before it decides (s45, Reg 31)."""

    name: ClassVar[str] = "annual-review-decided"
    owner: ClassVar[str] = "referrals"

    decision: ReviewDecision
    decided_on: date
    next_review_due: date | None = Field(
        description="12 months from the meeting; none when the council decided to cease it"
    )
    appeal_by: date | None = Field(
        default=None,
        description="keep (a decision not to amend the plan): the last day to appeal to the "
        "SEND Tribunal, 2 months from the decision",
    )


class AmendmentsProposed(AnnualReviewStep):
    """After a decision to amend, the proposed amendments were sent to the family, with at
    least 15 days to comment, ask for a school or college to be named and ask for a meeting
    (Reg 22(2)-(3)). The family is told."""

    name: ClassVar[str] = "amendments-proposed"
    owner: ClassVar[str] = "referrals"

    sent_on: date
    comments_until: date = Field(description="15 days or more after the proposals")
    amended_plan_due: date = Field(
        description="8 weeks from the proposals, and no later than 12 weeks from the meeting"
    )
    held_on: date | None = Field(
        default=None,
        description="The review meeting the amendments come from: the amended plan's next "
        "review is within 12 months of it",
    )


class AmendedPlanIssued(AnnualReviewStep):
    """The amended final plan was issued (Reg 22(5)); it can be appealed (by ``appeal_by``).
    The family is told."""

    name: ClassVar[str] = "amended-plan-issued"
    owner: ClassVar[str] = "referrals"

    issued_on: date
    amended_plan_due: date
    late: bool = Field(description="After amended_plan_due")
    held_on: date | None = Field(
        default=None,
        description="The review meeting the amendments come from: the amended plan's next "
        "review is within 12 months of it",
    )
    appeal_by: date = Field(description="2 months from the amended plan")
    phase_transfer: PhaseTransferKind | None = Field(
        default=None, description="The plan of a child moving phase (Reg 18): which move"
    )
    next_setting_urn: str | None = Field(default=None, description="The next school's URN")
    next_setting_ukprn: str | None = Field(default=None, description="The next college's UKPRN")
    next_setting_type: str | None = Field(
        default=None, description="The type of the next setting, where the plan names a type"
    )
    transfer_due: date | None = Field(
        default=None, description="Phase transfer: the last day the law allows (14 Feb, 30 Mar)"
    )


class AnnualReviewDeadlineAtRisk(AnnualReviewStep):
    """A limit of the annual review is near with its step not taken (warned once)."""

    name: ClassVar[str] = "annual-review-deadline-at-risk"
    owner: ClassVar[str] = "referrals"

    deadline: ReviewDeadlineKind
    due_on: date
    days_left: int


class AnnualReviewDeadlineMissed(AnnualReviewStep):
    """A limit of the annual review passed with its step not taken (warned once)."""

    name: ClassVar[str] = "annual-review-deadline-missed"
    owner: ClassVar[str] = "referrals"

    deadline: ReviewDeadlineKind
    due_on: date


CeaseReason = Literal[
    "no_longer_necessary", "no_longer_responsible", "higher_education", "left_education"
]
"""Why the council considers ceasing a plan, on the law's grounds (s45(1) Children and Families
Act 2014, Regs 29-30): no longer necessary (the special educational provision is no longer
needed, s45(1)(b), (2)); the council no longer responsible for the child or young person
(s45(1)(a)), and as its own code, a young person who started higher education; a young person
of 18 or over who left education and, a review found, does not wish to return (Reg 30)."""
CeasingDecision = Literal["cease", "keep"]
"""After consulting: cease the plan, or keep it (not cease)."""
AppealOutcome = Literal["upheld", "dismissed"]
"""The Tribunal's decision on an appeal against ceasing: upheld, the plan continues."""


class CeasingStep(DomainEvent):
    """What every step of ceasing a plan (s45, Regs 29-31) carries. Ids, codes and dates."""

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    cessation_id: UUID = Field(description="This proposal to cease the plan")


class PlanCeasingProposed(CeasingStep):
    """The council is considering ceasing the plan: it informs the family and asks them and the
    school named in the plan for their views by ``views_by`` (Reg 31(1)). The family is told."""

    name: ClassVar[str] = "plan-ceasing-proposed"
    owner: ClassVar[str] = "referrals"

    reason: CeaseReason
    proposed_on: date
    views_by: date = Field(description="The day the family and the school are asked to reply by")
    review_id: UUID | None = Field(default=None, description="The review that proposed it, if any")


class PlanCeasingConsulted(CeasingStep):
    """The consultation recorded (Reg 31(1)(b)-(c)): whether the family and the school gave
    views (never the views themselves, which stay in referrals)."""

    name: ClassVar[str] = "plan-ceasing-consulted"
    owner: ClassVar[str] = "referrals"

    consulted_on: date
    family_views_given: bool
    school_views_given: bool


class PlanCeasingDecided(CeasingStep):
    """The decision after the consultation (Reg 31(2)): cease, with the right to appeal by
    ``appeal_by`` (Reg 31(3)), the plan kept until then or until an appeal is decided (s45(4));
    or keep the plan. The family is told; the named school and the health commissioning body
    are told of a decision to cease (``OthersNotified``)."""

    name: ClassVar[str] = "plan-ceasing-decided"
    owner: ClassVar[str] = "referrals"

    decision: CeasingDecision
    decided_on: date
    reason: CeaseReason
    appeal_by: date | None = Field(
        default=None,
        description="cease: 2 months from the decision, or 1 month from a mediation "
        "certificate if later",
    )


class CeasingAppealLodged(CeasingStep):
    """The family appealed the decision to cease: the plan is kept until the appeal is decided."""

    name: ClassVar[str] = "ceasing-appeal-lodged"
    owner: ClassVar[str] = "referrals"

    lodged_on: date


class CeasingAppealDecided(CeasingStep):
    """The Tribunal decided the appeal against ceasing: upheld, the plan continues; dismissed,
    it ceases (``PlanCeased`` follows)."""

    name: ClassVar[str] = "ceasing-appeal-decided"
    owner: ClassVar[str] = "referrals"

    outcome: AppealOutcome
    decided_on: date


class PlanCeased(CeasingStep):
    """The plan is no longer maintained: the time to appeal passed with no appeal, or the appeal
    was dismissed (s45(4)). No more annual reviews; SEN2's cease date and reason."""

    name: ClassVar[str] = "plan-ceased"
    owner: ClassVar[str] = "referrals"

    ceased_on: date
    reason: CeaseReason


# A plan that came from another council (Reg 15), and a re-assessment of a plan in force
# (Regs 24-27): ``referrals.live.transfer_in`` and ``referrals.live.reassessment``.
LivePlanDeadlineKind = Literal[
    "transfer_decision",
    "reassessment_decision",
    "reassessment_plan",
    "advice:parent",
    "advice:educational",
    "advice:medical",
    "advice:educational_psychology",
    "advice:social_care",
    "advice:teacher_of_the_deaf",
    "advice:teacher_of_vision_impaired",
    "advice:other",
    "advice:preparing_for_adulthood",
    "advice:asked_for_by_family",
]
"""The limits of a plan's transfer in and re-assessment: the family told within 6 weeks of
the transfer whether the new council will assess (Reg 15); the decision on a request for a
re-assessment within 15 days (Reg 24); after a decision to re-assess, the plan amended (or a
decision not to amend it) within 14 weeks of telling the family (Reg 27); and each adviser's
6 weeks in a re-assessment (``advice:<kind>``, Regs 8 and 25: the adviser's limit, not the
council's)."""
Requester = Literal["parent", "young_person", "school", "council"]
"""Who asked for a re-assessment (Reg 24(1)): the parent, the young person, the school or
college; or the council's own (``council``)."""


class PlanTransferredIn(DomainEvent):
    """An EHC plan transferred from another council when the child moved into this council's
    area (Reg 15): taken over as it is (its own ``LivePlanImported`` follows it). The family
    is told within 6 weeks (``decide_by``) whether the council will make a new EHC needs
    assessment; the plan is reviewed by ``review_due``. Codes and dates only."""

    name: ClassVar[str] = "plan-transferred-in"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the new council", examples=["E08000035"])
    transfer_id: UUID
    from_council: str = Field(description="ONS code of the old council", examples=["E08000036"])
    transferred_on: date = Field(description="The day the old council transferred the plan")
    decide_by: date = Field(description="6 weeks from the transfer (Reg 15)")
    review_due: date = Field(
        description="12 months from the plan's issue or last review, or 3 months from the "
        "transfer, whichever is later (Reg 15)"
    )


class TransferredPlanDecided(DomainEvent):
    """The family told that the plan was transferred and whether the new council will make a
    new EHC needs assessment (Reg 15). A re-assessment starts here when it will. The family
    is told."""

    name: ClassVar[str] = "transferred-plan-decided"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the new council", examples=["E08000035"])
    transfer_id: UUID
    from_council: str = Field(examples=["E08000036"])
    reassess: bool = Field(description="Whether the council will make a new assessment")
    told_on: date
    decide_by: date = Field(description="6 weeks from the transfer (Reg 15)")
    late: bool = Field(description="Told after decide_by")
    review_due: date
    reassessment_id: UUID | None = Field(default=None, description="reassess: the re-assessment")
    finalise_by: date | None = Field(
        default=None, description="reassess: 14 weeks from telling the family (Reg 27)"
    )


class ReassessmentStep(DomainEvent):
    """What every step of a re-assessment (Regs 24-27) carries. Ids, codes and dates."""

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    reassessment_id: UUID


class ReassessmentRequested(ReassessmentStep):
    """A re-assessment of the plan's needs was asked for (Reg 24(1)); the council decides
    within 15 days (``decide_by``)."""

    name: ClassVar[str] = "reassessment-requested"
    owner: ClassVar[str] = "referrals"

    requested_by: Requester
    requested_on: date
    decide_by: date = Field(description="15 days from the request (Reg 24)")


class ReassessmentDecided(ReassessmentStep):
    """The council decided whether to re-assess, and told the family (Reg 24). A refusal can
    be appealed to the SEND Tribunal (s51) by ``appeal_by``; a re-assessment ends in the plan
    amended or a decision not to amend it by ``finalise_by`` (Reg 27). The family is told."""

    name: ClassVar[str] = "reassessment-decided"
    owner: ClassVar[str] = "referrals"

    reassess: bool
    decided_on: date = Field(description="The day the family was told")
    decide_by: date
    late: bool = Field(description="After decide_by")
    finalise_by: date | None = Field(default=None, description="reassess: 14 weeks (Reg 27)")
    appeal_by: date | None = Field(default=None, description="refused: 2 months (s51)")


class ReassessmentConcluded(ReassessmentStep):
    """The re-assessment ended in the amended final plan or a decision not to amend the plan
    (Reg 27); either can be appealed (s51) by ``appeal_by``. The family is told."""

    name: ClassVar[str] = "reassessment-concluded"
    owner: ClassVar[str] = "referrals"

    outcome: Literal["plan_amended", "plan_not_amended"]
    concluded_on: date
    finalise_by: date
    late: bool = Field(description="After finalise_by")
    appeal_by: date = Field(description="2 months from the outcome")


class LivePlanDeadlineAtRisk(DomainEvent):
    """A limit of a transfer in or a re-assessment is near with its step not taken (warned
    once)."""

    name: ClassVar[str] = "live-plan-deadline-at-risk"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    process_id: UUID = Field(description="The transfer's or the re-assessment's id")
    deadline: LivePlanDeadlineKind
    due_on: date
    days_left: int


class LivePlanDeadlineMissed(DomainEvent):
    """A limit of a transfer in or a re-assessment passed with its step not taken (warned
    once)."""

    name: ClassVar[str] = "live-plan-deadline-missed"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    process_id: UUID = Field(description="The transfer's or the re-assessment's id")
    deadline: LivePlanDeadlineKind
    due_on: date


class ProvisionAsked(BaseModel):
    """A line of the plan's provision (section F, or G for health) that a specialist role
    delivers: what the plan asks of the practitioner allocated, and the line their sessions
    are recorded against. The support's type and quantities, never the child's name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(description="The line's id in the plan", examples=["provision-1"])
    section: Literal["F", "G"] = Field(description="F: educational, G: health provision")
    role: Specialism = Field(description="The specialist role that delivers it")
    support: str = Field(description="Type of support", examples=["a language programme"])
    sessions_per_week: float = Field(gt=0, description="How often; 0.5 = fortnightly")
    minutes_per_session: int = Field(gt=0)
    weeks: int = Field(gt=0, description="For how many weeks")
    group_size: int = Field(ge=1, description="1 for one-to-one")
    where: str = Field(examples=["in class", "a quiet room at school"])


class PlanDrafted(DomainEvent):
    name: ClassVar[str] = "plan-drafted"
    owner: ClassVar[str] = "plans"

    plan_id: UUID
    local_authority: str
    primary_need: Sen2Need
    area_of_need: str = Field(examples=["communication and interaction"])
    required_specialism: str = Field(examples=["speech_and_language_therapy"])
    postcode_district: str
    sections: list[str] = Field(description="EHC plan sections drafted", examples=[["B", "E", "F"]])
    provision_roles: list[Specialism] = Field(
        default_factory=list,
        description="The specialist roles the plan's provision needs (section F), lead role "
        "first; empty from older publishers, where required_specialism is the one role",
        examples=[["speech_and_language_therapy", "occupational_therapy"]],
    )
    provision: list[ProvisionAsked] = Field(
        default_factory=list,
        description="The provision lines a specialist role delivers (F, then G): what each "
        "allocated practitioner sees the plan asks of them; empty from older publishers",
    )
    track: Track = Field(default="support", description="The referral's track when drafted")
    secondary_needs: list[Sen2Need] = Field(default_factory=list)
    phase: Phase | None = None
    school_urn: str | None = Field(default=None, description="For matching close to the child")
    language: str = Field(default="en", description="For matching specialists who speak it")
    statutory_due: date | None = Field(
        default=None,
        description="EHC track: the date the final plan is due (20 weeks); orders the waitlist "
        "(nearest statutory deadline first)",
    )

    def roles(self) -> list[Specialism | str]:
        """The roles to match: the provision's, or the one required specialism of an older
        publisher."""
        return list(self.provision_roles) or [self.required_specialism]


PlanStatus = Literal[
    "draft",
    "needs_attention",
    "shared",
    "changes_requested",
    "agreed",
    "review_due",
    "issued_for_comment",
    "final",
    "amendments_proposed",
]
"""Where a plan stands. Support track: draft, shared (with the family), changes_requested or
agreed, review_due. EHC track: draft, issued_for_comment (the draft, 15+ days for comments),
final, review_due (the annual review), amendments_proposed (after a review, the amended plan
proposed to the family, 15+ days for comments, Reg 22), then final again once issued."""


class PlanStep(DomainEvent):
    """What every step of a plan's life carries: which plan, which version, on which track.
    Ids, codes and dates only: never the plan's words or the family's comments."""

    plan_id: UUID
    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    plan_version: int = Field(ge=1, description="The plan's version the step was about")
    track: Track = Field(examples=["support", "ehc"])


class PlanShared(PlanStep):
    """Support track: the plan was shared with the family, who can agree or ask for changes."""

    name: ClassVar[str] = "plan-shared"
    owner: ClassVar[str] = "plans"

    shared_on: date


class PlanCommentsReceived(PlanStep):
    """The family's response to a shared plan, or comments on a draft EHC plan (kept with
    the version they were about, in the plans database)."""

    name: ClassVar[str] = "plan-comments-received"
    owner: ClassVar[str] = "plans"

    received_on: date
    agreed: bool = Field(
        description="Support: the family agreed the plan; EHC: they have no more comments"
    )
    school_named: bool = Field(description="EHC: the family asked for a school to be named")
    taken_by: Literal["family", "caseworker"] = Field(
        description="family: through their link; caseworker: taken by phone or in person"
    )


class PlanAgreed(PlanStep):
    """Support track: the family agreed the plan; it is reviewed by ``review_due``."""

    name: ClassVar[str] = "plan-agreed"
    owner: ClassVar[str] = "plans"

    agreed_on: date
    review_due: date = Field(description="The earliest outcome's review date")


class PlanRevised(PlanStep):
    """A new version of the plan: edited, reviewed, the advice received added (section K),
    escalated to the EHC track, or the EHC plan drafted from the advice once the council
    decided to issue one."""

    name: ClassVar[str] = "plan-revised"
    owner: ClassVar[str] = "plans"

    reason: Literal["edited", "reviewed", "advice_received", "escalated", "ehc_plan_drafted"]
    sections: list[str] = Field(description="The sections that changed", examples=[["F"]])
    status: PlanStatus
    review_due: date | None = Field(default=None, description="Reviewed: the next review")


class PlanIssuedForComment(PlanStep):
    """EHC track: the draft plan was issued to the family, who may comment (and name a school)
    until ``comments_until`` (15 days or more, Reg 13(1)). Referrals records the statutory
    step (``DraftPlanIssued``) from it."""

    name: ClassVar[str] = "plan-issued-for-comment"
    owner: ClassVar[str] = "plans"

    issued_on: date
    comments_until: date
    final_plan_due: date | None = Field(default=None, description="The statutory date")


class PlanFinalised(PlanStep):
    """EHC track: the final plan was issued. Referrals records the statutory step
    (``FinalPlanIssued``) from it."""

    name: ClassVar[str] = "plan-finalised"
    owner: ClassVar[str] = "plans"

    finalised_on: date
    comments_closed_early: bool = Field(
        description="Finalised before comments_until: the family said they had no more comments"
    )
    final_plan_due: date | None = None
    late: bool = Field(description="After the statutory date (the reason is kept in plans)")
    review_due: date = Field(description="The annual review: within 12 months")


class PlanReviewDue(PlanStep):
    """The plan's review is due: the earliest outcome's review date (support), or 12 months
    after the final plan (EHC annual review)."""

    name: ClassVar[str] = "plan-review-due"
    owner: ClassVar[str] = "plans"

    review_due: date


class SpecialistAssigned(DomainEvent):
    name: ClassVar[str] = "specialist-assigned"
    owner: ClassVar[str] = "specialists"

    allocation_id: UUID
    specialist_id: UUID
    plan_id: UUID
    specialism: str
    local_authority: str
    same_district: bool = Field(
        description="True when the specialist works in the child's district"
    )
    display_name: str = Field(
        default="", description="The team or practitioner (no child data)", examples=["Leeds"]
    )
    from_waitlist: bool = Field(
        default=False, description="True when a place freed up for a child on the waitlist"
    )
    statutory: bool = Field(
        default=False,
        description="An EHC statutory advice-giver (an educational psychologist for every "
        "child, a qualified teacher of the deaf or of the visually impaired for HI, VI, MSI)",
    )
    told_in_match: bool = Field(
        default=False,
        description="The family hears of it in the plan's one SpecialistsMatched message "
        "(several roles matched at once), not in a message of its own",
    )
    team_email: str | None = Field(
        default=None,
        description="The registry entry's own address (a team's mailbox, never a family's): "
        "notifications tells the team there that a child was allocated to it",
        examples=["slt.north@leeds.example"],
    )


WaitReason = Literal["teams_full", "no_team"]
"""Why a child waits: every team of the kind serving the area is full, or no team of the kind
serves the area at all (a gap for the council to commission)."""


class ReferralWaitlisted(DomainEvent):
    name: ClassVar[str] = "referral-waitlisted"
    owner: ClassVar[str] = "specialists"

    plan_id: UUID
    specialism: str
    local_authority: str
    reason: WaitReason = Field(
        default="teams_full",
        description="teams_full: all teams of the kind are full; no_team: no team of the kind "
        "serves the child's area (a different message, and a gap flagged to the council)",
    )
    statutory_due: date | None = Field(
        default=None, description="EHC track: the final plan's date, which orders the waitlist"
    )
    told_in_match: bool = Field(
        default=False, description="As SpecialistAssigned's: told in the one plan message"
    )


class SpecialistsMatched(DomainEvent):
    """One plan's matching, when it needed several roles at once: the family gets one message
    listing who will help, instead of one per role. Each role's own SpecialistAssigned or
    ReferralWaitlisted (``told_in_match``) still reaches the timeline."""

    name: ClassVar[str] = "specialists-matched"
    owner: ClassVar[str] = "specialists"

    plan_id: UUID
    local_authority: str
    matched_roles: list[str] = Field(
        description="Roles allocated, lead first", examples=[["speech_and_language_therapy"]]
    )
    waiting_roles: list[str] = Field(
        default_factory=list, description="Roles whose teams are all full (waitlisted)"
    )
    no_team_roles: list[str] = Field(
        default_factory=list, description="Roles no team serves in the child's area"
    )


EndReason = Literal["support_completed", "family_declined", "child_moved"]


class AllocationEnded(DomainEvent):
    """An allocation ended: its place is free again, and offered to the waitlist at once."""

    name: ClassVar[str] = "allocation-ended"
    owner: ClassVar[str] = "specialists"

    allocation_id: UUID
    specialist_id: UUID
    specialism: str
    local_authority: str
    reason: EndReason


class AllocationAccepted(DomainEvent):
    """A practitioner of the entry a child was allocated to took the child on: the allocation
    is on their caseload now. On the timeline for the caseworker and the family."""

    name: ClassVar[str] = "allocation-accepted"
    owner: ClassVar[str] = "specialists"

    allocation_id: UUID
    specialist_id: UUID
    specialism: str
    local_authority: str
    accepted_on: date


class FirstSessionArranged(DomainEvent):
    """The specialist arranged the child's first session (or changed its date): the family
    and the caseworker see the date on the timeline, and the family is told."""

    name: ClassVar[str] = "first-session-arranged"
    owner: ClassVar[str] = "specialists"

    allocation_id: UUID
    specialist_id: UUID
    specialism: str
    local_authority: str
    session_on: date = Field(description="The day of the first session")
    rearranged: bool = Field(
        default=False, description="A date arranged before was changed to this one"
    )


class ReferralClosed(DomainEvent):
    """A caseworker closed a referral (support completed, the family declined it, the child
    moved away): its specialists' allocations end and it leaves the waitlist."""

    name: ClassVar[str] = "referral-closed"
    owner: ClassVar[str] = "referrals"

    local_authority: str
    reason: EndReason
    closed_on: date


HoldReason = Literal["already-referred", "child-details-differ"]
"""Why a partner's referral was held: the child has an open referral here, or the NHS number
is a known child's with another name or date of birth."""


class PartnerReferralHeld(DomainEvent):
    """An NHS partner referred a child the council may already know: the request is held for a
    caseworker to match (``GET /v1/held-referrals``), the partner answered as for any referral,
    the family told nothing. ``referral_id`` is the referral it may duplicate (the child's open
    one, else the known child's latest), so the council's SEND team is told on that referral."""

    name: ClassVar[str] = "partner-referral-held"
    owner: ClassVar[str] = "referrals"

    local_authority: str
    held_referral_id: UUID = Field(description="The held request (the id the partner was given)")
    partner: str = Field(examples=["west-yorkshire-slt"])
    reason: HoldReason
    differs: list[str] = Field(
        default_factory=list,
        description="Which of the child's details differ from the known child's (field names, "
        "never values)",
        examples=[["given_name", "date_of_birth"]],
    )


Audience = Literal["family", "caseworker", "adviser"]
"""Who a message went to: the family, the council's SEND team (its caseworker mailbox), or an
adviser asked for advice (their address in the council's messaging settings)."""


class NotificationSent(DomainEvent):
    """The provider took a message to the family: "message sent", not yet known to have
    arrived. A message to a team or an adviser is published only as delivered (no one acts on
    its sending)."""

    name: ClassVar[str] = "notification-sent"
    owner: ClassVar[str] = "notifications"

    notification_id: UUID
    channel: str = Field(examples=["email", "sms", "log"])
    template: str = Field(examples=["specialist-assigned"])
    about_event_id: UUID = Field(description="The event the family was told about")
    audience: Audience = Field(
        default="family",
        description="Who the message went to: the family, or the council's SEND team mailbox "
        "(caseworker messages such as deadline-at-risk tell the family nothing)",
    )


class NotificationDelivered(DomainEvent):
    """The provider confirmed the message reached the family (GOV.UK Notify's delivery
    receipt, or the council's mail server taking responsibility for it): "family notified"."""

    name: ClassVar[str] = "notification-delivered"
    owner: ClassVar[str] = "notifications"

    notification_id: UUID
    channel: str = Field(examples=["email", "sms", "letter"])
    template: str = Field(examples=["specialist-assigned"])
    about_event_id: UUID = Field(description="The event the family was told about")
    delivered_at: datetime
    audience: Audience = Field(
        default="family",
        description="Who the message went to: the family, or the council's SEND team mailbox "
        "(caseworker messages such as deadline-at-risk tell the family nothing)",
    )


class NotificationFailed(DomainEvent):
    """No channel could deliver the message; a caseworker should reach the family another way."""

    name: ClassVar[str] = "notification-failed"
    owner: ClassVar[str] = "notifications"

    notification_id: UUID
    status: str = Field(
        examples=["permanent-failure", "temporary-failure", "technical-failure"],
        description="The last channel's failure",
    )
    channels_tried: list[str] = Field(examples=[["sms", "email"]])
    template: str = Field(examples=["specialist-assigned"])
    about_event_id: UUID
    audience: Audience = Field(
        default="family",
        description="Who the message went to: the family, or the council's SEND team mailbox "
        "(caseworker messages such as deadline-at-risk tell the family nothing)",
    )


PARTNER_PLACEHOLDER = "{partner}"
PARTNER_ID = r"[A-Za-z0-9_-]{1,100}"
"""An NHS partner's client id as it may appear in a topic's name (``PARTNER_COUNCILS``' keys):
letters, digits, ``-`` and ``_``; no dot, so a partner's topic names one partner only."""


class PartnerEvent(DomainEvent):
    """An event addressed to one NHS partner. It goes on that partner's own topic,
    ``<owner>.<name>.<partner>.v<version>`` (``nhs.referrals.outcome.west-yorkshire-slt.v1``),
    which only that partner's Kafka user may read (the chart's ``strimzi.partners``), so no
    partner sees another's; ``python -m shared.topics`` makes one for each partner of
    ``PARTNER_COUNCILS``. ``topic()`` is the pattern, with ``{partner}`` in its place."""

    partner: str = Field(description="The partner's client id", examples=["west-yorkshire-slt"])

    @classmethod
    def topic(cls) -> str:
        return cls.topic_of(PARTNER_PLACEHOLDER)

    @classmethod
    def topic_of(cls, partner: str) -> str:
        """The topic of ``partner``'s events of this class."""
        return f"{cls.owner}.{cls.name}.{partner}.v{cls.version}"

    def destination(self) -> str:
        return self.topic_of(self.partner)


class PartnerReferralAnswered(PartnerEvent):
    """The answer to an NHS partner's referral, on the partner's own outcome topic
    (``nhs.referrals.outcome.<partner>.v1``), one per message
    the partner published, keyed by the partner's request identifier: ``resource`` is a FHIR
    R4 ``Task`` (accepted: our referral id and a link for the caseworker) or
    ``OperationOutcome`` (rejected: each issue with its FHIRPath and a reason). Field names and
    reasons only, never a value from the partner's bundle. An accepted referral's later
    milestones follow on the same key (progressed): the same Task, ``in-progress``, its
    ``businessStatus`` coding the milestone (plan-drafted, waitlisted, specialist-assigned)."""

    name: ClassVar[str] = "referrals.outcome"
    owner: ClassVar[str] = "nhs"  # the topics partners read: nhs.referrals.outcome.<partner>.v1

    referral_id: UUID = Field(
        description="Our referral id (the envelope's subject): the referral made, or for a "
        "rejection the one the request would have made. Not the Kafka key: answers are keyed "
        "by request_id"
    )
    request_id: str = Field(
        description="The partner's request identifier (the inbound message's Kafka key); the "
        "Kafka key of this answer too",
        examples=["RBA-SR-000123"],
    )
    outcome: Literal["accepted", "rejected", "progressed"] = Field(
        description="accepted or rejected: the answer to a message; progressed: a later "
        "milestone of an accepted referral (a Task status update)"
    )
    resource: dict[str, Any] = Field(
        description="The FHIR R4 Task (accepted) or OperationOutcome (rejected), as JSON",
        examples=[
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "error",
                        "code": "invalid",
                        "diagnostics": "not a valid NHS number (check digit)",
                        "expression": ["Patient.identifier[0].value"],
                    }
                ],
            }
        ],
    )

    def key(self) -> str:
        return self.request_id


class PartnerAdviceRequested(PartnerEvent):
    """A council asks an NHS partner for advice for an EHC needs assessment (Reg 6(1)(c):
    medical), on the partner's own topic (``nhs.advice.requested.<partner>.v1``), which only
    that partner may read: ``resource`` is a FHIR R4 ``Task`` (status requested) with what the
    partner needs to find the child and answer (the NHS number, name and date of birth, the
    request's reference, the day the advice is due: 6 weeks, Reg 8). The partner answers with
    a ``DocumentReference`` (the advice as a PDF, and optionally a structured summary) on its
    inbound topic, naming this Task's identifier."""

    name: ClassVar[str] = "advice.requested"
    owner: ClassVar[str] = "nhs"  # the topics partners read: nhs.advice.requested.<partner>.v1

    kind: str = Field(examples=["medical"])
    due_on: date = Field(description="6 weeks from being asked (Reg 8)")
    resource: dict[str, Any] = Field(description="The FHIR R4 Task, as JSON")


ALL_EVENTS: tuple[type[DomainEvent], ...] = tuple(_DECLARED)

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
"""The Kafka record's content type: a CloudEvent in structured mode."""

E = TypeVar("E", bound=DomainEvent)
D = TypeVar("D")


class Envelope(BaseModel, Generic[D]):
    """A CloudEvents 1.0 envelope (structured JSON mode) around one event's ``data``.

    ``Envelope[PlanDrafted]`` is the message as a consumer receives and AsyncAPI documents it;
    ``RawEnvelope`` reads any event's attributes without judging its data yet.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid4)
    type: str = Field(examples=["uk.send-platform.plans.plan-drafted.v1"])
    source: str = Field(examples=["/send-platform/plans"])
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str = Field(description="The referral id (also the Kafka key)")
    datacontenttype: Literal["application/json"] = "application/json"
    localauthority: str = Field(description="ONS code of the council", examples=["E08000035"])
    schemaversion: int = Field(description="Version of the data's schema")
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context of the work that caused the event (CloudEvents "
        "distributed tracing extension): a consumer continues the journey's trace from it",
    )
    tracestate: str | None = None
    data: D

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """``Envelope[PlanDrafted]`` is named ``PlanDraftedMessage`` in schemas and AsyncAPI."""
        return f"{getattr(params[0], '__name__', 'Raw')}Message"


@functools.cache
def message_class(event_class: type[E]) -> type[Envelope[E]]:
    """``Envelope[event_class]`` as a named class (``PlanDraftedMessage``): the message as a
    consumer receives it and as the AsyncAPI document names it."""
    named: type[Envelope[E]] = type(
        f"{event_class.__name__}Message",
        (Envelope[event_class],),  # type: ignore[valid-type]  # parametrised at run time
        {"__module__": __name__, "__doc__": f"{event_class.__name__} in its CloudEvents envelope."},
    )
    return named


class RawEnvelope(Envelope[dict[str, Any]]):
    """Any event's envelope, its data not yet read as a particular event."""


def wrap(
    event: E, *, source: str, local_authority: str, trace: dict[str, str] | None = None
) -> Envelope[E]:
    """Put an event in a new envelope (new id, time now), with the W3C ``trace`` context
    (``traceparent``, ``tracestate``) of the work that caused it."""
    # Parametrised with the event's own class, so ``data`` serialises with all its fields.
    model: Any = _envelope_of(type(event))
    envelope: Envelope[E] = model(
        type=event.event_type(),
        source=source,
        subject=str(event.referral_id),
        localauthority=local_authority,
        schemaversion=event.version,
        traceparent=(trace or {}).get("traceparent"),
        tracestate=(trace or {}).get("tracestate"),
        data=event,
    )
    return envelope


@functools.cache
def _envelope_of(event_class: type[DomainEvent]) -> Any:
    """``Envelope[event_class]``, the class pydantic keeps for it, looked up once: pydantic's
    own lookup takes about as long as filling the envelope's fields (issue #25)."""
    return Envelope.__class_getitem__(event_class)
