"""Wires the plans service. Run with ``uvicorn plans.app:create_app --factory``."""

from fastapi import FastAPI

from plans import api, standards_api
from plans.config import PlansSettings
from plans.handlers import subscriptions
from shared.events import PlanDrafted
from shared.lifecycle import ServiceDefinition, create_service_app


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceDefinition(
            settings=settings or PlansSettings(),
            subscriptions=subscriptions,
            publishes=(PlanDrafted,),
            routers=(api.router, standards_api.router),
        )
    )
