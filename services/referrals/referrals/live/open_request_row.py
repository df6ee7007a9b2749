"""One open request as a council brings it in: an EHC needs assessment under way in its
earlier system (a JSON item or a CSV row: ``docs/live-plans.md``), and the steps already taken,
each with its own day. The steps are replayed through the statutory process itself
(``referrals.statutory.EhcRequest``), not a copy of its rules: a step out of order (a draft
with no decision to issue) or on a day the process does not allow (before the step it follows,
in the future) is a problem at the row's field, and the request that comes out has the stage
and deadlines the platform would have given it had each step been recorded on its day. Pure.

(Longer than most modules: the row, its rules and the replay of its steps, read together.)"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from referrals.domain import FamilyContact
from referrals.intake import IntakeRules, child_age_problem, council_problem, nhs_number_range
from referrals.live.plan_row import MOST_NEEDS
from referrals.schemas import REGULATIONS_IN_FORCE, Child, Requester
from referrals.statutory import (
    AdviceKind,
    EhcRequest,
    InvalidStep,
    NotIssueReason,
    OutOfOrder,
    RefusalReason,
)
from shared.events import DomainEvent, Sen2Need

Problem = tuple[tuple[str, ...], str]
"""A field of a row (as ``OpenRequestIn`` names it) and what is wrong with it."""


class OpenRequestIn(BaseModel):
    """An EHC needs assessment request under way in the council's earlier system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$",
        description="The council's own case id: bringing the same row in again changes nothing",
        examples=["LCC-REQ-2026-0117"],
    )
    local_authority: str = Field(pattern=r"^E[0-9]{8}$", examples=["E08000035"])
    child: Child
    family_contact: FamilyContact
    requested_by: Requester = Field(description="Who asked the council for the assessment")
    received_on: date = Field(description="The day the council received the request: the clock")
    needs: list[Sen2Need] = Field(
        min_length=1, max_length=MOST_NEEDS, description="SEN2 needs in rank order, primary first"
    )
    assessment_decision: Literal["assess", "refuse"] | None = None
    assessment_decided_on: date | None = None
    refusal_reason: RefusalReason | None = None
    advice_kinds: list[AdviceKind] = Field(
        default_factory=list, description="The advice asked for (Reg 6), all on one day"
    )
    advice_requested_on: date | None = None
    advice_received_on: date | None = Field(
        default=None,
        description="The day the last of the advice asked for came in (all of it received); "
        "left out: still awaited, each adviser's 6 weeks watched",
    )
    advice_received: dict[AdviceKind, date] = Field(
        default_factory=dict,
        description="Each kind of advice received and its day, when they came in on different "
        "days (each adviser's deadline met on its own day; a kind left out is still awaited); "
        "instead of advice_received_on",
        examples=[{"medical": "2026-10-01", "educational_psychology": "2026-10-12"}],
    )
    plan_decision: Literal["issue", "not_issue"] | None = None
    plan_decided_on: date | None = None
    not_issue_reason: NotIssueReason | None = None
    draft_issued_on: date | None = None
    comments_due: date | None = Field(
        default=None, description="The end of the family's comments; left out: 15 days on"
    )

    @field_validator("needs", "advice_kinds")
    @classmethod
    def _each_once(cls, value: list[Sen2Need]) -> list[Sen2Need]:
        if len(set(value)) != len(value):
            raise ValueError("each once")
        return value

    def fingerprint(self) -> str:
        """The row as compared when brought in again (its validated, normalised JSON). A row
        without ``advice_received`` leaves it out, so a file brought in before the field existed
        is the same file again."""
        left_out = None if self.advice_received else {"advice_received"}
        return hashlib.sha256(self.model_dump_json(exclude=left_out).encode()).hexdigest()

    def advice_days(self) -> list[tuple[AdviceKind, date]]:
        """Each kind of advice received and its day, in the order received (the order asked
        for on one day): all on ``advice_received_on``, or each on its own."""
        if self.advice_received_on is not None:
            return [(kind, self.advice_received_on) for kind in self.advice_kinds]
        asked = {kind: i for i, kind in enumerate(self.advice_kinds)}
        return sorted(
            self.advice_received.items(), key=lambda k: (k[1], asked.get(k[0], len(asked)))
        )


@dataclass(frozen=True)
class Replayed:
    """The request as the steps leave it, and each step's event, in order."""

    request: EhcRequest
    events: list[DomainEvent]


def rule_problems(row: OpenRequestIn, rules: IntakeRules, today: date) -> list[Problem]:
    """What a well-formed row breaks besides its steps: the council, the day received, the
    child's age, test NHS numbers."""
    problems = _half_recorded(row) + _advice_problems(row)
    council = council_problem(row.local_authority, rules.councils)
    if council:
        problems.append((("local_authority",), council))
    if row.received_on > today:
        problems.append((("received_on",), f"must not be in the future (today is {today})"))
    if row.received_on < REGULATIONS_IN_FORCE:
        problems.append((("received_on",), f"EHC requests began on {REGULATIONS_IN_FORCE}"))
    age = child_age_problem(row.child.date_of_birth, row.received_on)
    if age:
        problems.append((("child", "date_of_birth"), age))
    number = row.child.nhs_number
    if number and nhs_number_range(number) == "test" and not rules.accept_test_nhs_numbers:
        problems.append((("child", "nhs_number"), "a test NHS number (999...), never issued"))
    return problems


def check(
    row: OpenRequestIn, referral_id: UUID, rules: IntakeRules, today: date
) -> Replayed | list[Problem]:
    """The row's request as its steps leave it, or every problem found: the rules, each
    half-recorded step, and the first step the process refuses (replayed only when every step
    is whole)."""
    problems = rule_problems(row, rules, today)
    if _half_recorded(row) or _advice_problems(row) or row.received_on > today:
        return problems
    replayed = replay(row, referral_id, today)
    if isinstance(replayed, Replayed):
        return problems or replayed
    return [*problems, replayed]


def _half_recorded(row: OpenRequestIn) -> list[Problem]:
    """A step and its day come together: a decision without its day, or a day without its
    decision, is a step half recorded (named at the part that is missing)."""
    pairs = (
        ("assessment_decision", row.assessment_decision, "assessment_decided_on",
         row.assessment_decided_on),
        ("advice_kinds", row.advice_kinds or None, "advice_requested_on",
         row.advice_requested_on),
        ("plan_decision", row.plan_decision, "plan_decided_on", row.plan_decided_on),
    )  # fmt: skip
    problems: list[Problem] = []
    for step, taken, day, on in pairs:
        if taken is not None and on is None:
            problems.append(((day,), f"the day of the {step.replace('_', ' ')}"))
        elif taken is None and on is not None:
            problems.append(((step,), f"{day} is given: the step taken that day"))
    return problems


def _advice_problems(row: OpenRequestIn) -> list[Problem]:
    """Advice received each on its own day: only of the kinds asked for, and not as well as
    all of it on one day."""
    if not row.advice_received:
        return []
    if row.advice_received_on is not None:
        why = "give advice_received_on (all on one day) or this (each kind's day), not both"
        return [(("advice_received",), why)]
    if not row.advice_kinds:
        return [(("advice_received",), "advice received needs the advice asked for")]
    return [
        (("advice_received",), f"{kind.value} was not asked for (advice_kinds)")
        for kind in row.advice_received
        if kind not in row.advice_kinds
    ]


def replay(row: OpenRequestIn, referral_id: UUID, today: date) -> Replayed | Problem:
    """The row's steps taken in the process's order, each on its own day: the request as they
    leave it, or the first step the process refuses (at its field; the later steps depend on
    it, so they are not checked)."""
    request = EhcRequest(
        referral_id=referral_id,
        local_authority=row.local_authority,
        requested_on=row.received_on,
        requested_by=row.requested_by,
        escalated=False,
        born=row.child.date_of_birth,
    )
    events: list[DomainEvent] = [request.started()]
    field = "assessment_decision"
    try:
        if row.assessment_decision is not None and row.assessment_decided_on is not None:
            field = "assessment_decided_on"
            request, decided = request.decide_assessment(
                row.assessment_decision, row.assessment_decided_on, row.refusal_reason, today
            )
            events.append(decided)
        elif row.refusal_reason is not None:
            return (("refusal_reason",), "a refusal reason needs a decision to refuse")
        if row.advice_kinds and row.advice_requested_on is not None:
            field = "advice_requested_on"
            events.append(
                request.request_advice(row.advice_kinds, row.advice_requested_on, (), today)
            )
            field = "advice_received_on" if row.advice_received_on else "advice_received"
            for kind, on in row.advice_days():
                try:
                    events.append(request.receive_advice(kind, row.advice_requested_on, on, today))
                except InvalidStep as invalid:  # which kind's day, when each has its own
                    named = f"{kind.value}: {invalid}" if row.advice_received else str(invalid)
                    raise InvalidStep(invalid.field, named) from invalid
        elif row.advice_received_on is not None:
            return (("advice_received_on",), "advice received needs the advice asked for")
        if row.plan_decision is not None and row.plan_decided_on is not None:
            field = "plan_decided_on"
            request, plan_decided = request.decide_plan(
                row.plan_decision,
                row.plan_decided_on,
                row.not_issue_reason,
                [k.value for k in row.advice_kinds],
                tuple(row.needs),
                today,
            )
            events.append(plan_decided)
        elif row.not_issue_reason is not None:
            return (("not_issue_reason",), "a reason not to issue needs that decision")
        if row.draft_issued_on is not None:
            field = "draft_issued_on"
            request, draft = request.issue_draft(row.draft_issued_on, row.comments_due, today)
            events.append(draft)
        elif row.comments_due is not None:
            return (("comments_due",), "the family's comments follow a draft plan")
    except OutOfOrder as out_of_order:
        if str(out_of_order).startswith("advice the law requires"):
            field = "advice_kinds"  # the decision is refused for the advice not sought
        return ((field,), f"out of order: {out_of_order}")
    except InvalidStep as invalid:
        where = field if invalid.field == "on" else _field_of(invalid.field, field)
        return ((where,), str(invalid))
    # Each step was taken in the earlier system: its events say so, and cause no messages.
    flagged = [e.model_copy(update={"earlier_system": True}) for e in events]
    return Replayed(request, flagged)


def _field_of(step_field: str, taking: str) -> str:
    """The row's name for a field the step names: its reason, its comments' end."""
    return {
        "reason": "refusal_reason" if taking == "assessment_decided_on" else "not_issue_reason",
        "comments_due": "comments_due",
    }.get(step_field, taking)
