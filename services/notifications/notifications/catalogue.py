"""Which events a family (or the council's caseworkers) hear about, and how. Pure.

Wiring another event to a message is one entry here (with its words in ``templates`` and its
subscription in ``handlers``)::

    # The plan's life. On the EHC track the draft and the final plan are told by the statutory
    # messages above (referrals' DraftPlanIssued, FinalPlanIssued), so plans' own events for
    # them (PlanIssuedForComment, PlanFinalised) cause none: one message each, not two.
    PlanShared: (MessageKind("plan-shared"),),
    PlanReviewDue: (MessageKind("plan-review-due", details=_review),),
    PlanCommentsReceived: (
        MessageKind(
            "plan-comments-received", audience=Audience.CASEWORKER, details=_responded,
            when=_from_the_family,
        ),
    ),  # fmt: skip
    DeadlineAtRisk: (
        MessageKind("deadline-at-risk", audience=Audience.CASEWORKER, statutory=True),
        MessageKind("deadline-at-risk-family", council_chooses=True),
    ),

``handlers.queue_messages`` is subscribed to every event named here (one decorator each; a
test fails if one is missing); the sender does the rest.

(Longer than most modules: one table of every event's messages and the small rules its entries
name; it reads best whole.)
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.events import (
    AdviceRequested,
    AmendedPlanIssued,
    AmendmentsProposed,
    AnnualReviewDeadlineAtRisk,
    AnnualReviewDeadlineMissed,
    AnnualReviewDecided,
    AnnualReviewInvitationsSent,
    AnnualReviewReportSent,
    AssessmentDecided,
    DeadlineAtRisk,
    DeadlineMissed,
    DomainEvent,
    DraftPlanIssued,
    EhcAssessmentRequested,
    FinalPlanIssued,
    FirstSessionArranged,
    OthersNotified,
    PartnerReferralHeld,
    PhaseTransferDeadlineMissed,
    PlanCeasingDecided,
    PlanCeasingProposed,
    PlanCommentsReceived,
    PlanIssueDecided,
    PlanReviewDue,
    PlanShared,
    PublicRequestReceived,
    ReassessmentConcluded,
    ReassessmentDecided,
    ReferralAwaitingTriage,
    ReferralReceived,
    ReferralWaitlisted,
    SpecialistAssigned,
    SpecialistsMatched,
    StatutoryExceptionRecorded,
    TransferredPlanDecided,
)

Detail = date | str | list[str] | dict[str, date]
"""What the words need from an event: a date, a code (a refusal's ``reason``...), codes, or
codes with dates. Never personal data: they go into Notify. ``templates`` turns codes into
words in the family's language."""


class Audience(enum.StrEnum):
    FAMILY = "family"
    CASEWORKER = "caseworker"
    """The council's SEND team mailbox (``caseworker_email`` in its messaging settings)."""
    TEAM = "team"
    """A specialist team's (or practitioner's) own mailbox, from the specialists registry:
    the address the event names (``MessageKind.to``)."""
    ADVISER = "adviser"
    """An adviser asked for advice (Reg 6): their address in the council's messaging settings
    (``advisers``, by kind of advice), with a link of their own."""


def _no_details(_: Any) -> dict[str, Detail]:
    return {}


def _always(_: Any) -> bool:
    return True


def _nobody(_: Any) -> str | None:
    return None


@dataclass(frozen=True)
class MessageKind:
    """One message an event causes."""

    template: str
    """The message's name: its words in ``templates`` and its Notify template ids."""
    audience: Audience = Audience.FAMILY
    statutory: bool = False
    """The law requires it (SEND Regulations 2014): sent even to a family who opted out of
    other messages."""
    council_chooses: bool = False
    """Sent only where the council lists it in ``optional_messages``."""
    details: Callable[[Any], dict[str, Detail]] = field(default=_no_details)
    """What the words need from the event (dates and codes, never personal data)."""
    when: Callable[[Any], bool] = field(default=_always)
    """Whether the event causes this message (a decision's two outcomes have their own words)."""
    to: Callable[[Any], str | None] = field(default=_nobody)
    """A team's message: the team's own mailbox, as the event names it."""
    recipient: str = ""
    """Which of the audience (an adviser's kind of advice): one message each."""

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels it can go by: the SEND team is reached at its mailbox
        (``caseworker_email``) alone, a specialist team at its own and an adviser at theirs,
        so their messages need no text or letter template."""
        if self.audience is not Audience.FAMILY:
            return ("email",)
        return ("email", "sms", "letter")


def _request_dates(event: ReferralReceived | ReferralAwaitingTriage) -> dict[str, Detail]:
    # No statutory dates: a family on the support track asked for none, and one on the EHC
    # track hears them in "ehc-assessment-requested" (s36(1)).
    return {"received_on": event.received_on}


def _asked_to_confirm(event: PublicRequestReceived) -> bool:
    """A contact is sent a few links a day at most (referrals decides: ``ask_to_confirm``)."""
    return event.ask_to_confirm


def _received_on(event: PublicRequestReceived) -> dict[str, Detail]:
    return {"received_on": event.received_on}


def _own_message(event: SpecialistAssigned | ReferralWaitlisted) -> bool:
    """Told on its own: not one of several outcomes the plan's one message lists."""
    return not event.told_in_match


def _matched_at_plan(event: SpecialistAssigned) -> bool:
    return _own_message(event) and not event.from_waitlist


def _from_waitlist(event: SpecialistAssigned) -> bool:
    return event.from_waitlist


def _all_full(event: ReferralWaitlisted) -> bool:
    return _own_message(event) and event.reason == "teams_full"


def _no_team(event: ReferralWaitlisted) -> bool:
    return event.reason == "no_team"


def _role(event: SpecialistAssigned | ReferralWaitlisted) -> dict[str, Detail]:
    return {"role": event.specialism}


def _team_address(event: SpecialistAssigned) -> str | None:
    return event.team_email


def _first_session(event: FirstSessionArranged) -> dict[str, Detail]:
    return {"session_on": event.session_on, "role": event.specialism}


def _who_helps(event: SpecialistsMatched) -> dict[str, Detail]:
    return {
        "help": [f"matched:{r}" for r in event.matched_roles]
        + [f"waiting:{r}" for r in event.waiting_roles]
        + [f"no_team:{r}" for r in event.no_team_roles]
    }


def _ehc_dates(event: EhcAssessmentRequested) -> dict[str, Detail]:
    return {
        "ehc_requested_on": event.ehc_requested_on,
        "decision_due": event.decision_due,
        "final_plan_due": event.final_plan_due,
    }


def _assessing(event: AssessmentDecided) -> bool:
    return event.decision == "assess"


def _issuing(event: PlanIssueDecided) -> bool:
    return event.decision == "issue"


def _not(when: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda event: not when(event)


def _refusal(event: AssessmentDecided | PlanIssueDecided) -> dict[str, Detail]:
    reason = event.refusal_reason if isinstance(event, AssessmentDecided) else event.reason
    if reason is None or event.appeal_by is None:  # the referrals service always sets both
        raise ValueError(f"{event.name}: a refusal without its reason or appeal date")
    return {"reason": reason, "appeal_by": event.appeal_by, "decided_on": event.decided_on}


def _advice(event: AdviceRequested) -> dict[str, Detail]:
    return {"advice": list(event.kinds), "due_on": event.due_on}


ADVISERS = (
    "educational",
    "medical",
    "educational_psychology",
    "social_care",
    "teacher_of_the_deaf",
    "teacher_of_vision_impaired",
    "other",
    "preparing_for_adulthood",
    "asked_for_by_family",
)
"""The kinds of advice (Reg 6) asked of a professional: each gets a message with its link (the
parent's own advice is asked in the family's message)."""


def _asked_of(kind: str) -> MessageKind:
    return MessageKind(
        "advice-asked",
        audience=Audience.ADVISER,
        recipient=kind,
        when=lambda event: kind in event.kinds,
        details=lambda event: {"advice_asked": kind, "due_on": event.due_on},
    )


def _draft(event: DraftPlanIssued) -> dict[str, Detail]:
    return {"comments_due": event.comments_due, "final_plan_due": event.final_plan_due}


def _final(event: FinalPlanIssued) -> dict[str, Detail]:
    return {"issued_on": event.issued_on, "appeal_by": event.appeal_by}


def _moved(event: StatutoryExceptionRecorded) -> dict[str, Detail]:
    # The deadlines' dates with exceptions are the SEN2 count's, never a family's "new dates".
    return {"exception": event.kind}


def _at_risk(event: DeadlineAtRisk) -> dict[str, Detail]:
    return {
        "deadline": event.deadline,
        "limit": event.deadline,
        "due_on": event.due_on,
        "statutory_due_on": event.statutory_due_on,
        "days_left": str(event.days_left),
    }


def _missed(event: DeadlineMissed) -> dict[str, Detail]:
    return {
        "deadline": event.deadline,
        "limit": event.deadline,
        "due_on": event.due_on,
        "statutory_due_on": event.statutory_due_on,
    }


def _held(event: PartnerReferralHeld) -> dict[str, Detail]:
    return {"held_reason": event.reason, "differs": event.differs or ["none"]}


def _review(event: PlanReviewDue) -> dict[str, Detail]:
    return {"review_due": event.review_due}


def _responded(event: PlanCommentsReceived) -> dict[str, Detail]:
    return {"received_on": event.received_on}


def _from_the_family(event: PlanCommentsReceived) -> bool:
    return event.taken_by == "family"  # a caseworker who took it by phone knows already


def _invited(event: AnnualReviewInvitationsSent) -> dict[str, Detail]:
    return {"meeting_on": event.meeting_on}


def _reported(event: AnnualReviewReportSent) -> dict[str, Detail]:
    return {"held_on": event.held_on, "decision_due": event.decision_due}


def _review_decided(event: AnnualReviewDecided) -> dict[str, Detail]:
    details: dict[str, Detail] = {"decided_on": event.decided_on}
    if event.next_review_due is not None:
        details["next_review_due"] = event.next_review_due
    if event.appeal_by is not None:
        details["appeal_by"] = event.appeal_by
    return details


def _review_decision(decision: str) -> Callable[[AnnualReviewDecided], bool]:
    return lambda event: event.decision == decision


def _proposed(event: AmendmentsProposed) -> dict[str, Detail]:
    return {"comments_due": event.comments_until, "amended_plan_due": event.amended_plan_due}


def _amended(event: AmendedPlanIssued) -> dict[str, Detail]:
    details: dict[str, Detail] = {"issued_on": event.issued_on, "appeal_by": event.appeal_by}
    if event.phase_transfer is not None and event.transfer_due is not None:
        # The year of the move: the September after the last legal day.
        details |= {"move": event.phase_transfer, "transfer_year": str(event.transfer_due.year)}
    return details


def _transfer_missed(event: PhaseTransferDeadlineMissed) -> dict[str, Detail]:
    return {
        "move": event.kind,
        "transfer_year": str(event.transfer_year),
        # The law's own words: "before 15 February" (31 March), the day after the last day.
        "law_due": event.due_on + timedelta(days=1),
    }


def _review_limit(
    event: AnnualReviewDeadlineAtRisk | AnnualReviewDeadlineMissed,
) -> dict[str, Detail]:
    details: dict[str, Detail] = {"review_limit": event.deadline, "due_on": event.due_on}
    if isinstance(event, AnnualReviewDeadlineAtRisk):
        details["days_left"] = str(event.days_left)
    return details


def _transfer_told(event: TransferredPlanDecided) -> dict[str, Detail]:
    details: dict[str, Detail] = {"review_due": event.review_due}
    if event.finalise_by is not None:
        details["finalise_by"] = event.finalise_by
    return details


def _reassessment_decided(event: ReassessmentDecided) -> dict[str, Detail]:
    if event.finalise_by is not None:
        return {"finalise_by": event.finalise_by}
    return {"appeal_by": event.appeal_by} if event.appeal_by is not None else {}


def _reassessment_concluded(event: ReassessmentConcluded) -> dict[str, Detail]:
    return {"concluded_on": event.concluded_on, "appeal_by": event.appeal_by}


def _ceasing_proposed(event: PlanCeasingProposed) -> dict[str, Detail]:
    return {"views_by": event.views_by}


def _ceasing_decided(event: PlanCeasingDecided) -> dict[str, Detail]:
    details: dict[str, Detail] = {"decided_on": event.decided_on}
    if event.appeal_by is not None:
        details["appeal_by"] = event.appeal_by
    return details


def _ceasing(decision: str) -> Callable[[PlanCeasingDecided], bool]:
    return lambda event: event.decision == decision


OTHERS = ("school", "designated_clinical_officer", "social_care", "health_commissioning")
"""Whom the council tells of a step (``OthersNotified``), each at the mailbox the event names."""


def _told(event: OthersNotified) -> dict[str, Detail]:
    return {"told": f"{event.step}:{event.decision}" if event.decision else event.step}


def _tell(role: str) -> MessageKind:
    def address(event: OthersNotified) -> str | None:
        found: str | None = getattr(event, f"{role}_email")
        return found

    return MessageKind(
        "others-notified",
        audience=Audience.TEAM,
        statutory=True,
        recipient=role,
        when=lambda event: address(event) is not None,
        details=_told,
        to=address,
    )


CATALOGUE: dict[type[DomainEvent], tuple[MessageKind, ...]] = {
    ReferralReceived: (MessageKind("request-received", details=_request_dates),),
    # An NHS partner's referral without a need: received, and a caseworker decides the need
    # before the plan and the specialist (a ReferralTriaged later tells the family nothing).
    ReferralAwaitingTriage: (MessageKind("request-received-triage", details=_request_dates),),
    # A request made on the public form: its contact confirms it through the link in this
    # message (not a family link: ``link_for`` makes a confirmation's), then the request is
    # taken in, and "request received" follows as for any referral.
    PublicRequestReceived: (
        MessageKind("confirm-request", when=_asked_to_confirm, details=_received_on),
    ),
    # Specialists: one message per plan's matching (several roles at once are listed in one
    # SpecialistsMatched message), one per place that comes up from the waitlist, and "no team
    # serves your area" apart from "all full", with the gap flagged to the council's team.
    # The team allocated is told at its own address (the registry's), wherever it comes from;
    # the family hears of the first session once the team has arranged it.
    SpecialistAssigned: (
        MessageKind("specialist-assigned", when=_matched_at_plan),
        MessageKind("waitlist-place-found", when=_from_waitlist, details=_role),
        MessageKind(
            "child-allocated-to-team",
            audience=Audience.TEAM,
            when=lambda e: _team_address(e) is not None,
            details=_role,
            to=_team_address,
        ),
    ),
    FirstSessionArranged: (MessageKind("first-session-arranged", details=_first_session),),
    ReferralWaitlisted: (
        MessageKind("referral-waitlisted", when=_all_full),
        MessageKind(
            "no-team-in-area", when=lambda e: _no_team(e) and _own_message(e), details=_role
        ),
        MessageKind("service-gap", audience=Audience.CASEWORKER, when=_no_team, details=_role),
    ),
    SpecialistsMatched: (MessageKind("specialists-matched", details=_who_helps),),
    # The statutory EHC process (SEND Regulations 2014). Advice received is for the timeline
    # only. Telling the family the request is being considered, every decision, the draft and
    # final plans are duties (s36 Children and Families Act 2014, Regs 4, 5, 10, 13); so is
    # owning up to a missed deadline. Moved dates are worth knowing but not a duty.
    EhcAssessmentRequested: (
        MessageKind("ehc-assessment-requested", statutory=True, details=_ehc_dates),
    ),
    AssessmentDecided: (
        MessageKind("assessment-agreed", statutory=True, when=_assessing),
        MessageKind("assessment-refused", statutory=True, when=_not(_assessing), details=_refusal),
    ),
    AdviceRequested: (
        MessageKind("advice-requested", council_chooses=True, details=_advice),
        *(_asked_of(kind) for kind in ADVISERS),
    ),
    PlanIssueDecided: (
        MessageKind("plan-to-be-issued", statutory=True, when=_issuing),
        MessageKind("plan-not-issued", statutory=True, when=_not(_issuing), details=_refusal),
    ),
    DraftPlanIssued: (MessageKind("draft-plan-issued", statutory=True, details=_draft),),
    FinalPlanIssued: (MessageKind("final-plan-issued", statutory=True, details=_final),),
    StatutoryExceptionRecorded: (MessageKind("deadlines-moved", details=_moved),),
    # Others told of a step (Regs 4(2), 5(2), 10(2), 13(2)): never the family.
    OthersNotified: tuple(_tell(role) for role in OTHERS),
    # The plan's life. On the EHC track the draft and the final plan are told by the statutory
    # messages above (referrals' DraftPlanIssued, FinalPlanIssued), so plans' own events for
    # them (PlanIssuedForComment, PlanFinalised) cause none: one message each, not two.
    PlanShared: (MessageKind("plan-shared"),),
    PlanReviewDue: (MessageKind("plan-review-due", details=_review),),
    PlanCommentsReceived: (
        MessageKind(
            "plan-comments-received",
            audience=Audience.CASEWORKER,
            details=_responded,
            when=_from_the_family,
        ),
    ),
    # A deadline at risk is the team's to act on; the family is told too only where the
    # council chooses it (``optional_messages``): not a duty, and not every council wants to
    # worry a family about a date it may still meet.
    DeadlineAtRisk: (
        MessageKind(
            "deadline-at-risk", audience=Audience.CASEWORKER, statutory=True, details=_at_risk
        ),
        MessageKind("deadline-at-risk-family", council_chooses=True, details=_at_risk),
    ),
    DeadlineMissed: (
        MessageKind(
            "deadline-missed", audience=Audience.CASEWORKER, statutory=True, details=_missed
        ),
        MessageKind("deadline-missed-family", statutory=True, details=_missed),
    ),
    # An NHS partner referred a child the council may know: the team matches it; the family
    # hears nothing (the request is held, not taken in).
    PartnerReferralHeld: (
        MessageKind("partner-referral-held", audience=Audience.CASEWORKER, details=_held),
    ),
    # A plan's annual review (Regs 18-22; words in ``review_words``): the invitation, the
    # meeting's report and the decision are the family's by law. A decision to cease is only
    # considered here: the council informs and consults before deciding (s45, Reg 31).
    AnnualReviewInvitationsSent: (
        MessageKind("annual-review-invitation", statutory=True, details=_invited),
    ),
    AnnualReviewReportSent: (
        MessageKind("annual-review-report", statutory=True, details=_reported),
    ),
    AnnualReviewDecided: tuple(
        MessageKind(
            template, statutory=True, details=_review_decided, when=_review_decision(decision)
        )
        for decision, template in (
            ("keep", "annual-review-kept"),
            ("amend", "annual-review-amend"),
            ("cease", "annual-review-cease-considered"),
        )
    ),
    # Amending the plan after it (Reg 22): the proposals, with the family's time to comment,
    # and the amended plan with the right to appeal.
    AmendmentsProposed: (MessageKind("amendments-proposed", statutory=True, details=_proposed),),
    AmendedPlanIssued: (
        MessageKind(
            "amended-plan-issued",
            statutory=True,
            details=_amended,
            when=lambda event: event.phase_transfer is None,
        ),
        # A child moving phase (Reg 18): the plan names the next school or college.
        MessageKind(
            "amended-plan-issued-transfer",
            statutory=True,
            details=_amended,
            when=lambda event: event.phase_transfer is not None,
        ),
    ),
    PhaseTransferDeadlineMissed: (
        MessageKind("phase-transfer-missed-family", statutory=True, details=_transfer_missed),
    ),
    # A review's limit near or passed with its step not recorded: the council's SEND team is
    # told, once each (referrals warns once; the inbox takes each event once). The family is
    # not: the review's own messages are theirs.
    AnnualReviewDeadlineAtRisk: (
        MessageKind(
            "annual-review-limit-at-risk",
            audience=Audience.CASEWORKER,
            statutory=True,
            details=_review_limit,
        ),
    ),
    AnnualReviewDeadlineMissed: (
        MessageKind(
            "annual-review-limit-missed",
            audience=Audience.CASEWORKER,
            statutory=True,
            details=_review_limit,
        ),
    ),
    # A plan transferred in (Reg 15) and a re-assessment (Regs 24-27; ``reassessment_words``):
    # whether the council assesses again, and the outcome, each the family's by law.
    TransferredPlanDecided: (
        MessageKind(
            "transferred-plan-reassess",
            statutory=True,
            details=_transfer_told,
            when=lambda event: event.reassess,
        ),
        MessageKind(
            "transferred-plan-kept",
            statutory=True,
            details=_transfer_told,
            when=lambda event: not event.reassess,
        ),
    ),
    ReassessmentDecided: (
        MessageKind(
            "reassessment-agreed",
            statutory=True,
            details=_reassessment_decided,
            when=lambda event: event.reassess,
        ),
        MessageKind(
            "reassessment-refused",
            statutory=True,
            details=_reassessment_decided,
            when=lambda event: not event.reassess,
        ),
    ),
    ReassessmentConcluded: (
        MessageKind(
            "reassessment-plan-amended",
            statutory=True,
            details=_reassessment_concluded,
            when=lambda event: event.outcome == "plan_amended",
        ),
        MessageKind(
            "reassessment-not-amended",
            statutory=True,
            details=_reassessment_concluded,
            when=lambda event: event.outcome == "plan_not_amended",
        ),
    ),
    # Ceasing the plan (s45, Reg 31; words in ``ceasing_words``): the family informed that the
    # council is considering it and asked for views (Reg 31(1)), and the decision to cease
    # with the right to appeal (Reg 31(2)-(3)) are duties; a decision not to cease is told
    # too (they were asked for views), though no regulation requires it.
    PlanCeasingProposed: (
        MessageKind("ceasing-proposed", statutory=True, details=_ceasing_proposed),
    ),
    PlanCeasingDecided: (
        MessageKind(
            "ceasing-decided", statutory=True, details=_ceasing_decided, when=_ceasing("cease")
        ),
        MessageKind("ceasing-not-ceased", details=_ceasing_decided, when=_ceasing("keep")),
    ),
}

KINDS: dict[str, MessageKind] = {
    kind.template: kind for kinds in CATALOGUE.values() for kind in kinds
}
