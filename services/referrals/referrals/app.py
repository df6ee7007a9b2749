"""Wires the referrals service. Run with ``uvicorn referrals.app:create_app --factory``."""

from fastapi import FastAPI

from referrals import api
from referrals.config import ReferralsSettings
from referrals.handlers import subscriptions
from shared.events import FamilyContactRegistered, ReferralReceived
from shared.lifecycle import ServiceDefinition, create_service_app


def create_app(settings: ReferralsSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceDefinition(
            settings=settings or ReferralsSettings(),
            subscriptions=subscriptions,
            publishes=(ReferralReceived, FamilyContactRegistered),
            routers=(api.router,),
        )
    )
