"""Referral rules: postcodes, the family's contact, the journey and its status, the timeline's
steps in a family's words. Pure: no I/O. Intake checks are in ``intake``, the statutory
process in ``statutory``.

(Longer than most modules: much of it is tables (the timeline's steps, the events that make
them, their words for families) beside the rules that read them.)
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from referrals.intake import address_line, is_mobile, nhs_number_digits, person_name, uk_phone
from referrals.statutory import Clock, Deadline, EhcRequest, deadline_dates
from shared.events import (
    AllocationAccepted,
    AllocationEnded,
    DomainEvent,
    FamilyContactRegistered,
    FirstSessionArranged,
    NotificationDelivered,
    NotificationSent,
    Phase,
    PlanAgreed,
    PlanCommentsReceived,
    PlanDrafted,
    PlanReviewDue,
    PlanRevised,
    PlanShared,
    ReferralAwaitingTriage,
    ReferralDescribed,
    ReferralReceived,
    ReferralTriaged,
    ReferralWaitlisted,
    Sen2Need,
    SpecialistAssigned,
    Track,
)

# The full UK format: an outward code (A9, A99, AA9, AA99, A9A, AA9A, with the letters each
# position may hold) and an inward code (a digit and two letters, never C, I, K, M, O or V);
# and GIR 0AA, the one postcode outside that format (Girobank's, still in use).
_OUTWARD = (
    r"[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"^(GIR)(0AA)$|^({_OUTWARD})({_INWARD})$")
POSTCODE_PATTERN = rf"^(GIR ?0AA|({_OUTWARD}) ?{_INWARD})$"
"""The normal form, as JSON Schema holds it: lower case and spacing are normalised before a
postcode is matched."""


def is_valid_nhs_number(value: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number (spaces or dashes allowed)."""
    try:
        nhs_number_digits(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Postcode:
    """A UK postcode, normalised (upper case, one space), read once."""

    district: str
    """The outward code (``LS6``): precise enough to match help close to home."""
    sector_and_unit: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """``ls62ab`` -> ``LS6 2AB``; raises ``ValueError`` for a non-UK postcode."""
        match = _POSTCODE.match("".join(text.split()).upper())
        if match is None:
            raise ValueError("not a UK postcode, e.g. LS6 2AB")
        outward, inward = (part for part in match.groups() if part is not None)
        return cls(outward, inward)

    def __str__(self) -> str:
        return f"{self.district} {self.sector_and_unit}"


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
    TEAM_ALERTED = "team_alerted"
    """A message reached the council's SEND team (a deadline at risk, a gap in the service,
    comments to read): for caseworkers only, the family was told nothing. Its detail is the
    message's name."""
    ALLOCATION_ENDED = "allocation_ended"
    """A specialist's allocation ended (support completed, family declined, child moved)."""
    ALLOCATION_ACCEPTED = "allocation_accepted"
    """A practitioner of the team allocated took the child on (their own caseload)."""
    FIRST_SESSION_ARRANGED = "first_session_arranged"
    """The specialist arranged the child's first session: its detail is the day (ISO)."""


MESSAGE_STEPS = frozenset(
    {
        Step.MESSAGE_SENT,
        Step.FAMILY_NOTIFIED,
        Step.TEAM_ALERTED,
        Step.ALLOCATION_ENDED,
        Step.ALLOCATION_ACCEPTED,
        Step.FIRST_SESSION_ARRANGED,
    }
)
"""Messages go at several steps, and each of several allocations may be accepted, have its
first session or end: they are on the timeline but do not move the status."""

_ORDER = list(Step)


class StatutoryStep(enum.StrEnum):
    """Steps of the statutory EHC process on the timeline (beside the journey's)."""

    EHC_REQUESTED = "ehc_assessment_requested"
    ASSESSMENT_DECIDED = "assessment_decided"
    ADVICE_REQUESTED = "advice_requested"
    ADVICE_RECEIVED = "advice_received"
    PLAN_ISSUE_DECIDED = "plan_issue_decided"
    DRAFT_PLAN_ISSUED = "draft_plan_issued"
    FINAL_PLAN_ISSUED = "final_plan_issued"
    EXCEPTION_RECORDED = "exception_recorded"
    ADVICE_EXCUSED = "advice_excused"
    """An adviser's 6 weeks did not apply (Reg 8(2)): its detail is the kind of advice."""
    EXISTING_ADVICE_AGREED = "existing_advice_agreed"
    """Advice given before used, as its giver, the council and the family agreed (Reg 6(4))."""
    FAMILY_ADVICE_ASKED = "family_advice_asked"
    """The family asked the council to seek advice (Reg 6(1)(h)): its detail is the council's
    decision, ``seek`` or ``refuse`` (not a reasonable request)."""
    SCHOOL_CONSULTED = "school_consulted"
    """A school asked whether it can be named in the plan (s39): its detail is the URN."""
    SCHOOL_CONSULTATION_ANSWERED = "school_consultation_answered"
    """The school consulted answered: its detail is the answer's code."""
    DEADLINE_AT_RISK = "deadline_at_risk"
    DEADLINE_MISSED = "deadline_missed"
    LIVE_PLAN_IMPORTED = "live_plan_imported"
    """A plan in force brought in from the council's earlier system (``referrals.live``)."""
    # The annual review (``referrals.live.annual_review``): its detail is the review's id, or
    # the deadline's kind for a warning.
    ANNUAL_REVIEW_OPENED = "annual_review_opened"
    ANNUAL_REVIEW_MEETING_ARRANGED = "annual_review_meeting_arranged"
    ANNUAL_REVIEW_INVITATIONS_SENT = "annual_review_invitations_sent"
    ANNUAL_REVIEW_MEETING_HELD = "annual_review_meeting_held"
    ANNUAL_REVIEW_REPORT_SENT = "annual_review_report_sent"
    ANNUAL_REVIEW_DECIDED = "annual_review_decided"
    AMENDMENTS_PROPOSED = "amendments_proposed"
    AMENDED_PLAN_ISSUED = "amended_plan_issued"
    REVIEW_DEADLINE_AT_RISK = "review_deadline_at_risk"
    REVIEW_DEADLINE_MISSED = "review_deadline_missed"
    # A plan transferred in (Reg 15) and a re-assessment (Regs 24-27): their detail is the
    # transfer's or re-assessment's id, or the deadline's kind for a warning.
    PLAN_TRANSFERRED_IN = "plan_transferred_in"
    TRANSFERRED_PLAN_DECIDED = "transferred_plan_decided"
    REASSESSMENT_REQUESTED = "reassessment_requested"
    REASSESSMENT_DECIDED = "reassessment_decided"
    REASSESSMENT_CONCLUDED = "reassessment_concluded"
    REASSESSMENT_ADVICE_REQUESTED = "reassessment_advice_requested"
    """Advice asked for in a re-assessment (Regs 6, 25): its detail is the kinds asked for."""
    REASSESSMENT_ADVICE_RECEIVED = "reassessment_advice_received"
    """Advice received in a re-assessment: its detail is the kind of advice."""
    LIVE_PLAN_DEADLINE_AT_RISK = "live_plan_deadline_at_risk"
    LIVE_PLAN_DEADLINE_MISSED = "live_plan_deadline_missed"
    # A phase transfer (``referrals.live.phase_transfer``, Reg 18): its detail is the kind
    # and the year (``primary_to_secondary 2027``).
    PHASE_TRANSFER_SET = "phase_transfer_set"
    PHASE_TRANSFER_AT_RISK = "phase_transfer_at_risk"
    PHASE_TRANSFER_MISSED = "phase_transfer_missed"
    OTHERS_NOTIFIED = "others_notified"
    """The school, health and social care (or, of the final plan, the named school and the
    health commissioning body) told of a step: its detail is whom (roles, the school's URN)."""
    MEDIATION_RECORDED = "mediation_recorded"
    """Mediation after a decision that can be appealed: its detail is ``asked`` or
    ``certificate`` (the appeal date then runs from the certificate, when later)."""
    # Ceasing the plan (``referrals.live.ceasing``, s45, Regs 29-31): its detail is the
    # cessation's id (the decision: ``cease`` or ``keep``; the appeal's: its outcome).
    CEASING_PROPOSED = "ceasing_proposed"
    CEASING_CONSULTED = "ceasing_consulted"
    CEASING_DECIDED = "ceasing_decided"
    CEASING_APPEAL_LODGED = "ceasing_appeal_lodged"
    CEASING_APPEAL_DECIDED = "ceasing_appeal_decided"
    PLAN_CEASED = "plan_ceased"


class PlanStep(enum.StrEnum):
    """Steps of the plan's life on the timeline (the plans service's events). An EHC plan's
    issue and finalisation are the statutory steps draft_plan_issued and final_plan_issued."""

    PLAN_SHARED = "plan_shared"
    PLAN_COMMENTS_RECEIVED = "plan_comments_received"
    PLAN_AGREED = "plan_agreed"
    PLAN_REVISED = "plan_revised"
    PLAN_REVIEW_DUE = "plan_review_due"


class ContactStep(enum.StrEnum):
    """Steps about who the council deals with, on the timeline: a request made on the public
    form confirmed by its contact (detail: ``link`` or ``phone``), and a representative
    recorded for a young person who lacks mental capacity (s80)."""

    CONTACT_CONFIRMED = "contact_confirmed"
    REPRESENTATIVE_RECORDED = "representative_recorded"


TimelineStep = Step | StatutoryStep | PlanStep | ContactStep


def timeline_step(value: str) -> TimelineStep:
    if value in Step.__members__.values():
        return Step(value)
    if value in PlanStep.__members__.values():
        return PlanStep(value)
    if value in ContactStep.__members__.values():
        return ContactStep(value)
    return StatutoryStep(value)


# Which downstream event records which step, and which service took it.
STEP_OF_EVENT: dict[type[DomainEvent], tuple[TimelineStep, str]] = {
    PlanDrafted: (Step.PLAN_DRAFTED, "plans"),
    ReferralWaitlisted: (Step.WAITLISTED, "specialists"),
    SpecialistAssigned: (Step.SPECIALIST_ASSIGNED, "specialists"),
    AllocationEnded: (Step.ALLOCATION_ENDED, "specialists"),
    AllocationAccepted: (Step.ALLOCATION_ACCEPTED, "specialists"),
    FirstSessionArranged: (Step.FIRST_SESSION_ARRANGED, "specialists"),
    NotificationSent: (Step.MESSAGE_SENT, "notifications"),
    NotificationDelivered: (Step.FAMILY_NOTIFIED, "notifications"),
    PlanShared: (PlanStep.PLAN_SHARED, "plans"),
    PlanCommentsReceived: (PlanStep.PLAN_COMMENTS_RECEIVED, "plans"),
    PlanAgreed: (PlanStep.PLAN_AGREED, "plans"),
    PlanRevised: (PlanStep.PLAN_REVISED, "plans"),
    PlanReviewDue: (PlanStep.PLAN_REVIEW_DUE, "plans"),
}


# How each step reads to a family: what happened, in plain words, and what comes next.
FAMILY_WORDS: dict[str, str] = {
    Step.RECEIVED: "We received the request for support",
    Step.PLAN_DRAFTED: "A support plan was drafted for your child",
    Step.WAITLISTED: "Your child is on the waiting list for a specialist",
    Step.SPECIALIST_ASSIGNED: "A specialist was matched to support your child",
    Step.MESSAGE_SENT: "We sent you a message about this",
    Step.FAMILY_NOTIFIED: "Our message reached you",
    Step.ALLOCATION_ENDED: "A specialist's support came to an end",
    Step.ALLOCATION_ACCEPTED: "A specialist took on your child's support",
    Step.FIRST_SESSION_ARRANGED: "A specialist arranged the first session",
    StatutoryStep.EHC_REQUESTED: "We received the request for an EHC needs assessment",
    StatutoryStep.ASSESSMENT_DECIDED: "We decided whether to carry out an EHC needs assessment",
    StatutoryStep.ADVICE_REQUESTED: "We asked professionals for their advice",
    StatutoryStep.ADVICE_RECEIVED: "A professional sent us their advice",
    StatutoryStep.ADVICE_EXCUSED: (
        "Something happened that the law allows for when advice cannot be given in 6 weeks"
    ),
    StatutoryStep.EXISTING_ADVICE_AGREED: (
        "We agreed with you to use advice given before, instead of asking for it again"
    ),
    StatutoryStep.FAMILY_ADVICE_ASKED: "You asked us to seek advice from someone",
    StatutoryStep.PLAN_ISSUE_DECIDED: "We decided whether to issue an EHC plan",
    StatutoryStep.DRAFT_PLAN_ISSUED: "We sent you the draft EHC plan for your comments",
    StatutoryStep.FINAL_PLAN_ISSUED: "We issued the final EHC plan",
    StatutoryStep.SCHOOL_CONSULTED: "We asked a school whether it can meet your child's needs",
    StatutoryStep.SCHOOL_CONSULTATION_ANSWERED: "The school we asked sent its answer",
    # An exception excuses a time limit; it never extends one or sets new dates (Regs 5(4),
    # 10(4), 13(3)): a family is never told a limit was "extended".
    StatutoryStep.EXCEPTION_RECORDED: (
        "Something happened that the law allows for when a time limit cannot be met"
    ),
    StatutoryStep.DEADLINE_MISSED: "We did not meet a legal time limit; we are sorry",
    StatutoryStep.MEDIATION_RECORDED: "We recorded mediation (the date to appeal by takes "
    "account of the mediation certificate)",
    # A plan's life after it is final (#22: Regs 18-22)
    StatutoryStep.LIVE_PLAN_IMPORTED: "We moved your child's EHC plan into this service",
    StatutoryStep.ANNUAL_REVIEW_OPENED: "We started this year's review of the EHC plan",
    StatutoryStep.ANNUAL_REVIEW_MEETING_ARRANGED: "We arranged the annual review meeting",
    StatutoryStep.ANNUAL_REVIEW_INVITATIONS_SENT: "We invited you to the annual review meeting",
    StatutoryStep.ANNUAL_REVIEW_MEETING_HELD: "The annual review meeting took place",
    StatutoryStep.ANNUAL_REVIEW_REPORT_SENT: "We sent the report of the annual review meeting",
    StatutoryStep.ANNUAL_REVIEW_DECIDED: "We told you what we decided after the annual review",
    StatutoryStep.AMENDMENTS_PROPOSED: "We sent you the changes we propose to the EHC plan",
    StatutoryStep.AMENDED_PLAN_ISSUED: "We issued the amended EHC plan",
    StatutoryStep.REVIEW_DEADLINE_MISSED: (
        "We did not meet a time limit of the annual review; we are sorry"
    ),
    # Ceasing the plan (s45, Regs 29-31): what the law has the council tell the family.
    StatutoryStep.CEASING_PROPOSED: "We told you we are considering ceasing the EHC plan, "
    "and asked for your views",
    StatutoryStep.CEASING_CONSULTED: "We recorded the views we asked for about ceasing the "
    "EHC plan",
    StatutoryStep.CEASING_DECIDED: "We told you our decision whether to cease the EHC plan",
    StatutoryStep.CEASING_APPEAL_LODGED: "We recorded your appeal: we keep the EHC plan until "
    "the Tribunal decides it",
    StatutoryStep.CEASING_APPEAL_DECIDED: "We recorded the Tribunal's decision on your appeal",
    StatutoryStep.PLAN_CEASED: "The EHC plan ceased: we no longer maintain it",
    # A plan from another council (Reg 15) and a re-assessment (Regs 24-27)
    StatutoryStep.PLAN_TRANSFERRED_IN: "We took over the EHC plan from your previous council",
    StatutoryStep.TRANSFERRED_PLAN_DECIDED: (
        "We told you whether we will carry out a new EHC needs assessment"
    ),
    StatutoryStep.REASSESSMENT_REQUESTED: "We received a request for a re-assessment",
    StatutoryStep.REASSESSMENT_DECIDED: "We told you whether we will carry out a re-assessment",
    StatutoryStep.REASSESSMENT_CONCLUDED: (
        "We told you the outcome of the re-assessment: the amended EHC plan, or our decision "
        "not to amend it"
    ),
    StatutoryStep.REASSESSMENT_ADVICE_REQUESTED: (
        "We asked professionals for their advice for the re-assessment"
    ),
    StatutoryStep.REASSESSMENT_ADVICE_RECEIVED: (
        "A professional sent us their advice for the re-assessment"
    ),
    StatutoryStep.LIVE_PLAN_DEADLINE_MISSED: "We did not meet a legal time limit; we are sorry",
    StatutoryStep.PHASE_TRANSFER_MISSED: (
        "We did not issue the amended EHC plan naming your child's next school or college "
        "by the date the law sets for a move to the next phase; we are sorry"
    ),
    PlanStep.PLAN_SHARED: "We shared your child's support plan with you",
    PlanStep.PLAN_COMMENTS_RECEIVED: "We received your comments on the plan",
    PlanStep.PLAN_AGREED: "You agreed the support plan",
    PlanStep.PLAN_REVISED: "The plan was updated",
    PlanStep.PLAN_REVIEW_DUE: "It is time to review the plan",
    ContactStep.CONTACT_CONFIRMED: "The request was confirmed",
    ContactStep.REPRESENTATIVE_RECORDED: "A representative now acts for the young person",
}
# Internal warnings a family is not shown (the step that follows, or its miss, is), and the
# messages sent to them: a message is how they hear of a step, not a step (#18).
HIDDEN_FROM_FAMILY = frozenset(
    {
        StatutoryStep.DEADLINE_AT_RISK,
        StatutoryStep.REVIEW_DEADLINE_AT_RISK,
        StatutoryStep.LIVE_PLAN_DEADLINE_AT_RISK,
        StatutoryStep.PHASE_TRANSFER_AT_RISK,
        StatutoryStep.PHASE_TRANSFER_SET,  # the council's working out; the amended plan says it
        Step.TEAM_ALERTED,
        Step.MESSAGE_SENT,
        Step.FAMILY_NOTIFIED,
        StatutoryStep.OTHERS_NOTIFIED,  # the council's business with others, never the family's
    }
)
EHC_NEXT: dict[str, str] = {
    "assessment_requested": "We will tell you within 6 weeks whether we will assess.",
    "assessing": "We are gathering advice and will tell you whether we will issue a plan.",
    "assessment_refused": "Your letter explains why, and your right to mediation and appeal.",
    "plan_to_be_issued": "We are writing the draft EHC plan and will send it to you.",
    "plan_not_issued": "Your letter explains why, and your right to mediation and appeal.",
    "draft_plan_issued": "Please send us your comments on the draft plan by the date given.",
    "final_plan_issued": "The plan is in place; it will be reviewed at least every 12 months.",
}
NO_LETTER_NEXT: dict[str, str] = {
    "assessment_refused": "Our message told you why, and your right to mediation and appeal.",
    "plan_not_issued": "Our message told you why, and your right to mediation and appeal.",
}
"""What comes next after a decision whose letter the family cannot open (one recorded before
letters were written): never "your letter explains why" without a letter to link to."""


def ehc_next(stage: str, letter_kinds: set[str]) -> str:
    """What comes next on the EHC track; "your letter explains why" only when the letter of
    that decision exists (its kind is the stage's name), and the family's page links to it."""
    if stage in NO_LETTER_NEXT and stage not in letter_kinds:
        return NO_LETTER_NEXT[stage]
    return EHC_NEXT[stage]


WHAT_NEXT: dict[Step, str] = {
    Step.RECEIVED: "We are drafting a support plan and looking for a specialist near you.",
    Step.PLAN_DRAFTED: "We are looking for a specialist near you.",
    Step.WAITLISTED: "We will tell you as soon as a place with a specialist frees up.",
    Step.SPECIALIST_ASSIGNED: "The specialist will contact you to arrange a first session.",
    Step.MESSAGE_SENT: "The specialist will contact you to arrange a first session.",
    Step.FAMILY_NOTIFIED: "The specialist will contact you to arrange a first session.",
}


MISSED_WORDS: dict[str, str] = {
    "draft_plan": "We did not send the draft EHC plan by our own target date; we are sorry",
    "issue_decision": (
        "We did not decide whether to issue an EHC plan by our own target date; we are sorry"
    ),
    "advice": "A professional's advice did not come within the 6 weeks the law gives them",
}
"""A missed deadline that is not the council's legal time limit, by kind (the detail): only
the 6-week decision, the 16-week notice not to issue and the 20-week final plan bind the
council; the draft's and the issue decision's dates are its targets, and 6 weeks for advice
bind the adviser (Reg 8)."""


FAMILY_ADVICE_WORDS: dict[str, str] = {
    "seek": "You asked us to seek advice from someone. The law says we must seek advice you "
    "reasonably ask for, so we will seek it before we decide whether to issue an EHC plan",
    "refuse": "You asked us to seek advice from someone. We decided it was not a reasonable "
    "request, so we will not seek it",
}
"""The family's ask for advice (Reg 6(1)(h): advice from anyone the parent or young person
reasonably asks the council to seek it from), by the council's decision (the detail)."""


def family_words(step: str, detail: str | None) -> str:
    """A timeline step in a family's words; the first session's with its day; a missed
    deadline as the law's time limit or the council's own target (``MISSED_WORDS``)."""
    words = FAMILY_WORDS[step]
    if step == Step.FIRST_SESSION_ARRANGED and detail:
        return f"{words}, on {_long_date(date.fromisoformat(detail))}"
    if step == StatutoryStep.FAMILY_ADVICE_ASKED and detail in FAMILY_ADVICE_WORDS:
        return FAMILY_ADVICE_WORDS[detail]
    if step in (StatutoryStep.DEADLINE_MISSED, StatutoryStep.LIVE_PLAN_DEADLINE_MISSED) and detail:
        return MISSED_WORDS.get(detail.partition(":")[0], words)
    return words


def family_next(status: Step, first_session_on: str | None) -> str:
    """What comes next on the support track: the first session's day once arranged (the
    latest arranged), else the journey's words for the status."""
    if first_session_on and status in FIRST_SESSION_NEXT:
        day = _long_date(date.fromisoformat(first_session_on))
        return f"Your child's first session with the specialist is on {day}."
    return WHAT_NEXT[status]


AWAITING_TRIAGE = (
    "A caseworker will read the request and decide what support your child needs. Then we "
    "will draft a support plan and look for a specialist near you."
)
"""What comes next for an NHS partner's referral waiting for triage (#23): as its first
message says (notifications' request-received-triage)."""

FIRST_SESSION_NEXT = frozenset({Step.SPECIALIST_ASSIGNED, Step.MESSAGE_SENT, Step.FAMILY_NOTIFIED})
"""Statuses whose next step is the first session."""


def _long_date(day: date) -> str:
    """GOV.UK style: 8 March 2027."""
    return f"{day.day} {day:%B %Y}"


def reference(referral_id: UUID) -> str:
    """The short reference families see in messages and on the family view."""
    return str(referral_id)[:8].upper()


def status_after(steps: list[Step]) -> Step:
    """A referral's status is the furthest step it has reached, whatever order events came in
    (messages to the family aside)."""
    journey = [s for s in steps if s not in MESSAGE_STEPS]
    return max(journey, key=_ORDER.index, default=Step.RECEIVED)


class PostalAddress(BaseModel):
    """Where letters reach the family (GOV.UK Notify prints and posts them): 2 to 6 lines and
    a UK postcode, which goes last (Notify takes 3 to 7 lines). Personal data, like the rest
    of the contact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lines: list[str] = Field(
        min_length=2,
        max_length=6,
        description="The address without its postcode: the house and street, then the town "
        "(and, between, the flat, locality... as the family writes them)",
        examples=[["12 Otley Road", "Leeds"]],
    )
    postcode: str = Field(
        max_length=10,
        description="A UK postcode, normalised (LS6 2AB)",
        examples=["LS6 2AB"],
    )

    @field_validator("lines")
    @classmethod
    def _lines(cls, value: list[str]) -> list[str]:
        return [address_line(line) for line in value]

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str) -> str:
        return str(Postcode.parse(value))

    def as_lines(self) -> list[str]:
        """As a letter carries it (and Notify takes it): the lines, the postcode last."""
        return [*self.lines, self.postcode]


class FamilyContact(BaseModel):
    """Who to tell about the referral, and how. Personal data: it travels only to
    notifications, on its own topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20, examples=["07700 900123"])
    address: PostalAddress | None = Field(
        default=None, description="For letters: needed when the preferred channel is letter"
    )
    preferred_channel: Literal["email", "sms", "letter"] = "email"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return person_name(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else uk_phone(value)

    @model_validator(mode="after")
    def _reachable(self) -> FamilyContact:
        wanted: object = {"email": self.email, "sms": self.phone, "letter": self.address}[
            self.preferred_channel
        ]
        if wanted is None:
            needed = "address" if self.preferred_channel == "letter" else self.preferred_channel
            raise ValueError(f"{needed}: needed for the preferred channel")
        if self.preferred_channel == "sms" and self.phone and not is_mobile(self.phone):
            raise ValueError("sms: a text message needs a UK mobile number (07... or +447...)")
        return self


PROFESSIONALS = frozenset({"health", "social_care"})
"""Who brings a child to the council's attention (s24) but cannot request an EHC needs
assessment: only a parent, a young person or a school or college may (s36(1))."""


@dataclass(frozen=True)
class NewReferral:
    """What a council, school, parent or NHS partner sends in, already shape-checked."""

    referral_id: UUID
    local_authority: str
    received_on: date
    requested_by: str
    primary_need: Sen2Need | None
    """None: an NHS partner's referral that waits for a caseworker's triage."""
    postcode: Postcode
    contact: FamilyContact
    track: Track = "support"
    secondary_needs: tuple[Sen2Need, ...] = ()
    date_of_birth: date | None = None
    school_urn: str | None = None
    language: str = "en"
    strengths: str | None = None
    difficulties: str | None = None
    views: str | None = None
    assessment_suggested: bool = False
    """A professional asked for an EHC needs assessment (s24): the council decides whether to
    treat it as a request (``PROFESSIONALS``); until then the referral is for support."""

    @property
    def described(self) -> bool:
        return any((self.strengths, self.difficulties, self.views))


def age_on(born: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def phase_of(born: date, day: date) -> Phase:
    """The phase of education a child born on ``born`` is in on ``day``, by the English school
    year: their age on the 31 August that began it. Under 5 then (nursery, reception): early
    years; 5 to 10 (years 1-6): primary; 11 to 15 (years 7-11): secondary; 16 and over: post-16.
    """
    year_began = day.year if (day.month, day.day) >= (9, 1) else day.year - 1
    age = age_on(born, date(year_began, 8, 31))
    if age < 5:
        return "early_years"
    if age < 11:
        return "primary"
    if age < 16:
        return "secondary"
    return "post_16"


def ehc_request_of(referral: NewReferral) -> EhcRequest | None:
    """The EHC needs assessment request a referral on the EHC track is (None on the support
    track): its clock starts the day the council received it."""
    if referral.track != "ehc":
        return None
    return EhcRequest(
        referral_id=referral.referral_id,
        local_authority=referral.local_authority,
        requested_on=referral.received_on,
        requested_by=referral.requested_by,
        escalated=False,
    )


def receive(
    referral: NewReferral,
    request: EhcRequest | None = None,
    suggested: Sequence[Sen2Need] = (),
) -> list[DomainEvent]:
    """The events a new referral causes: one for everyone, one only for notifications (the
    contact), one only for plans (the referrer's words) when the referrer gave them, and the
    EHC request's start when it is one (``request``: ``ehc_request_of(referral)``, whose clock
    is counted once for all of them). A partner's referral without a need waits for triage
    (``ReferralAwaitingTriage``, with the needs the council's table ``suggested``) instead of
    ``ReferralReceived``."""
    dates = request.clock if request is not None else deadline_dates(referral.received_on)
    contact = contact_registered(referral.referral_id, referral.contact)
    if referral.primary_need is None:  # a partner's, without a need: waits for triage
        waiting = ReferralAwaitingTriage(
            referral_id=referral.referral_id,
            local_authority=referral.local_authority,
            received_on=referral.received_on,
            requested_by=referral.requested_by,
            track=referral.track,
            decision_due=dates[Deadline.DECISION][0],
            final_plan_due=dates[Deadline.FINAL_PLAN][0],
            suggested_needs=list(suggested),
        )
        return [waiting, contact, *([request.started()] if request is not None else [])]
    received = received_event(referral, dates, referral.primary_need)
    events: list[DomainEvent] = [received, contact]
    if referral.described:
        events.append(
            ReferralDescribed(
                referral_id=referral.referral_id,
                strengths=referral.strengths,
                difficulties=referral.difficulties,
                views=referral.views,
            )
        )
    if request is not None:
        events.append(request.started())
    return events


def received_event(
    referral: NewReferral, dates: Clock, need: Sen2Need, triaged_on: date | None = None
) -> ReferralReceived:
    """What everyone is told of a referral with its need: ``ReferralReceived`` as it comes, or
    ``ReferralTriaged`` (the same facts) when a caseworker set the need later, on
    ``triaged_on``."""
    born = referral.date_of_birth
    received = ReferralReceived(
        referral_id=referral.referral_id,
        local_authority=referral.local_authority,
        received_on=referral.received_on,
        primary_need=need,
        requested_by=referral.requested_by,
        postcode_district=referral.postcode.district,
        decision_due=dates[Deadline.DECISION][0],
        final_plan_due=dates[Deadline.FINAL_PLAN][0],
        track=referral.track,
        secondary_needs=list(referral.secondary_needs),
        phase=None if born is None else phase_of(born, referral.received_on),
        age_years=None if born is None else age_on(born, referral.received_on),
        school_urn=referral.school_urn,
        language=referral.language,
        described=referral.described,
    )
    if triaged_on is None:
        return received
    return ReferralTriaged(**received.model_dump(), triaged_on=triaged_on)


def contact_registered(
    referral_id: UUID, contact: FamilyContact, *, representative: bool = False
) -> FamilyContactRegistered:
    """The contact, for notifications alone (its own topic): the family's, the young
    person's, or a representative's (``representative``: messages then speak of the young
    person)."""
    return FamilyContactRegistered(
        referral_id=referral_id,
        contact_name=contact.name,
        email=contact.email,
        phone=contact.phone,
        preferred_channel=contact.preferred_channel,
        address_lines=contact.address.as_lines() if contact.address else [],
        representative=representative,
    )
