"""Wires the plans service. Run with ``uvicorn plans.app:create_app --factory``."""

from fastapi import FastAPI

from plans import api, handlers
from plans.config import PlansSettings
from shared.events import PlanDrafted
from shared.runtime import ServiceRuntime


def create_app(settings: PlansSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings or PlansSettings(),
        title="SEND support plans",
        description="Drafts each child's personal support plan against the national standards.",
    )
    handlers.register(runtime)
    runtime.publishes(PlanDrafted)
    runtime.http_app.include_router(api.router(runtime))
    return runtime.http_app
