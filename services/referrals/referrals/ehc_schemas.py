"""Request and response bodies of the statutory EHC steps, the caseload and the reports.

(Longer than most modules: one body per statutory step, each with the 422 rules and
OpenAPI examples a caseworker's client relies on; they are read together as the steps' API.)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from referrals.caseload_query import DeadlineState
from referrals.intake import safe_text
from referrals.statutory import (
    AdviceExcuse,
    AdviceKind,
    ExceptionKind,
    NotIssueReason,
    RefusalReason,
    Stage,
)
from shared.events import Track

Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(safe_text),
]
"""A caseworker's words: any script, several lines, no control or formatting characters."""
Requester = Literal["parent", "young_person", "school", "health", "social_care"]


def _one_line_words(text: str) -> str:
    return safe_text(text.strip(), multiline=False)


# The examples are one request's steps, each valid after the one before for the example request
# (received 2026-10-01): the OpenAPI document's, which the fuzz test sends as they are.


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Escalation(_Body):
    """A support request becomes an EHC needs assessment request: the clock starts on the day
    the council received that request."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"requested_on": "2026-10-02", "requested_by": "school"}]}
    )

    requested_on: date | None = Field(default=None, description="Today if left out")
    requested_by: Requester


class SuggestionDecision(_Body):
    """Whether the council treats a professional's ask for an EHC needs assessment (s24) as a
    request: the clock then starts on the day it received the referral."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"decision": "treat_as_request"}]})

    decision: Literal["treat_as_request", "keep_as_support"]


class AssessmentDecision(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "assess", "decided_on": "2026-10-20"}]}
    )

    decision: Literal["assess", "refuse"]
    decided_on: date
    reason: RefusalReason | None = Field(default=None, description="Needed for a refusal")
    note: Note | None = Field(
        default=None, description="The caseworker's explanation for the family's letter (kept "
        "here, never put in events)",
    )  # fmt: skip


class Mediation(_Body):
    """Mediation after a decision that can be appealed: either date, or both, as they come."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"mediation_asked_on": "2027-01-04", "mediation_certificate_on": "2027-01-20"}
            ]
        }
    )

    mediation_asked_on: date | None = Field(
        default=None, description="The day the family contacted a mediation adviser"
    )
    mediation_certificate_on: date | None = Field(
        default=None,
        description="The day the mediation adviser issued the certificate: the family may "
        "appeal until 1 month after it, if that is later than 2 months from the decision",
    )


class AdviceRequest(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kinds": [
                        "parent",
                        "educational",
                        "educational_psychology",
                        "medical",
                        "social_care",
                    ],
                    "requested_on": "2026-10-21",
                }
            ]
        }
    )

    kinds: list[AdviceKind] = Field(
        min_length=1,
        max_length=len(AdviceKind),
        description="Before the decision whether to issue a plan (Reg 6(1)): the family's "
        "(parent), the head teacher's or principal's (educational), medical, an educational "
        "psychologist's and social care advice for every child; from Year 9 "
        "preparing_for_adulthood; a teacher of the deaf or of the vision impaired for hearing "
        "or vision impairment (HI, VI or MSI, as the primary need or another); "
        "asked_for_by_family when the family reasonably asks for advice",
        examples=[["parent", "educational", "educational_psychology", "medical", "social_care"]],
    )
    requested_on: date
    advisers_received_on: date | None = Field(
        default=None,
        description="The day the advisers received the request, when later than requested_on "
        "(a letter): their 6 weeks run from it (Reg 8(1)); requested_on if left out",
    )

    @field_validator("kinds")
    @classmethod
    def _once_each(cls, kinds: list[AdviceKind]) -> list[AdviceKind]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("name each kind of advice once")
        return kinds


class ExistingAdvice(_Body):
    """Advice given before, used instead of seeking it afresh (Reg 6(4)): kinds (b) to (h),
    when the person who gave it, the council (the caseworker recording it) and the family
    agree."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "medical",
                    "description": "Community paediatrician's report after the annual check",
                    "advice_dated": "2026-09-15",
                    "given_by": "Dr A Example, community paediatrics",
                    "giver_agreed": True,
                    "family_agreed_by": "parent",
                    "agreed_on": "2026-10-21",
                }
            ]
        }
    )

    kind: AdviceKind = Field(description="Any kind but the family's own (parent)")
    description: Note = Field(description="What the advice is (kept here, never in events)")
    advice_dated: date = Field(description="The date the advice was given")
    given_by: Annotated[str, AfterValidator(_one_line_words)] = Field(
        min_length=1, max_length=200, description="Who gave it (they agreed to its use)"
    )
    giver_agreed: Literal[True] = Field(description="The person who gave it agreed")
    family_agreed_by: Literal["parent", "young_person", "representative"] = Field(
        description="Who agreed for the family"
    )
    agreed_on: date = Field(description="The day the last of the three agreed")


class FamilyAdviceAsk(_Body):
    """The parent or young person asked the council to seek advice from someone (Reg
    6(1)(h)): what, from whom and when, and the council's decision: ``seek`` it (advice of
    kind ``asked_for_by_family`` must then be sought before the decision whether to issue a
    plan), or ``refuse`` it as not a reasonable request, with the reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asked_on": "2026-10-21",
                    "advice": "A report from the occupational therapist who saw the child",
                    "asked_of": "Community occupational therapy",
                    "decision": "seek",
                }
            ]
        }
    )

    asked_on: date = Field(description="The day the family asked")
    advice: Note = Field(description="What advice they asked for (kept here, never in events)")
    asked_of: Annotated[str, AfterValidator(_one_line_words)] = Field(
        min_length=1, max_length=200, description="Whom they asked the council to seek it from"
    )
    decision: Literal["seek", "refuse"] = Field(
        description="seek it, or refuse it as not a reasonable request (with the reason)"
    )
    reason: Note | None = Field(
        default=None, description="Why the request is not reasonable: needed for a refusal"
    )


class AdviceExcused(_Body):
    """The adviser's 6 weeks do not apply (Reg 8(2)): it sets no new date."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"because": "missed_appointment", "reason": "Appointment on 3 Nov missed"}]
        }
    )

    because: AdviceExcuse
    reason: Note = Field(description="What happened, for the file (kept here, never in events)")


class AdviceReceipt(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"received_on": "2026-10-28"}]})

    received_on: date


class PlanDecision(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "issue", "decided_on": "2026-11-02"}]}
    )

    decision: Literal["issue", "not_issue"]
    decided_on: date
    reason: NotIssueReason | None = Field(default=None, description="Needed when not issuing")
    note: Note | None = None


LONGEST_COMMENT_DAYS = 56
"""A family has at least 15 days to comment on a draft (Reg 13(1)); a caseworker may give more,
up to 8 weeks (the final plan is due by week 20)."""


class DraftPlan(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"issued_on": "2026-11-03", "comments_due": "2026-11-18"}]}
    )

    issued_on: date
    comments_due: date | None = Field(
        default=None,
        description="15 days after issued_on if left out; never fewer, and at most 8 weeks",
    )

    @field_validator("comments_due")
    @classmethod
    def _within_8_weeks(cls, value: date | None, info: ValidationInfo) -> date | None:
        issued_on = info.data.get("issued_on")
        # A difference of days, never issued_on + 8 weeks: that overflows for a far date.
        if value and issued_on and (value - issued_on).days > LONGEST_COMMENT_DAYS:
            raise ValueError("at most 8 weeks after the draft was issued")
        return value


class FinalPlan(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"issued_on": "2026-11-18", "named_school_urn": "107958"}]}
    )

    issued_on: date
    named_school_urn: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="The school or college the plan names (section I), by its URN: it is sent "
        "the plan (Reg 13(2)); left out, the child's school taken at intake",
    )


class ExceptionRecord(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "personal_circumstances",
                    "starts_on": "2026-10-05",
                    "ends_on": "2026-10-09",
                    "reason": "Family bereavement",
                }
            ]
        }
    )

    kind: ExceptionKind
    starts_on: date
    ends_on: date
    reason: Note = Field(description="What happened, for the file (kept here, never in events)")


class DeadlineView(BaseModel):
    kind: str = Field(examples=["decision", "final_plan", "advice:educational_psychology"])
    statutory_due_on: date = Field(description="Without exceptions")
    due_on: date = Field(description="With the recorded exceptions")
    met_on: date | None
    state: Literal["open", "met", "missed", "cancelled", "excused"] = Field(
        description="excused: an adviser's 6 weeks did not apply (Reg 8(2))"
    )


class ExceptionView(BaseModel):
    kind: str
    starts_on: date
    ends_on: date
    reason: str


class AdviceView(BaseModel):
    kind: str
    requested_on: date
    due_on: date = Field(description="The adviser's limit: 6 weeks from receiving the request")
    received_on: date | None
    advisers_received_on: date | None = Field(
        default=None, description="When the advisers received the request, if after sending"
    )
    excused_because: AdviceExcuse | None = Field(
        default=None, description="Why the adviser's 6 weeks did not apply (Reg 8(2))"
    )


class ExistingAdviceView(BaseModel):
    kind: str
    description: str
    advice_dated: date
    given_by: str
    family_agreed_by: str
    agreed_on: date
    recorded_by: str = Field(description="The council's officer who agreed and recorded it")


class FamilyAdviceAskView(BaseModel):
    asked_on: date
    advice: str
    asked_of: str
    decision: Literal["seek", "refuse"]
    refusal_reason: str | None
    recorded_by: str = Field(description="The council's officer who recorded it")


class EhcView(BaseModel):
    """The statutory EHC process of one referral."""

    requested_on: date
    requested_by: str
    escalated: bool
    stage: Stage
    assessment_decision: str | None
    assessment_decided_on: date | None
    refusal_reason: str | None
    plan_decision: str | None
    plan_decided_on: date | None
    not_issue_reason: str | None
    draft_issued_on: date | None
    comments_due: date | None
    final_issued_on: date | None
    mediation_asked_on: date | None = Field(
        default=None, description="The day the family asked a mediation adviser (Reg 32)"
    )
    mediation_certificate_on: date | None = Field(
        default=None, description="The day the mediation certificate was issued"
    )
    appeal_by: date | None = Field(
        default=None,
        description="After a decision that can be appealed: the last day to appeal to the SEND "
        "Tribunal, 2 months from the decision or 1 month from the mediation certificate, "
        "whichever is later",
    )
    deadlines: list[DeadlineView]
    exceptions: list[ExceptionView]
    advice: list[AdviceView]
    existing_advice: list[ExistingAdviceView] = Field(
        default_factory=list, description="Advice given before, used as agreed (Reg 6(4))"
    )
    family_advice_asks: list[FamilyAdviceAskView] = Field(
        default_factory=list,
        description="Advice the family asked the council to seek, and its decision (Reg 6(1)(h))",
    )


class SuggestionDecided(BaseModel):
    decision: str
    ehc: EhcView | None = Field(description="The EHC request it started, when treated as one")


class CaseloadItem(BaseModel):
    id: UUID
    track: Track
    status: str
    ehc_stage: Stage | None
    local_authority: str
    received_on: date
    next_deadline: str | None = Field(
        description="The nearest open deadline", examples=["decision"]
    )
    next_due_on: date | None
    given_name: str | None = Field(
        description="The child's, so a caseworker knows whom a row is about; none once erased "
        "(retention)",
        examples=["Siân"],
    )
    family_name: str | None = Field(description="As given_name", examples=["Nguyễn"])
    date_of_birth: date
    needs_triage: bool = Field(
        default=False,
        description="An NHS partner's referral without a SEN2 need: a caseworker sets it "
        "(POST /v1/referrals/{id}/need) before the plan is drafted",
    )
    ceasing: str | None = Field(
        default=None,
        description="Where ceasing the plan stands, if it was ever proposed (s45): proposed, "
        "consulted, kept, to_cease, appealed, continues or ceased",
        examples=["to_cease"],
    )


class CaseloadFilters(BaseModel):
    """What a caseworker narrows the caseload to (the query of ``GET /v1/referrals``, and the
    same fields in a search's body)."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(
        default=None, max_length=40, description="A journey status or EHC stage"
    )
    due_before: date | None = Field(
        default=None, description="Only those with an open deadline before this day"
    )
    track: Track | None = None
    deadline: list[DeadlineState] = Field(
        default_factory=list,
        max_length=2,
        description="at_risk: an open deadline within DEADLINE_AT_RISK_DAYS from today; "
        "missed: an open deadline passed. Both: either",
    )
    team: UUID | None = Field(
        default=None,
        description="A specialists registry entry (team or practitioner): only referrals it "
        "has an active allocation for",
    )
    waiting: bool = Field(default=False, description="Only those waiting for a specialist")
    needs_triage: bool = Field(
        default=False, description="Only NHS partners' referrals waiting for their need"
    )
    include_closed: bool = Field(
        default=False, description="EHC requests that have ended are left out unless true"
    )
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def _one_line(text: str) -> str:
    return safe_text(text, multiline=False)


class CaseloadSearch(CaseloadFilters):
    """A search of the caseload. In a body, never a URL: names and NHS numbers must not reach
    access logs or browser history. The audit trail records that a search happened and which
    referrals it returned, never what was searched for."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": "943 476 5919"}]}
    )

    text: Annotated[str, AfterValidator(_one_line)] = Field(
        min_length=2,
        max_length=100,
        description="A reference (the 8 characters of the referral's id, or the whole id), an "
        "NHS number (spaces or dashes allowed), or a name or part of one (each word the start "
        "of a word of the child's name)",
        examples=["943 476 5919", "3F2A9C1B", "Siân Ngu"],
    )


class CaseloadPage(BaseModel):
    items: list[CaseloadItem]
    next_offset: int | None = Field(description="Pass as offset for the next page; none at the end")


class Share(BaseModel):
    within_20_weeks: int
    plans: int
    percent: float | None = Field(description="Of plans, one decimal place; none without plans")


class TimelinessReport(BaseModel):
    """As the DfE's SEN2 return counts a calendar year: requests received in the year, and
    new EHC plans issued in it."""

    local_authority: str
    year: int
    requests_received: int
    refusals_to_assess: int = Field(description="Of the requests received in the year")
    decisions_not_to_issue: int = Field(description="Of the requests received in the year")
    final_plans_issued: int = Field(description="New EHC plans issued in the year")
    including_exceptions: Share = Field(description="Every new plan")
    excluding_exceptions: Share = Field(description="Plans with no exception recorded")
    open_as_at: date = Field(description="The year's last day, or today for this year")
    open_by_weeks_elapsed: dict[str, int] = Field(
        description="Requests still open on open_as_at, by weeks since the request",
        examples=[{"0-6": 3, "6-16": 5, "16-20": 1, "20-26": 0, "26-52": 2, "52+": 0}],
    )
