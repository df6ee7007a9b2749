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
    ExistingAdviceAgreed,
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
ADVICE_DAYS = 42  # Reg 8(1): advice within 6 weeks of the adviser receiving the request
AdviceExcuse = Literal["personal_circumstances", "family_away", "missed_appointment"]
"""Why an adviser need not meet their 6 weeks (Reg 8(2)): exceptional personal circumstances
of the child or family, the family away from the area for 4 weeks or more, or the child
missing an appointment the adviser made. It excuses the limit; it sets no new date."""
MIN_ABSENCE_DAYS = 28  # a school closed, or the family away, for 4 weeks or more


class AdviceKind(enum.StrEnum):
    """Advice the council must seek (Reg 6(1)), by its letter there."""

    PARENT = "parent"  # (a) the child's parent or the young person
    EDUCATIONAL = "educational"  # (b) the head teacher or principal (or a qualified teacher)
    MEDICAL = "medical"  # (c)
    EDUCATIONAL_PSYCHOLOGY = "educational_psychology"  # (d) for every child
    SOCIAL_CARE = "social_care"  # (e)
    TEACHER_OF_THE_DEAF = "teacher_of_the_deaf"  # (b) for a hearing impairment
    TEACHER_OF_VISION_IMPAIRED = "teacher_of_vision_impaired"  # (b) for a vision impairment
    OTHER = "other"  # (f) any other the council thinks appropriate
    PREPARING_FOR_ADULTHOOD = "preparing_for_adulthood"  # (g) from Year 9
    ASKED_FOR_BY_FAMILY = "asked_for_by_family"  # (h) advice the family reasonably asks for


EXISTING_ADVICE_KINDS = frozenset(AdviceKind) - {AdviceKind.PARENT}
"""Advice that may be existing advice, not sought afresh (Reg 6(4): kinds (b) to (h), when the
person who gave it, the council and the family agree): never the family's own."""


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
    born: date | None = None
    """The child's date of birth (preparing-for-adulthood advice from Year 9, Reg 6(1)(g))."""

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
        self,
        kinds: list[AdviceKind],
        on: date,
        already: Iterable[str],
        today: date,
        *,
        advisers_received_on: date | None = None,
    ) -> AdviceRequested:
        """``advisers_received_on``: the day the advisers received the request, when later
        than ``on`` (a letter): their 6 weeks run from it (Reg 8(1)), not from the sending."""
        self._expect(Stage.ASSESSING, step="advice requested")
        assert self.assessment_decided_on is not None  # set on the way to ASSESSING
        _check_day(on, not_before=self.assessment_decided_on, today=today, after="the decision")
        received = advisers_received_on or on
        if not on <= received <= today:
            raise InvalidStep(
                "advisers_received_on", f"between the day it was sent ({on}) and today"
            )
        again = sorted(set(kinds) & set(already))
        if again:
            raise OutOfOrder(f"advice already requested: {', '.join(again)}")
        return AdviceRequested(
            **self.common(),
            kinds=[k.value for k in kinds],
            requested_on=on,
            due_on=received + timedelta(ADVICE_DAYS),
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
        advisers_received_on: date | None = None,
    ) -> AdviceReceived:
        """``document_id``, ``summary``: the advice as its adviser returned it (their link)."""
        if self.stage in CLOSED:
            raise OutOfOrder(f"the request is {self.stage.value}")
        _check_day(on, not_before=requested_on, today=today, after="the advice was asked for")
        due = (advisers_received_on or requested_on) + timedelta(ADVICE_DAYS)
        return AdviceReceived(
            **self.common(),
            kind=kind.value,
            received_on=on,
            due_on=due,
            on_time=on <= due,
            document_id=document_id,
            summary=summary,
        )

    def use_existing_advice(
        self, kind: AdviceKind, dated: date, agreed_on: date, sought: Iterable[str], today: date
    ) -> ExistingAdviceAgreed:
        """Advice given before, used instead of seeking it afresh (Reg 6(4)): kinds (b) to (h)
        only, when the person who gave it, the council and the family agreed (on
        ``agreed_on``, the last of them); it then counts as sought."""
        self._expect(Stage.ASSESSING, step="existing advice")
        assert self.assessment_decided_on is not None
        if kind not in EXISTING_ADVICE_KINDS:
            raise InvalidStep("kind", "the family's own advice is always sought (Reg 6(1)(a))")
        if kind.value in set(sought):
            raise OutOfOrder(f"{kind.value} advice has already been sought")
        if dated > today:
            raise InvalidStep("advice_dated", "must not be in the future")
        _check_day(agreed_on, not_before=dated, today=today, after="the advice was given")
        return ExistingAdviceAgreed(
            **self.common(), kind=kind.value, advice_dated=dated, agreed_on=agreed_on
        )

    def family_asks_for_advice(self, asked_on: date, today: date) -> None:
        """The parent or young person asked the council to seek advice from someone (Reg
        6(1)(h)): recorded while the council assesses, on a day from the decision to assess
        to today. Whether the ask is reasonable is the council's to record with it."""
        self._expect(Stage.ASSESSING, step="advice the family asked for")
        assert self.assessment_decided_on is not None
        _check_field(asked_on, "asked_on", not_before=self.requested_on, today=today,
                     after="the request")  # fmt: skip

    def decide_plan(
        self,
        decision: Literal["issue", "not_issue"],
        on: date,
        reason: str | None,
        advice_requested: Iterable[str],
        needs: Needs,
        today: date,
        *,
        family_asked: bool = False,
    ) -> tuple[EhcRequest, PlanIssueDecided]:
        """``needs``: the child's primary need first, then any others. ``family_asked``: the
        family reasonably asked for advice (Reg 6(1)(h)), which must then be sought too."""
        self._expect(Stage.ASSESSING, step="a decision whether to issue a plan")
        assert self.assessment_decided_on is not None
        if not needs:  # an NHS partner's referral still waiting for triage (#23)
            raise OutOfOrder("the child's special educational need is not set yet: triage it")
        _check_day(on, not_before=self.assessment_decided_on, today=today, after="assessing")
        required = required_advice(
            needs[0], needs[1:], born=self.born, on=on, family_asked=family_asked
        )
        missing = sorted(required - set(advice_requested))
        if missing:
            raise OutOfOrder(
                f"advice the law requires has not been sought (requested, or existing advice "
                f"agreed under Reg 6(4)): {missing}"
            )
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

    def add_exception(
        self,
        exception: StatutoryException,
        today: date,
        *,
        head_teacher_asked_on: date | None = None,
    ) -> EhcRequest:
        """``head_teacher_asked_on``: when educational advice was asked of the head teacher
        or principal (none if not yet), which a school closure's exception depends on."""
        if self.stage in CLOSED:
            raise OutOfOrder(f"the request is {self.stage.value}: its deadlines are over")
        check_exception(
            exception.kind,
            exception.starts_on,
            exception.ends_on,
            requested_on=self.requested_on,
            today=today,
        )
        if exception.kind == "school_closure":
            check_closure(exception, head_teacher_asked_on)
        return replace(self, exceptions=(*self.exceptions, exception))


CLOSURE_WINDOW_DAYS = 7


def check_closure(closure: StatutoryException, head_teacher_asked_on: date | None) -> None:
    """A school closure is an exception only where the council asked the head teacher or
    principal for advice during the period from a week before the closure to a week before
    the school re-opens (the day after ``ends_on``) (Regs 5(4)(a), 10(4)(a), 13(3)(a))."""
    opens = closure.ends_on + timedelta(1)
    first = closure.starts_on - timedelta(CLOSURE_WINDOW_DAYS)
    last = opens - timedelta(CLOSURE_WINDOW_DAYS)
    if head_teacher_asked_on is None or not first <= head_teacher_asked_on <= last:
        asked = (
            f"it was asked on {head_teacher_asked_on}"
            if head_teacher_asked_on
            else "it has not been asked for"
        )
        raise InvalidStep(
            "kind",
            "a school closure is an exception only when the head teacher's educational advice "
            f"was asked for from a week before the closure to a week before the school re-opens "
            f"({first} to {last}): {asked}",
        )


HEARING = frozenset({Sen2Need.HI, Sen2Need.MSI})
VISION = frozenset({Sen2Need.VI, Sen2Need.MSI})


EVERY_CHILDS_ADVICE = frozenset(
    {
        AdviceKind.PARENT.value,  # (a)
        AdviceKind.EDUCATIONAL.value,  # (b)
        AdviceKind.MEDICAL.value,  # (c)
        AdviceKind.EDUCATIONAL_PSYCHOLOGY.value,  # (d)
        AdviceKind.SOCIAL_CARE.value,  # (e)
    }
)
YEAR_9_AGE = 13
"""A child is in Year 9 in the school year that starts when they are 13 (their age on the
31 August before it)."""


def from_year_9(born: date, on: date) -> bool:
    """Whether a child born on ``born`` is in Year 9 or above on ``on`` (England's school
    years start on 1 September; a year group is the age on the 31 August before, less 4)."""
    school_year_starts = date(on.year if on.month >= 9 else on.year - 1, 9, 1)
    before = school_year_starts - timedelta(1)
    age = before.year - born.year - ((before.month, before.day) < (born.month, born.day))
    return age >= YEAR_9_AGE


def required_advice(
    primary_need: Sen2Need,
    secondary_needs: Iterable[Sen2Need] = (),
    *,
    born: date | None = None,
    on: date | None = None,
    family_asked: bool = False,
) -> set[str]:
    """Advice the council must seek before deciding whether to issue a plan (Reg 6(1)): the
    family's (a), educational advice from the head teacher or principal (b), medical (c),
    psychological (d) and social care (e) advice for every child; from Year 9, advice on
    preparing for adulthood and independent living (g); and a qualified teacher of the deaf or
    of the vision impaired where the child has a hearing or vision impairment, as the primary
    need or another (educational advice); and advice the parent or young person reasonably
    asked the council to seek (h), as ``asked_for_by_family``, once they asked
    (``family_asked``: recorded, and not refused as unreasonable)."""
    needs = {primary_need, *secondary_needs}
    needed = set(EVERY_CHILDS_ADVICE)
    if born is not None and on is not None and from_year_9(born, on):
        needed.add(AdviceKind.PREPARING_FOR_ADULTHOOD.value)
    if needs & HEARING:
        needed.add(AdviceKind.TEACHER_OF_THE_DEAF.value)
    if needs & VISION:
        needed.add(AdviceKind.TEACHER_OF_VISION_IMPAIRED.value)
    if family_asked:
        needed.add(AdviceKind.ASKED_FOR_BY_FAMILY.value)
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
