"""Wires the notifications service. Run with
``uvicorn notifications.app:create_app --factory``."""

from datetime import timedelta

from fastapi import FastAPI

from notifications import api
from notifications.channels import FamilyChannel, LogChannel
from notifications.config import NotificationsSettings
from notifications.handlers import subscriptions
from notifications.sender import AlertSender
from shared.events import NotificationSent
from shared.lifecycle import ServiceDefinition, create_service_app


def create_app(
    settings: NotificationsSettings | None = None, channel: FamilyChannel | None = None
) -> FastAPI:
    settings = settings or NotificationsSettings()
    sender = AlertSender(
        channel or LogChannel(),
        tracking_url=settings.tracking_url,
        database_url=settings.database_url,
        poll_interval_s=settings.outbox_poll_interval_s,
        lease=timedelta(seconds=settings.sending_lease_s),
    )
    return create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=(NotificationSent,),
            routers=(api.router,),
            workers=(sender.run,),
        )
    )
