"""Wires the specialists service. Run with ``uvicorn specialists.app:create_app --factory``."""

from fastapi import FastAPI

from shared.events import ReferralWaitlisted, SpecialistAssigned
from shared.runtime import ServiceRuntime
from specialists import api, handlers
from specialists.config import SpecialistsSettings


def create_app(settings: SpecialistsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings or SpecialistsSettings(),
        title="SEND specialists",
        description="Matches each drafted plan to a specialist close to home, or waitlists it.",
    )
    handlers.register(runtime)
    runtime.publishes(SpecialistAssigned, ReferralWaitlisted)
    runtime.http_app.include_router(api.router(runtime))
    return runtime.http_app
