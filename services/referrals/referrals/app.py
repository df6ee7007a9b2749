"""Wires the referrals service. Run with ``uvicorn referrals.app:create_app --factory``."""

from fastapi import FastAPI

from referrals import (
    advisers,
    api,
    caseload,
    closing,
    consultation_api,
    ehc_api,
    family,
    held_referrals,
    representatives,
    schools,
    triage,
)
from referrals.config import ReferralsSettings
from referrals.deadline_warnings import AT_RISK, MISSED
from referrals.deadlines import DeadlineWatch, deadline_kinds
from referrals.documents import api as documents
from referrals.documents import family as family_documents
from referrals.documents import schools as school_documents
from referrals.documents.stores import install_store_errors
from referrals.handlers import subscriptions
from referrals.live import (
    amendment_api,
    ceasing_api,
    phase_transfer_api,
    reassessment_advice_api,
    reassessment_api,
    review_api,
    transfer_api,
)
from referrals.live import api as live_plans
from referrals.live.phase_transfer_watch import TransferWatch
from referrals.live.plan_watch import PlanWatch
from referrals.live.review_watch import ReviewWatch
from referrals.notices.plan_letters import PARKED, PlanLetterPrinter
from referrals.overload import BACKLOG, REFUSED, IntakeOverloadGate, Overload, PipelineBacklog
from referrals.pace import IntakePace
from referrals.partner_asyncapi import described
from referrals.partners import PartnerIntake
from referrals.public import casework, evidence, intake
from referrals.public.admission import SHED, PublicIntake, PublicIntakeGate
from referrals.retention import RetentionJob
from referrals.sen2 import api as sen2
from referrals.state import Referrals, referrals_of
from shared.events import (
    ALL_EVENTS,
    DomainEvent,
    PartnerAdviceRequested,
    PartnerReferralAnswered,
    ReferralRequested,
)
from shared.in_flight import outermost
from shared.lifecycle import ServiceDefinition, create_service_app
from shared.metrics import zero_series
from shared.state import service_state

# Every event the referrals service owns, and the answers it sends NHS partners (on the
# topic partners read, named for them).
PUBLISHES: tuple[type[DomainEvent], ...] = (
    *(event for event in ALL_EVENTS if event.owner == "referrals"),
    PartnerReferralAnswered,
    PartnerAdviceRequested,
)


UPLOADS = (
    r"/v1/referrals/[^/]+/documents",
    r"/v1/school/pupils/[^/]+/documents",
    r"/v1/advisers/[^/]+/advice",
    live_plans.PATH,
    live_plans.OPEN_REQUESTS_PATH,
    r"/v1/public/evidence",
)
"""The routes that take a document: their body may reach MAX_UPLOAD_BYTES."""


def create_app(settings: ReferralsSettings | None = None) -> FastAPI:
    settings = settings or ReferralsSettings()
    retention = RetentionJob(
        years=settings.retention_years_after_birth,
        by_council=settings.retention_years_by_council,
        interval_s=settings.retention_interval_hours * 3600,
    )
    deadlines = DeadlineWatch(
        at_risk_days=settings.deadline_at_risk_days,
        interval_s=settings.deadline_check_interval_s,
        idempotency_key_hours=settings.idempotency_key_hours,
    )
    reviews = ReviewWatch(
        open_days=settings.annual_review_open_days,
        at_risk_days=settings.deadline_at_risk_days,
        interval_s=settings.deadline_check_interval_s,
    )
    transfers_and_reassessments = PlanWatch(
        at_risk_days=settings.deadline_at_risk_days,
        interval_s=settings.deadline_check_interval_s,
    )
    transfers = TransferWatch(
        open_days=settings.phase_transfer_open_days,
        at_risk_days=settings.deadline_at_risk_days,
        interval_s=settings.deadline_check_interval_s,
    )
    plan_letters = PlanLetterPrinter(
        interval_s=settings.plan_letters_interval_s, attempts=settings.plan_letters_attempts
    )
    overload = Overload(
        PublicIntake(
            settings.intake_in_flight, settings.intake_waiting, settings.intake_wait_ms / 1000
        ),
        PipelineBacklog(
            settings.kafka_client_options(),
            namespace=settings.namespace,
            intake_topics=[ReferralRequested.topic(), *settings.partner_inbound_topics()],
            interval_s=settings.intake_backlog_interval_s,
        ),
        backlog_events=settings.intake_backlog_events,
        retry_after_s=settings.intake_retry_after_s,
        pace=IntakePace(settings.intake_retry_after_max_s),
    )
    app = create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=PUBLISHES,
            routers=(
                caseload.router,
                sen2.router,
                api.router,
                ehc_api.router,
                family.router,
                closing.router,
                held_referrals.router,
                schools.router,
                consultation_api.caseworkers,
                consultation_api.schools,
                documents.router,
                school_documents.router,
                family_documents.router,
                advisers.router,
                intake.router,
                evidence.router,
                casework.router,
                representatives.router,
                triage.router,
                live_plans.router,
                review_api.router,
                amendment_api.router,
                ceasing_api.router,
                transfer_api.router,
                reassessment_api.router,
                reassessment_advice_api.router,
                phase_transfer_api.router,
            ),
            workers=(
                retention.run,
                deadlines.run,
                reviews.run,
                transfers_and_reassessments.run,
                transfers.run,
                plan_letters.run,
            ),
            serving=(overload.backlog.run,),  # the intake gate's, in every process
            consumers=(PartnerIntake(settings, overload).subscribe,),
            uploads=UPLOADS,
            own=Referrals.of(settings),
            # The partners' messages, described beyond what FastStream infers from raw bytes.
            describe=lambda generated: described(
                generated, settings.partner_inbound_topic, PartnerReferralAnswered.topic()
            ),
        )
    )
    install_store_errors(app)
    registry = service_state(app).operations.registry
    for metric in (MISSED, AT_RISK):
        registry.register(metric)
        # At 0 for each council served, so the first warning moves the alerts' increase().
        zero_series(metric, settings.councils, deadline_kinds())
    registry.register(intake.PUBLIC_REQUESTS)
    registry.register(SHED)
    registry.register(REFUSED)
    registry.register(BACKLOG)
    registry.register(PARKED)
    zero_series(PARKED, settings.councils)  # so the first letter parked moves increase()
    zero_series(intake.PUBLIC_REQUESTS, intake.OUTCOMES)
    # Added last: outermost, so a flood on the public form is refused before anything else.
    app.add_middleware(
        PublicIntakeGate,
        lanes=referrals_of(service_state(app).own).public_intake,
        path=f"{intake.router.prefix}/requests",
    )
    # Outermost of all, outside OpenTelemetry's middleware and the process's in-flight bound:
    # past either of its bounds no request to take a referral in is read, and its refusal
    # costs no span (at 300/s the process could not refuse as fast as requests came).
    intake_paths = (f"{api.router.prefix}/referrals", f"{intake.router.prefix}/requests")
    outermost(app, lambda inner: IntakeOverloadGate(inner, overload=overload, paths=intake_paths))
    return app
