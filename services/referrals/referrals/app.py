"""Wires the referrals service. Run with ``uvicorn referrals.app:create_app --factory``."""

from fastapi import FastAPI

from referrals import api, family
from referrals.config import ReferralsSettings
from referrals.handlers import subscriptions
from referrals.retention import RetentionJob
from shared.events import FamilyContactRegistered, ReferralReceived
from shared.lifecycle import ServiceDefinition, create_service_app


def create_app(settings: ReferralsSettings | None = None) -> FastAPI:
    settings = settings or ReferralsSettings()
    retention = RetentionJob(
        years=settings.retention_years_after_birth,
        interval_s=settings.retention_interval_hours * 3600,
    )
    return create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=(ReferralReceived, FamilyContactRegistered),
            routers=(api.router, family.router),
            workers=(retention.run,),
        )
    )
