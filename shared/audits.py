"""Which event audits as what: the one table the unit of work (``shared.unit_of_work``) derives
a state change's audit rows from. An event here, added to a unit of work, writes one row
``(action, resource)`` on its referral, as whoever the unit of work acts for (the person
signed in, a partner, or ``system:<service>``).

Events that change no child's record (a message sent, a deadline at risk, a partner's answer)
are not here: they are what happened, not who changed what. Nor are announcements that come
with a change audited otherwise: ``PlanDrafted`` (a plan is audited as created when stored,
announced or not; a draft that needed attention is announced later, by an edit), and
``PlanAgreed`` (it comes with the family's response, ``PlanCommentsReceived``: one row).
"""

from __future__ import annotations

from shared.events import (
    AdviceReceived,
    AdviceRequested,
    AllocationAccepted,
    AllocationEnded,
    AmendedPlanIssued,
    AmendmentsProposed,
    AnnualReviewDecided,
    AnnualReviewInvitationsSent,
    AnnualReviewMeetingArranged,
    AnnualReviewMeetingHeld,
    AnnualReviewOpened,
    AnnualReviewReportSent,
    AssessmentDecided,
    CeasingAppealDecided,
    CeasingAppealLodged,
    ChildDetailsErased,
    DomainEvent,
    DraftPlanIssued,
    EhcAssessmentRequested,
    ExistingAdviceAgreed,
    FamilyLinksRevoked,
    FinalPlanIssued,
    FirstSessionArranged,
    LivePlanImported,
    OpenRequestImported,
    PartnerReferralHeld,
    PhaseTransferSet,
    PlanCeased,
    PlanCeasingConsulted,
    PlanCeasingDecided,
    PlanCeasingProposed,
    PlanCommentsReceived,
    PlanFinalised,
    PlanIssueDecided,
    PlanIssuedForComment,
    PlanReviewDue,
    PlanRevised,
    PlanShared,
    PlanTransferredIn,
    PublicRequestReceived,
    ReassessmentConcluded,
    ReassessmentDecided,
    ReassessmentRequested,
    ReferralAwaitingTriage,
    ReferralClosed,
    ReferralReceived,
    ReferralTriaged,
    ReferralWaitlisted,
    SchoolConsultationAnswered,
    SchoolConsulted,
    SpecialistAssigned,
    StatutoryExceptionRecorded,
    TransferredPlanDecided,
)

AUDITED: dict[type[DomainEvent], tuple[str, str]] = {
    # referrals
    ReferralReceived: ("create", "referral"),
    ReferralAwaitingTriage: ("create", "referral"),  # a partner's, waiting for its need
    ReferralTriaged: ("update", "referral"),  # a caseworker set its need
    PublicRequestReceived: ("create", "public-request"),  # kept until its contact confirms it
    PartnerReferralHeld: ("create", "held-referral"),  # on the referral it may duplicate
    ReferralClosed: ("update", "referral"),
    FamilyLinksRevoked: ("update", "family-links"),
    ChildDetailsErased: ("erase", "child"),
    LivePlanImported: ("import", "live-plan"),
    OpenRequestImported: ("import", "open-request"),
    AnnualReviewOpened: ("create", "annual-review"),
    AnnualReviewMeetingArranged: ("update", "annual-review"),
    AnnualReviewInvitationsSent: ("update", "annual-review"),
    AnnualReviewMeetingHeld: ("update", "annual-review"),
    AnnualReviewReportSent: ("update", "annual-review"),
    AnnualReviewDecided: ("update", "annual-review"),
    AmendmentsProposed: ("update", "annual-review"),
    AmendedPlanIssued: ("update", "annual-review"),
    PlanCeasingProposed: ("create", "plan-cessation"),
    PlanCeasingConsulted: ("update", "plan-cessation"),
    PlanCeasingDecided: ("update", "plan-cessation"),
    CeasingAppealLodged: ("update", "plan-cessation"),
    CeasingAppealDecided: ("update", "plan-cessation"),
    PlanCeased: ("update", "plan-cessation"),
    PlanTransferredIn: ("create", "transfer-in"),  # with the plan's own import row
    TransferredPlanDecided: ("update", "transfer-in"),
    ReassessmentRequested: ("create", "reassessment"),
    ReassessmentDecided: ("update", "reassessment"),
    ReassessmentConcluded: ("update", "reassessment"),
    PhaseTransferSet: ("update", "phase-transfer"),
    EhcAssessmentRequested: ("update", "ehc-request"),
    AssessmentDecided: ("update", "ehc-request"),
    AdviceRequested: ("update", "ehc-request"),
    AdviceReceived: ("update", "ehc-request"),
    ExistingAdviceAgreed: ("update", "ehc-request"),
    PlanIssueDecided: ("update", "ehc-request"),
    DraftPlanIssued: ("update", "ehc-request"),
    FinalPlanIssued: ("update", "ehc-request"),
    StatutoryExceptionRecorded: ("update", "ehc-request"),
    # plans
    PlanRevised: ("update", "plan"),
    PlanShared: ("update", "plan"),
    PlanIssuedForComment: ("update", "plan"),
    PlanFinalised: ("update", "plan"),
    PlanReviewDue: ("update", "plan"),
    PlanCommentsReceived: ("update", "plan-comments"),
    # specialists
    SpecialistAssigned: ("create", "allocation"),
    ReferralWaitlisted: ("create", "waitlist"),
    AllocationEnded: ("update", "allocation"),
    AllocationAccepted: ("update", "allocation"),
    FirstSessionArranged: ("update", "allocation"),
    SchoolConsulted: ("create", "school-consultation"),
    SchoolConsultationAnswered: ("update", "school-consultation"),
}
