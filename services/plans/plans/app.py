"""Wires the plans service. Run with ``uvicorn plans.app:create_app --factory``."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from plans import api, family_page, standards_api
from plans.config import PlansSettings
from plans.family_access import FamilyLinkRefused
from plans.handlers import subscriptions
from plans.plan_pages import STATIC
from shared.events import PlanDrafted
from shared.lifecycle import ServiceDefinition, create_service_app


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    settings = settings or PlansSettings()
    app = create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=(PlanDrafted,),
            routers=(api.router, standards_api.router, family_page.router),
        )
    )
    app.state.council_contacts = settings.council_contacts
    app.add_exception_handler(FamilyLinkRefused, family_page.refused)
    # The family page's stylesheets (govuk-frontend, vendored, and its own), under /v1 as
    # everything the ingress lets in is.
    app.mount("/v1/static", StaticFiles(directory=STATIC), name="static")
    return app
