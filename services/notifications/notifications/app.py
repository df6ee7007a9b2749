"""Wires the notifications service. Run with
``uvicorn notifications.app:create_app --factory``."""

from datetime import timedelta

from fastapi import FastAPI

from notifications import api
from notifications.channels import FamilyChannel, LogChannel
from notifications.config import NotificationsSettings
from notifications.domain import FamilyAlert
from notifications.handlers import subscriptions
from notifications.sender import AlertSender
from shared.events import NotificationSent
from shared.family_links import mint
from shared.lifecycle import ServiceDefinition, create_service_app


def create_app(
    settings: NotificationsSettings | None = None, channel: FamilyChannel | None = None
) -> FastAPI:
    settings = settings or NotificationsSettings()

    def link_for(alert: FamilyAlert) -> str:
        token = mint(
            settings.family_link_key,
            referral_id=alert.referral_id,
            local_authority=alert.local_authority,
            valid_for=timedelta(days=settings.family_link_days),
        )
        return settings.family_view_url.format(token=token)

    sender = AlertSender(
        channel or LogChannel(),
        link_for=link_for,
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
