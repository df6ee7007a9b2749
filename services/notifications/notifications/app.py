"""Wires the notifications service. Run with
``uvicorn notifications.app:create_app --factory``."""

from datetime import timedelta

from fastapi import FastAPI

from notifications import api, receipts
from notifications.catalogue import Audience
from notifications.channels import Provider
from notifications.config import NotificationsSettings
from notifications.domain import FamilyAlert
from notifications.handlers import subscriptions
from notifications.providers import Councils
from notifications.receipt_batches import ReceiptBatches
from notifications.receipts import ReceiptPoller
from notifications.sender import AlertSender, Clock, utc_now
from notifications.state import Notifications
from shared import adviser_links
from shared.events import NotificationDelivered, NotificationFailed, NotificationSent
from shared.family_links import CONFIRMATION_AUDIENCE, mint
from shared.lifecycle import ServiceDefinition, create_service_app

CONFIRM_REQUEST = "confirm-request"
"""The message whose link confirms a request made on the public form (``catalogue``)."""


def create_app(
    settings: NotificationsSettings | None = None,
    providers: dict[str, Provider] | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """The service; ``providers`` replace the configured ones by name (tests)."""
    settings = settings or NotificationsSettings()
    councils = Councils(settings, overrides=providers or {})

    def link_for(alert: FamilyAlert, generation: int) -> str:
        """The link in ``alert``'s message: a family's is of the referral's link
        ``generation`` as heard of here (``FamilyLinksRevoked``)."""
        if alert.audience is Audience.CASEWORKER:
            return settings.caseworker_view_url.format(referral_id=alert.referral_id)
        if alert.audience is Audience.TEAM:
            return settings.team_caseload_url
        if alert.audience is Audience.ADVISER:
            token = adviser_links.mint(
                settings.family_link_key,
                referral_id=alert.referral_id,
                local_authority=alert.local_authority,
                kind=alert.recipient,
                valid_for=timedelta(days=settings.adviser_link_days),
            )
            return settings.adviser_view_url.format(token=token)
        if alert.template == CONFIRM_REQUEST:  # not a family link: it opens nothing else
            token = mint(
                settings.family_link_key,
                referral_id=alert.referral_id,
                local_authority=alert.local_authority,
                valid_for=timedelta(days=settings.family_link_days),
                audience=CONFIRMATION_AUDIENCE,
            )
            return settings.request_confirm_url.format(token=token)
        token = mint(
            settings.family_link_key,
            referral_id=alert.referral_id,
            local_authority=alert.local_authority,
            valid_for=timedelta(days=settings.family_link_days),
            generation=generation,
        )
        return settings.family_view_url.format(token=token)

    def notify_of(council: str) -> Provider | None:
        return councils.council(council).providers.get("notify")

    sender = AlertSender(
        councils,
        link_for=link_for,
        database_url=settings.database_url,
        poll_interval_s=settings.outbox_poll_interval_s,
        lease=timedelta(seconds=settings.sending_lease_s),
        clock=clock,
    )
    poller = ReceiptPoller(
        notify_of,
        after=timedelta(seconds=settings.notify_poll_after_s),
        interval_s=settings.notify_poll_interval_s,
        burst=settings.notify_burst,
        clock=clock,
    )
    app = create_service_app(
        ServiceDefinition(
            settings=settings,
            subscriptions=subscriptions,
            publishes=(NotificationSent, NotificationDelivered, NotificationFailed),
            routers=(api.router,),  # and the receipts', first (below)
            # A receipt's events continue its message's trace; its request's own span, a
            # trace of one from Notify, was ~4.5% of the service's CPU (#25).
            untraced=(receipts.UNTRACED,),
            # Their bearer is Notify's callback token, never a sign-in token: counted by
            # address without trying it as one (~20% of a receipt's HTTP path, #25).
            callbacks=(receipts.RECEIPTS,),
            workers=(sender.run, poller.run),
            own=Notifications.of(settings, sender, ReceiptBatches()),
        )
    )
    # GOV.UK Notify's receipts come by the thousand (one a message sent): their route is the
    # first a request is matched against, not the last after the docs', operations', audit's
    # and caseworkers' routes (~55 us of CPU a receipt, ~15% of its HTTP part, #25). No other
    # route has its path, so no request is answered by another route than before.
    app.include_router(receipts.router)
    app.router.routes.insert(0, app.router.routes.pop())
    return app
