"""Wires the notifications service. Run with
``uvicorn notifications.app:create_app --factory``."""

from fastapi import FastAPI

from notifications import api, handlers
from notifications.channels import LogChannel
from notifications.config import NotificationsSettings
from shared.events import NotificationSent
from shared.runtime import ServiceRuntime


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(
        settings,
        title="SEND notifications",
        description="Tells families what happened and where to look.",
    )
    handlers.register(runtime, LogChannel(), settings.tracking_url)
    runtime.publishes(NotificationSent)
    runtime.http_app.include_router(api.router(runtime))
    return runtime.http_app
