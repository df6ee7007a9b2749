"""Wires the specialists service. Run with ``uvicorn specialists.app:create_app --factory``."""

from fastapi import FastAPI

from shared.events import (
    AllocationEnded,
    ReferralWaitlisted,
    SpecialistAssigned,
    SpecialistsMatched,
)
from shared.lifecycle import ServiceDefinition, create_service_app
from shared.state import service_state
from specialists import api, report_api
from specialists.allocating import GAPS, WAITS
from specialists.config import SpecialistsSettings
from specialists.handlers import subscriptions
from specialists.periodic import keep_the_waitlist_moving
from specialists.registry import api as registry_api
from specialists.registry import csv_api, sharing_api


def create_app(settings: SpecialistsSettings | None = None) -> FastAPI:
    settings = settings or SpecialistsSettings()
    app = create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=(SpecialistAssigned, ReferralWaitlisted, SpecialistsMatched, AllocationEnded),
            routers=(  # the registry's fixed paths before /registry/{entry_id}
                api.router,
                csv_api.router,
                sharing_api.router,
                registry_api.router,
                report_api.router,
            ),
            workers=(keep_the_waitlist_moving(settings.waitlist_interval_s),),
        )
    )
    registry = service_state(app).operations.registry
    for metric in (WAITS, GAPS):
        registry.register(metric)
    return app
