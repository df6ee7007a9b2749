"""The statutory EHC process (SEND Regulations 2014): its clock, its exceptions and its steps.
Pure: each step checks the request's state and returns the new state and its event.

Dates are days in the council's calendar (Europe/London). The clock starts the day the council
receives the request. An exception (Regs 5(4), 10(4), 13(3)) stops the clock for its days, so
each deadline has two dates: ``statutory_due_on`` (without exceptions) and ``due_on`` (with).

(Longer than most modules: the clock and every step of the process are one regulation's rules,
read and tested together.)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any, Literal
from uuid import UUID

from shared.dates import add_months
from shared.events import (
    AdviceReceived,
    AdviceRequested,
    AdviceSummary,
    AssessmentDecided,
    DraftPlanIssued,
    EhcAssessmentRequested,
    FinalPlanIssued,
    PlanIssueDecided,
    Sen2Need,
)


class Stage(enum.StrEnum):
    """Where an EHC request stands in the statutory process."""

    REQUESTED = "assessment_requested"
    ASSESSING = "assessing"
    ASSESSMENT_REFUSED = "assessment_refused"
    PLAN_TO_BE_ISSUED = "plan_to_be_issued"
    PLAN_NOT_ISSUED = "plan_not_issued"
    DRAFT_PLAN_ISSUED = "draft_plan_issued"
    FINAL_PLAN_ISSUED = "final_plan_issued"


CLOSED = frozenset({Stage.ASSESSMENT_REFUSED, Stage.PLAN_NOT_ISSUED, Stage.FINAL_PLAN_ISSUED})


class Deadline(enum.StrEnum):
    DECISION = "decision"  # whether to assess: 6 weeks (Reg 5)
    ISSUE_DECISION = "issue_decision"  # a decision NOT to issue: 16 weeks (Reg 10(1))
    DRAFT_PLAN = "draft_plan"  # the latest draft that leaves 15 days before week 20
    FINAL_PLAN = "final_plan"  # 20 weeks (Reg 13(2))


STATUTORY_DAYS = {Deadline.DECISION: 42, Deadline.ISSUE_DECISION: 112, Deadline.FINAL_PLAN: 140}
COMMENT_DAYS = 15  # Reg 13(1): at least 15 days for the family's comments on a draft
ADVICE_DAYS = 42  # Reg 8: advice within 6 weeks of being asked
MIN_ABSENCE_DAYS = 28  # a school closed, or the family away, for 4 weeks or more


class AdviceKind(enum.StrEnum):
    """Advice the council must seek (Reg 6)."""

    PARENT = "parent"  # the child's parent or the young person
    EDUCATIONAL = "educational"
    MEDICAL = "medical"
    EDUCATIONAL_PSYCHOLOGY = "educational_psychology"  # for every child
    SOCIAL_CARE = "social_care"
    TEACHER_OF_THE_DEAF = "teacher_of_the_deaf"  # hearing impairment
    TEACHER_OF_VISION_IMPAIRED = "teacher_of_vision_impaired"  # vision impairment
    OTHER = "other"


Needs = tuple[Sen2Need, ...]
"""A child's needs: the primary need first, then any others."""


ExceptionKind = Literal["school_closure", "personal_circumstances", "family_away"]
RefusalReason = Literal[
    "no_evidence_of_special_educational_needs",
    "needs_met_from_available_provision",
    "not_the_councils_responsibility",
]
NotIssueReason = Literal["needs_met_by_sen_support", "not_the_councils_responsibility"]


class OutOfOrder(Exception):
    """A step the request's stage does not allow (409)."""


class InvalidStep(ValueError):
    """A step whose details break a rule (422 naming ``field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class StatutoryException:
    kind: str
    starts_on: date
    ends_on: date


EXCEPTION_LEAD_IN_DAYS = 28
"""An exception may have begun up to 4 weeks before the request (a school closed for 4 weeks
around it); days before the request never move the clock, so none earlier is recorded."""
LONGEST_EXCEPTION_MONTHS = 12
"""An exception lasts at most a year, and ends at most a year from today: one that goes on is
recorded again."""


def check_exception(
    kind: str, starts_on: date, ends_on: date, *, requested_on: date, today: date
) -> None:
    earliest = requested_on - timedelta(EXCEPTION_LEAD_IN_DAYS)
    if starts_on < earliest:
        raise InvalidStep(
            "starts_on",
            f"must not be before {earliest} (4 weeks before the request: days before the "
            "request do not move the clock)",
        )
    if ends_on < starts_on:
        raise InvalidStep("ends_on", "must be on or after starts_on")
    latest = add_months(today, LONGEST_EXCEPTION_MONTHS)
    if ends_on > latest:
        raise InvalidStep(
            "ends_on",
            f"must not be after {latest} (a year from today; record more when it goes on)",
        )
    if ends_on > add_months(starts_on, LONGEST_EXCEPTION_MONTHS):
        raise InvalidStep(
            "ends_on", "an exception lasts at most a year: record more when it goes on"
        )
    if kind != "personal_circumstances" and (ends_on - starts_on).days + 1 < MIN_ABSENCE_DAYS:
        raise InvalidStep("ends_on", f"{kind} is an exception only when it lasts 4 weeks or more")


def count_days(start: date, days: int, exceptions: Iterable[StatutoryException] = ()) -> date:
    """The day ``days`` days after ``start``, not counting days on which an exception ran.

    Arithmetic on the exceptions' spans (merged where they overlap), never day by day: each
    span that begins on or before the day reached so far pushes it on by its length."""
    first_counted = start + timedelta(1)
    spans = sorted(
        (max(e.starts_on, first_counted), e.ends_on)
        for e in exceptions
        if e.ends_on >= first_counted and e.ends_on >= e.starts_on
    )
    day = start + timedelta(days)
    paused_until = start  # the last paused day already added
    for begins, ends in spans:
        begins = max(begins, paused_until + timedelta(1))  # overlapping days count once
        if begins > day:
            break
        if ends >= begins:
            day += timedelta((ends - begins).days + 1)
            paused_until = ends
    return day


Clock = dict[Deadline, tuple[date, date]]
"""Each statutory deadline of a request as (without exceptions, with exceptions)."""


def deadline_dates(requested_on: date, exceptions: Iterable[StatutoryException] = ()) -> Clock:
    """Each statutory deadline as (without exceptions, with exceptions)."""
    found = list(exceptions)
    dates = {
        k: (count_days(requested_on, n), count_days(requested_on, n, found))
        for k, n in STATUTORY_DAYS.items()
    }
    final = dates[Deadline.FINAL_PLAN]
    comments = timedelta(COMMENT_DAYS)
    dates[Deadline.DRAFT_PLAN] = (final[0] - comments, final[1] - comments)
    return dates


APPEAL_MONTHS = 2  # to the SEND Tribunal, from the decision or the final plan
MEDIATION_APPEAL_MONTHS = 1  # or from the mediation certificate, whichever is later


def appeal_date(notice_on: date, certificate_on: date | None = None) -> date:
    """The last day to appeal to the SEND Tribunal: 2 months from the notice of the decision,
    or 1 month from the mediation certificate, whichever is later. A certificate issued early
    never shortens the 2 months."""
    by_notice = add_months(notice_on, APPEAL_MONTHS)
    if certificate_on is None:
        return by_notice
    return max(by_notice, add_months(certificate_on, MEDIATION_APPEAL_MONTHS))


@dataclass(frozen=True)
class EhcRequest:
    """An EHC needs assessment request and the steps taken so far."""

    referral_id: UUID
    local_authority: str
    requested_on: date
    requested_by: str
    escalated: bool
    stage: Stage = Stage.REQUESTED
    assessment_decided_on: date | None = None
    plan_decided_on: date | None = None
    draft_issued_on: date | None = None
    comments_due: date | None = None
    final_issued_on: date | None = None
    exceptions: tuple[StatutoryException, ...] = ()
    mediation_asked_on: date | None = None
    mediation_certificate_on: date | None = None

    @cached_property
    def clock(self) -> Clock:
        """The request's deadlines as its exceptions leave them: counted once for each state
        of the request (a step that changes it makes a new request, counted again)."""
        return deadline_dates(self.requested_on, self.exceptions)

    def due(self, deadline: Deadline) -> date:
        return self.clock[deadline][1]

    @property
    def notice_on(self) -> date | None:
        """The day of the decision the family may appeal (a refusal to assess, a decision not
        to issue, the final plan), or None before one."""
        return {
            Stage.ASSESSMENT_REFUSED: self.assessment_decided_on,
            Stage.PLAN_NOT_ISSUED: self.plan_decided_on,
            Stage.FINAL_PLAN_ISSUED: self.final_issued_on,
        }.get(self.stage)

    @property
    def appeal_by(self) -> date | None:
        """The last day to appeal the decision, from its notice and any mediation certificate."""
        notice = self.notice_on
        return None if notice is None else appeal_date(notice, self.mediation_certificate_on)

    def record_mediation(
        self, asked_on: date | None, certificate_on: date | None, today: date
    ) -> EhcRequest:
        """Mediation after a decision that can be appealed (Reg 32): the day the family asked
        a mediation adviser, the day the certificate was issued, or both (recorded as they
        come; a date once recorded is kept unless given again). The appeal date follows."""
        notice = self.notice_on
        if notice is None:
            raise OutOfOrder(
                "mediation follows a decision that can be appealed (a refusal to assess, a "
                f"decision not to issue, the final plan): the request is {self.stage.value}"
            )
        if asked_on is None and certificate_on is None:
            raise InvalidStep(
                "mediation_asked_on",
                "give the day mediation was asked for, the day its certificate was issued, or both",
            )
        asked = asked_on or self.mediation_asked_on
        certificate = certificate_on or self.mediation_certificate_on
        if asked is not None:
            _check_field(asked, "mediation_asked_on", not_before=notice, today=today,
                         after="the decision")  # fmt: skip
        if certificate is not None:
            _check_field(certificate, "mediation_certificate_on", not_before=asked or notice,
                         today=today, after="mediation was asked for" if asked else
                         "the decision")  # fmt: skip
        return replace(self, mediation_asked_on=asked, mediation_certificate_on=certificate)

    def common(self) -> dict[str, Any]:
        return {
            "referral_id": self.referral_id,
            "local_authority": self.local_authority,
            "requested_by": self.requested_by,
            "ehc_requested_on": self.requested_on,
        }

    def _expect(self, *stages: Stage, step: str) -> None:
        if self.stage not in stages:
            raise OutOfOrder(f"{step} cannot be recorded while the request is {self.stage.value}")

    def started(self) -> EhcAssessmentRequested:
        return EhcAssessmentRequested(
            **self.common(),
            escalated=self.escalated,
            decision_due=self.due(Deadline.DECISION),
            final_plan_due=self.due(Deadline.FINAL_PLAN),
        )

    def decide_assessment(
        self, decision: Literal["assess", "refuse"], on: date, reason: str | None, today: date
    ) -> tuple[EhcRequest, AssessmentDecided]:
        self._expect(Stage.REQUESTED, step="a decision whether to assess")
        _check_day(on, not_before=self.requested_on, today=today, after="the request")
        if (decision == "refuse") != (reason is not None):
            raise InvalidStep("reason", "a refusal needs its reason; a decision to assess none")
        due = self.due(Deadline.DECISION)
        refused = decision == "refuse"
        stage = Stage.ASSESSMENT_REFUSED if refused else Stage.ASSESSING
        event = AssessmentDecided(
            **self.common(),
            decision=decision,
            decided_on=on,
            decision_due=due,
            on_time=on <= due,
            refusal_reason=reason,
            appeal_by=appeal_date(on) if refused else None,
        )
        return replace(self, stage=stage, assessment_decided_on=on), event

    def request_advice(
        self, kinds: list[AdviceKind], on: date, already: Iterable[str], today: date
    ) -> AdviceRequested:
        self._expect(Stage.ASSESSING, step="advice requested")
        assert self.assessment_decided_on is not None  # set on the way to ASSESSING
        _check_day(on, not_before=self.assessment_decided_on, today=today, after="the decision")
        again = sorted(set(kinds) & set(already))
        if again:
            raise OutOfOrder(f"advice already requested: {', '.join(again)}")
        return AdviceRequested(
            **self.common(),
            kinds=[k.value for k in kinds],
            requested_on=on,
            due_on=on + timedelta(ADVICE_DAYS),
        )

    def receive_advice(
        self,
        kind: AdviceKind,
        requested_on: date,
        on: date,
        today: date,
        *,
        document_id: UUID | None = None,
        summary: AdviceSummary | None = None,
    ) -> AdviceReceived:
        """``document_id``, ``summary``: the advice as its adviser returned it (their link)."""
        if self.stage in CLOSED:
            raise OutOfOrder(f"the request is {self.stage.value}")
        _check_day(on, not_before=requested_on, today=today, after="the advice was asked for")
        due = requested_on + timedelta(ADVICE_DAYS)
        return AdviceReceived(
            **self.common(),
            kind=kind.value,
            received_on=on,
            due_on=due,
            on_time=on <= due,
            document_id=document_id,
            summary=summary,
        )

    def decide_plan(
        self,
        decision: Literal["issue", "not_issue"],
        on: date,
        reason: str | None,
        advice_requested: Iterable[str],
        needs: Needs,
        today: date,
    ) -> tuple[EhcRequest, PlanIssueDecided]:
        """``needs``: the child's primary need first, then any others."""
        self._expect(Stage.ASSESSING, step="a decision whether to issue a plan")
        assert self.assessment_decided_on is not None
        missing = sorted(required_advice(needs[0], needs[1:]) - set(advice_requested))
        if missing:
            raise OutOfOrder(f"advice the law requires has not been requested: {missing}")
        _check_day(on, not_before=self.assessment_decided_on, today=today, after="assessing")
        if (decision == "not_issue") != (reason is not None):
            raise InvalidStep("reason", "a decision not to issue needs its reason; to issue none")
        not_issuing = decision == "not_issue"
        event = PlanIssueDecided(
            **self.common(),
            decision=decision,
            decided_on=on,
            not_issue_due=self.due(Deadline.ISSUE_DECISION),
            reason=reason,
            appeal_by=appeal_date(on) if not_issuing else None,
        )
        stage = Stage.PLAN_NOT_ISSUED if not_issuing else Stage.PLAN_TO_BE_ISSUED
        return replace(self, stage=stage, plan_decided_on=on), event

    def issue_draft(
        self, on: date, comments_due: date | None, today: date
    ) -> tuple[EhcRequest, DraftPlanIssued]:
        self._expect(Stage.PLAN_TO_BE_ISSUED, step="a draft plan")
        assert self.plan_decided_on is not None
        _check_day(on, not_before=self.plan_decided_on, today=today, after="the decision")
        earliest = on + timedelta(COMMENT_DAYS)
        comments_due = comments_due or earliest
        if comments_due < earliest:
            raise InvalidStep("comments_due", f"the family has at least 15 days: {earliest} on")
        event = DraftPlanIssued(
            **self.common(),
            issued_on=on,
            comments_due=comments_due,
            final_plan_due=self.due(Deadline.FINAL_PLAN),
        )
        changed = replace(
            self, stage=Stage.DRAFT_PLAN_ISSUED, draft_issued_on=on, comments_due=comments_due
        )
        return changed, event

    def issue_final(
        self, on: date, today: date, *, comments_closed_early: bool = False
    ) -> tuple[EhcRequest, FinalPlanIssued]:
        """``comments_closed_early``: the family said they had no more comments, so the final
        plan may follow before the comment period ends (never before the draft)."""
        self._expect(Stage.DRAFT_PLAN_ISSUED, step="a final plan")
        assert self.comments_due is not None
        assert self.draft_issued_on is not None
        if comments_closed_early:
            _check_day(on, not_before=self.draft_issued_on, today=today, after="the draft")
        else:
            _check_day(on, not_before=self.comments_due, today=today, after="the family's comments")
        statutory, due = self.clock[Deadline.FINAL_PLAN]
        event = FinalPlanIssued(
            **self.common(),
            issued_on=on,
            final_plan_due=due,
            within_20_weeks=on <= statutory,
            with_exceptions=bool(self.exceptions),
            appeal_by=appeal_date(on),
        )
        return replace(self, stage=Stage.FINAL_PLAN_ISSUED, final_issued_on=on), event

    def add_exception(self, exception: StatutoryException, today: date) -> EhcRequest:
        if self.stage in CLOSED:
            raise OutOfOrder(f"the request is {self.stage.value}: its deadlines are over")
        check_exception(
            exception.kind,
            exception.starts_on,
            exception.ends_on,
            requested_on=self.requested_on,
            today=today,
        )
        return replace(self, exceptions=(*self.exceptions, exception))


HEARING = frozenset({Sen2Need.HI, Sen2Need.MSI})
VISION = frozenset({Sen2Need.VI, Sen2Need.MSI})


def required_advice(primary_need: Sen2Need, secondary_needs: Iterable[Sen2Need] = ()) -> set[str]:
    """Advice the council must seek before deciding whether to issue a plan (Reg 6): an
    educational psychologist's, medical (health) and social care advice for every child, and a
    qualified teacher of the deaf or of the vision impaired where the child has a hearing or
    vision impairment, as the primary need or another."""
    needs = {primary_need, *secondary_needs}
    needed = {
        AdviceKind.EDUCATIONAL_PSYCHOLOGY.value,
        AdviceKind.MEDICAL.value,
        AdviceKind.SOCIAL_CARE.value,
    }
    if needs & HEARING:
        needed.add(AdviceKind.TEACHER_OF_THE_DEAF.value)
    if needs & VISION:
        needed.add(AdviceKind.TEACHER_OF_VISION_IMPAIRED.value)
    return needed


def _check_day(day: date, *, not_before: date, today: date, after: str) -> None:
    _check_field(day, "on", not_before=not_before, today=today, after=after)


def _check_field(day: date, field: str, *, not_before: date, today: date, after: str) -> None:
    if day > today:
        raise InvalidStep(field, "must not be in the future (the council's calendar)")
    if day < not_before:
        raise InvalidStep(field, f"must not be before {after} ({not_before})")


Warning = Literal["at_risk", "missed"]


def warning_due(
    due_on: date, today: date, at_risk_days: int, *, at_risk_sent: bool, missed_sent: bool
) -> Warning | None:
    """What an open deadline calls for today: missed once the day has passed, at risk from
    ``at_risk_days`` before it. A warning that comes after the miss (the scheduler was down
    through the at-risk days) is not sent: the miss says more."""
    if due_on < today:
        return None if missed_sent else "missed"
    if (due_on - today).days <= at_risk_days and not at_risk_sent:
        return "at_risk"
    return None
