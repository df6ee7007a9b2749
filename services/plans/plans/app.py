"""Wires the plans service. Run with ``uvicorn plans.app:create_app --factory``."""

from datetime import timedelta

from fastapi import FastAPI

from plans import api, ehc_plan_api, plan_pdf_api, schools, standards_api, transitions_api
from plans.config import PlansSettings
from plans.family import comments as family_comments
from plans.family import page as family_page
from plans.family.access import FamilyLinkRefused
from plans.handlers import subscriptions
from plans.late_words import LateWordsWatch
from plans.reviews import ReviewWatch
from plans.state import Plans
from shared.events import ALL_EVENTS
from shared.lifecycle import ServiceDefinition, create_service_app

PUBLISHES = tuple(event for event in ALL_EVENTS if event.owner == "plans")


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    settings = settings or PlansSettings()
    reviews = ReviewWatch(interval_s=settings.review_check_interval_s)
    late_words = LateWordsWatch(
        wait=timedelta(seconds=settings.described_wait_s),
        interval_s=min(60.0, settings.described_wait_s),
    )
    app = create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=PUBLISHES,
            routers=(
                api.router,
                transitions_api.router,
                ehc_plan_api.router,
                family_comments.router,
                standards_api.router,
                family_page.router,
                plan_pdf_api.router,
                schools.router,
            ),
            workers=(reviews.run, late_words.run),
            own=Plans.of(settings),
        )
    )
    app.add_exception_handler(FamilyLinkRefused, family_page.refused)
    return app
