"""Wires the plans service. Run with ``uvicorn plans.app:create_app --factory``."""

from fastapi import FastAPI

from plans import api, family_api, transitions_api
from plans.config import PlansSettings
from plans.handlers import subscriptions
from plans.reviews import ReviewWatch
from shared.events import ALL_EVENTS
from shared.lifecycle import ServiceDefinition, create_service_app

PUBLISHES = tuple(event for event in ALL_EVENTS if event.owner == "plans")


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    settings = settings or PlansSettings()
    reviews = ReviewWatch(interval_s=settings.review_check_interval_s)
    return create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=PUBLISHES,
            routers=(api.router, transitions_api.router, family_api.router),
            workers=(reviews.run,),
        )
    )
