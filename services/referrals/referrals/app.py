"""Wires the referrals service. Run with ``uvicorn referrals.app:create_app --factory``."""

from fastapi import FastAPI

from referrals import api, handlers
from referrals.config import ReferralsSettings
from shared.events import FamilyContactRegistered, ReferralReceived
from shared.runtime import ServiceRuntime


def create_app(settings: ReferralsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings or ReferralsSettings(),
        title="SEND referrals",
        description="Takes in requests for support and shows where each one stands.",
    )
    handlers.register(runtime)
    runtime.publishes(ReferralReceived, FamilyContactRegistered)
    runtime.http_app.include_router(api.router(runtime))
    return runtime.http_app
