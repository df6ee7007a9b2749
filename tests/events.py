"""A valid example of every event the platform publishes, for tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from scripts.run_platform import demo_nhs_number
from shared.dates import london_today
from shared.events import (
    AdviceReceived,
    AdviceRequested,
    AllocationAccepted,
    AllocationEnded,
    AmendedPlanIssued,
    AmendmentsProposed,
    AnnualReviewDeadlineAtRisk,
    AnnualReviewDeadlineMissed,
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
    ChildIdentified,
    DeadlineAtRisk,
    DeadlineMissed,
    DomainEvent,
    DraftPlanIssued,
    EhcAssessmentRequested,
    ExistingAdviceAgreed,
    FamilyContactRegistered,
    FamilyLinksRevoked,
    FinalPlanIssued,
    FirstSessionArranged,
    ImportedAdvice,
    LivePlanDeadlineAtRisk,
    LivePlanDeadlineMissed,
    LivePlanImported,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    OpenRequestImported,
    OthersNotified,
    PartnerAdviceRequested,
    PartnerReferralAnswered,
    PartnerReferralHeld,
    PhaseTransferDeadlineAtRisk,
    PhaseTransferDeadlineMissed,
    PhaseTransferSet,
    PlanAgreed,
    PlanCeased,
    PlanCeasingConsulted,
    PlanCeasingDecided,
    PlanCeasingProposed,
    PlanCommentsReceived,
    PlanDrafted,
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
    ReferralDescribed,
    ReferralReceived,
    ReferralRequested,
    ReferralTriaged,
    ReferralWaitlisted,
    SchoolConsultationAnswered,
    SchoolConsulted,
    Sen2Need,
    SpecialistAssigned,
    SpecialistsMatched,
    StatutoryExceptionRecorded,
    TransferredPlanDecided,
    wrap,
)

COUNCIL = "E08000035"


def sample_event(event_class: type[DomainEvent], referral_id: UUID) -> DomainEvent:
    """An event of ``event_class`` about ``referral_id``, every field filled in."""
    common = {"referral_id": referral_id, "local_authority": COUNCIL}
    ehc = {**common, "requested_by": "parent", "ehc_requested_on": date(2026, 1, 5)}
    deadline = {"deadline": "decision", "due_on": date(2026, 2, 16)}
    review = {**common, "review_id": UUID(int=referral_id.int ^ 1)}  # one review per referral
    cessation = {**common, "cessation_id": UUID(int=referral_id.int ^ 2)}
    moved, again = UUID(int=referral_id.int ^ 2), UUID(int=referral_id.int ^ 3)
    reassessing = {**common, "reassessment_id": again}
    transfer = {
        **common, "kind": "primary_to_secondary", "transfer_year": 2027,
        "due_on": date(2027, 2, 14),
    }  # fmt: skip
    samples: dict[type[DomainEvent], DomainEvent] = {
        ReferralRequested: ReferralRequested(referral_id=referral_id, request=referral_request()),
        PartnerReferralAnswered: PartnerReferralAnswered(
            referral_id=referral_id,
            partner="west-yorkshire-slt",
            request_id=f"foreign-{referral_id}",
            outcome="rejected",
            resource={"resourceType": "OperationOutcome", "issue": []},
        ),
        ReferralReceived: ReferralReceived(
            **common,
            received_on=date(2026, 1, 5),
            primary_need=Sen2Need.SLCN,
            requested_by="school",
            postcode_district="LS6",
            decision_due=date(2026, 2, 16),
            final_plan_due=date(2026, 5, 25),
        ),
        PartnerAdviceRequested: PartnerAdviceRequested(
            referral_id=referral_id,
            partner="west-yorkshire-slt",
            kind="medical",
            due_on=date(2026, 3, 2),
            resource={"resourceType": "Task", "status": "requested", "intent": "order"},
        ),
        ReferralAwaitingTriage: ReferralAwaitingTriage(
            **common,
            received_on=date(2026, 1, 5),
            requested_by="health",
            decision_due=date(2026, 2, 16),
            final_plan_due=date(2026, 5, 25),
            suggested_needs=[Sen2Need.ASD],
        ),
        ReferralTriaged: ReferralTriaged(
            **common,
            received_on=date(2026, 1, 5),
            primary_need=Sen2Need.ASD,
            requested_by="health",
            postcode_district="LS6",
            decision_due=date(2026, 2, 16),
            final_plan_due=date(2026, 5, 25),
            triaged_on=date(2026, 1, 12),
        ),
        FamilyLinksRevoked: FamilyLinksRevoked(
            **common, revoked_at=datetime(2026, 1, 6, 9, 30, tzinfo=UTC), generation=1
        ),
        ChildDetailsErased: ChildDetailsErased(**common, erased_on=date(2057, 3, 14)),
        LivePlanImported: LivePlanImported(
            **common,
            issued_on=date(2024, 3, 1),
            last_reviewed_on=date(2025, 2, 20),
            review_due=date(2026, 2, 20),
            needs=[Sen2Need.ASD, Sen2Need.SLCN],
            setting_urn="107958",
            phase="primary",
            age_years=9,
        ),
        OpenRequestImported: OpenRequestImported(
            **common,
            received_on=date(2026, 1, 5),
            requested_by="parent",
            needs=[Sen2Need.ASD, Sen2Need.SLCN],
            postcode_district="LS6",
            decision_due=date(2026, 2, 16),
            final_plan_due=date(2026, 5, 25),
            phase="primary",
            age_years=9,
            advice_received=[
                ImportedAdvice(kind="educational_psychology", received_on=date(2026, 3, 20))
            ],
            plan_decision="issue",
            plan_decided_on=date(2026, 3, 30),
        ),
        AnnualReviewOpened: AnnualReviewOpened(**review, review_due=date(2026, 2, 20)),
        AnnualReviewMeetingArranged: AnnualReviewMeetingArranged(
            **review,
            meeting_on=date(2026, 2, 10),
            invite_by=date(2026, 1, 27),
            review_due=date(2026, 2, 20),
        ),
        AnnualReviewInvitationsSent: AnnualReviewInvitationsSent(
            **review,
            sent_on=date(2026, 1, 20),
            meeting_on=date(2026, 2, 10),
            invitees=["family", "school", "health", "social_care"],
        ),
        AnnualReviewMeetingHeld: AnnualReviewMeetingHeld(
            **review,
            held_on=date(2026, 2, 10),
            report_due=date(2026, 2, 24),
            decision_due=date(2026, 3, 10),
        ),
        AnnualReviewReportSent: AnnualReviewReportSent(
            **review,
            sent_on=date(2026, 2, 20),
            held_on=date(2026, 2, 10),
            decision_due=date(2026, 3, 10),
        ),
        AnnualReviewDecided: AnnualReviewDecided(
            **review,
            decision="keep",
            decided_on=date(2026, 3, 2),
            next_review_due=date(2027, 2, 10),
            appeal_by=date(2026, 5, 2),
        ),
        AmendmentsProposed: AmendmentsProposed(
            **review,
            sent_on=date(2026, 3, 9),
            comments_until=date(2026, 3, 24),
            amended_plan_due=date(2026, 5, 4),
        ),
        AmendedPlanIssued: AmendedPlanIssued(
            **review,
            issued_on=date(2026, 4, 20),
            amended_plan_due=date(2026, 5, 4),
            late=False,
            appeal_by=date(2026, 6, 20),
        ),
        PlanCeasingProposed: PlanCeasingProposed(
            **cessation,
            reason="no_longer_necessary",
            proposed_on=date(2026, 5, 1),
            views_by=date(2026, 5, 22),
            review_id=review["review_id"],
        ),
        PlanCeasingConsulted: PlanCeasingConsulted(
            **cessation,
            consulted_on=date(2026, 5, 25),
            family_views_given=True,
            school_views_given=False,
        ),
        PlanCeasingDecided: PlanCeasingDecided(
            **cessation,
            decision="cease",
            decided_on=date(2026, 6, 1),
            reason="no_longer_necessary",
            appeal_by=date(2026, 8, 1),
        ),
        CeasingAppealLodged: CeasingAppealLodged(**cessation, lodged_on=date(2026, 7, 20)),
        CeasingAppealDecided: CeasingAppealDecided(
            **cessation, outcome="dismissed", decided_on=date(2026, 11, 2)
        ),
        PlanCeased: PlanCeased(
            **cessation, ceased_on=date(2026, 11, 2), reason="no_longer_necessary"
        ),
        AnnualReviewDeadlineAtRisk: AnnualReviewDeadlineAtRisk(
            **review, deadline="review_report", due_on=date(2026, 2, 24), days_left=4
        ),
        AnnualReviewDeadlineMissed: AnnualReviewDeadlineMissed(
            **review, deadline="review_report", due_on=date(2026, 2, 24)
        ),
        PlanTransferredIn: PlanTransferredIn(
            **common,
            transfer_id=moved,
            from_council="E08000036",
            transferred_on=date(2026, 1, 5),
            decide_by=date(2026, 2, 16),
            review_due=date(2026, 4, 5),
        ),
        TransferredPlanDecided: TransferredPlanDecided(
            **common,
            transfer_id=moved,
            from_council="E08000036",
            reassess=True,
            told_on=date(2026, 2, 9),
            decide_by=date(2026, 2, 16),
            late=False,
            review_due=date(2026, 4, 5),
            reassessment_id=again,
            finalise_by=date(2026, 5, 18),
        ),
        ReassessmentRequested: ReassessmentRequested(
            **reassessing,
            requested_by="parent",
            requested_on=date(2026, 2, 2),
            decide_by=date(2026, 2, 17),
        ),
        ReassessmentDecided: ReassessmentDecided(
            **reassessing,
            reassess=False,
            decided_on=date(2026, 2, 16),
            decide_by=date(2026, 2, 17),
            late=False,
            appeal_by=date(2026, 4, 16),
        ),
        ReassessmentConcluded: ReassessmentConcluded(
            **reassessing,
            outcome="plan_not_amended",
            concluded_on=date(2026, 5, 11),
            finalise_by=date(2026, 5, 18),
            late=False,
            appeal_by=date(2026, 7, 11),
        ),
        LivePlanDeadlineAtRisk: LivePlanDeadlineAtRisk(
            **common,
            process_id=again,
            deadline="reassessment_decision",
            due_on=date(2026, 2, 17),
            days_left=3,
        ),
        LivePlanDeadlineMissed: LivePlanDeadlineMissed(
            **common, process_id=again, deadline="reassessment_plan", due_on=date(2026, 5, 18)
        ),
        PhaseTransferSet: PhaseTransferSet(**transfer, set_by="date_of_birth"),
        PhaseTransferDeadlineAtRisk: PhaseTransferDeadlineAtRisk(**transfer, days_left=10),
        PhaseTransferDeadlineMissed: PhaseTransferDeadlineMissed(**transfer),
        FamilyContactRegistered: FamilyContactRegistered(
            referral_id=referral_id,
            contact_name="Foreign Parent",
            email="foreign@example.org",
            preferred_channel="email",
        ),
        ReferralDescribed: ReferralDescribed(
            referral_id=referral_id,
            strengths="Loves building things",
            difficulties="Finds it hard to follow spoken instructions",
            views="Wants to make friends at school",
        ),
        ChildIdentified: ChildIdentified(
            referral_id=referral_id,
            given_name="Sam",
            family_name="Taylor",
            date_of_birth=date(2018, 9, 14),
        ),
        PlanDrafted: PlanDrafted(
            **common,
            plan_id=uuid4(),
            primary_need=Sen2Need.SLCN,
            area_of_need="communication and interaction",
            required_specialism="speech_and_language_therapy",
            postcode_district="LS6",
            sections=["B", "E", "F"],
        ),
        SpecialistAssigned: SpecialistAssigned(
            **common,
            allocation_id=uuid4(),
            specialist_id=uuid4(),
            plan_id=uuid4(),
            specialism="speech_and_language_therapy",
            same_district=True,
        ),
        ReferralWaitlisted: ReferralWaitlisted(
            **common, plan_id=uuid4(), specialism="speech_and_language_therapy"
        ),
        SpecialistsMatched: SpecialistsMatched(
            **common,
            plan_id=uuid4(),
            matched_roles=["speech_and_language_therapy", "educational_psychology"],
            waiting_roles=["occupational_therapy"],
            no_team_roles=["physiotherapy"],
        ),
        AllocationEnded: AllocationEnded(
            **common,
            allocation_id=uuid4(),
            specialist_id=uuid4(),
            specialism="speech_and_language_therapy",
            reason="support_completed",
        ),
        AllocationAccepted: AllocationAccepted(
            **common,
            allocation_id=uuid4(),
            specialist_id=uuid4(),
            specialism="speech_and_language_therapy",
            accepted_on=date(2026, 3, 2),
        ),
        SchoolConsulted: SchoolConsulted(
            **common,
            consultation_id=uuid4(),
            school_urn="107958",
            sent_on=date(2026, 3, 2),
            respond_by=date(2026, 3, 17),
        ),
        SchoolConsultationAnswered: SchoolConsultationAnswered(
            **common,
            consultation_id=uuid4(),
            school_urn="107958",
            answer="can_meet_needs",
            answered_on=date(2026, 3, 9),
            in_time=True,
        ),
        FirstSessionArranged: FirstSessionArranged(
            **common,
            allocation_id=uuid4(),
            specialist_id=uuid4(),
            specialism="speech_and_language_therapy",
            session_on=date(2026, 3, 9),
        ),
        EhcAssessmentRequested: EhcAssessmentRequested(
            **ehc, escalated=False, decision_due=date(2026, 2, 16), final_plan_due=date(2026, 5, 25)
        ),
        AssessmentDecided: AssessmentDecided(
            **ehc,
            decision="refuse",
            decided_on=date(2026, 2, 10),
            decision_due=date(2026, 2, 16),
            on_time=True,
            refusal_reason="no_evidence_of_special_educational_needs",
            appeal_by=date(2026, 4, 10),
        ),
        AdviceRequested: AdviceRequested(
            **ehc,
            kinds=["educational_psychology"],
            requested_on=date(2026, 2, 11),
            due_on=date(2026, 3, 25),
        ),
        AdviceReceived: AdviceReceived(
            **ehc,
            kind="educational_psychology",
            received_on=date(2026, 3, 20),
            due_on=date(2026, 3, 25),
            on_time=True,
        ),
        ExistingAdviceAgreed: ExistingAdviceAgreed(
            **ehc, kind="medical", advice_dated=date(2025, 12, 1), agreed_on=date(2026, 2, 12)
        ),
        PlanIssueDecided: PlanIssueDecided(
            **ehc, decision="issue", decided_on=date(2026, 4, 1), not_issue_due=date(2026, 4, 27)
        ),
        DraftPlanIssued: DraftPlanIssued(
            **ehc,
            issued_on=date(2026, 4, 10),
            comments_due=date(2026, 4, 25),
            final_plan_due=date(2026, 5, 25),
        ),
        FinalPlanIssued: FinalPlanIssued(
            **ehc,
            issued_on=date(2026, 5, 20),
            final_plan_due=date(2026, 5, 25),
            within_20_weeks=True,
            with_exceptions=False,
            appeal_by=date(2026, 7, 20),
        ),
        OthersNotified: OthersNotified(
            **ehc,
            step="assessment_decided",
            decision="refuse",
            school_urn="107958",
            school_email="senco@school.example",
            designated_clinical_officer_email="dco@health.example",
            social_care_email="social-care@council.example",
        ),
        StatutoryExceptionRecorded: StatutoryExceptionRecorded(
            **ehc,
            kind="family_away",
            starts_on=date(2026, 1, 10),
            ends_on=date(2026, 2, 20),
            deadlines={"decision": date(2026, 3, 30)},
        ),
        DeadlineAtRisk: DeadlineAtRisk(
            **ehc, **deadline, statutory_due_on=date(2026, 2, 16), days_left=5
        ),
        DeadlineMissed: DeadlineMissed(**ehc, **deadline, statutory_due_on=date(2026, 2, 16)),
        **plan_samples(referral_id),
        ReferralClosed: ReferralClosed(**common, reason="child_moved", closed_on=date(2026, 3, 2)),
        PartnerReferralHeld: PartnerReferralHeld(
            **common,
            held_referral_id=uuid4(),
            partner="west-yorkshire-slt",
            reason="child-details-differ",
            differs=["date_of_birth"],
        ),
        NotificationSent: NotificationSent(
            referral_id=referral_id,
            notification_id=uuid4(),
            channel="log",
            template="specialist-assigned",
            about_event_id=uuid4(),
        ),
        PublicRequestReceived: PublicRequestReceived(
            **common,
            requested_by="parent",
            track="ehc",
            received_on=date(2026, 1, 5),
            ask_to_confirm=True,
        ),
        NotificationDelivered: NotificationDelivered(
            referral_id=referral_id,
            notification_id=uuid4(),
            channel="email",
            template="specialist-assigned",
            about_event_id=uuid4(),
            delivered_at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC),
        ),
        NotificationFailed: NotificationFailed(
            referral_id=referral_id,
            notification_id=uuid4(),
            status="permanent-failure",
            channels_tried=["sms", "email"],
            template="specialist-assigned",
            about_event_id=uuid4(),
        ),
    }
    return samples[event_class]


def sample_topic(event_class: type[DomainEvent]) -> str:
    """Where a sample of ``event_class`` goes: its topic, or for an event to one NHS partner
    the sample partner's own (``nhs.referrals.outcome.west-yorkshire-slt.v1``)."""
    return sample_event(event_class, uuid4()).destination()


def foreign_bodies(event_class: type[DomainEvent], count: int) -> Iterator[bytes]:
    """``count`` wire-ready events of ``event_class`` for referrals nobody knows."""
    for _ in range(count):
        event = sample_event(event_class, uuid4())
        yield wrap(event, source="/elsewhere", local_authority=COUNCIL).model_dump_json().encode()


def referral_request(**child: str) -> dict[str, object]:
    """A valid ``POST /v1/referrals`` body (a Leeds child), with made-up personal details."""
    marker = uuid4().hex[:8]
    return {
        "local_authority": COUNCIL,
        "requested_by": "parent",
        "primary_need": "SLCN",
        "child": {
            "given_name": child.get("given_name", f"Given{marker}"),
            "family_name": child.get("family_name", f"Family{marker}"),
            "date_of_birth": str(date(london_today().year - 6, 5, 1)),
            "nhs_number": demo_nhs_number(),  # one child each: one open referral per child
            "postcode": "LS6 2AB",
        },
        "family_contact": {
            "name": f"Parent{marker}",
            "email": f"parent.{marker}@example.org",
            "phone": "07700 900123",
            "preferred_channel": "email",
        },
    }


def plan_samples(referral_id: UUID) -> dict[type[DomainEvent], DomainEvent]:
    """Every event of a plan's life about ``referral_id``, every field filled in."""
    step = {
        "referral_id": referral_id,
        "local_authority": COUNCIL,
        "plan_id": uuid4(),
        "plan_version": 2,
        "track": "support",
    }
    ehc = {**step, "track": "ehc"}
    return {
        PlanShared: PlanShared(**step, shared_on=date(2026, 2, 2)),
        PlanCommentsReceived: PlanCommentsReceived(
            **step, received_on=date(2026, 2, 9), agreed=False, school_named=False,
            taken_by="family",
        ),
        PlanAgreed: PlanAgreed(
            **step, agreed_on=date(2026, 2, 16), review_due=date(2026, 4, 27)
        ),
        PlanRevised: PlanRevised(**step, reason="edited", sections=["F"], status="draft"),
        PlanIssuedForComment: PlanIssuedForComment(
            **ehc, issued_on=date(2026, 4, 10), comments_until=date(2026, 4, 25),
            final_plan_due=date(2026, 5, 25),
        ),
        PlanFinalised: PlanFinalised(
            **ehc, finalised_on=date(2026, 5, 20), comments_closed_early=False,
            final_plan_due=date(2026, 5, 25), late=False, review_due=date(2027, 5, 20),
        ),
        PlanReviewDue: PlanReviewDue(**step, review_due=date(2026, 4, 27)),
    }  # fmt: skip
