"""Wires the specialists service. Run with ``uvicorn specialists.app:create_app --factory``."""

from fastapi import FastAPI

from shared.events import ReferralWaitlisted, SpecialistAssigned
from shared.lifecycle import ServiceDefinition, create_service_app
from specialists import api
from specialists.config import SpecialistsSettings
from specialists.handlers import subscriptions


def create_app(settings: SpecialistsSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceDefinition(
            settings=settings or SpecialistsSettings(),
            subscriptions=subscriptions,
            publishes=(SpecialistAssigned, ReferralWaitlisted),
            routers=(api.router,),
        )
    )
