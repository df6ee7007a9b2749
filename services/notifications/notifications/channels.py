"""Ways to reach a family. The log channel records that an alert went out, for local runs
and until a council's GOV.UK Notify key is configured."""

from __future__ import annotations

import logging
from typing import Protocol
from uuid import UUID

from notifications.domain import FamilyAlert
from shared.events import FamilyContactRegistered

logger = logging.getLogger(__name__)


class FamilyChannel(Protocol):
    """A message provider. ``send`` is called after the decision to send has committed, with
    the alert id as the provider's reference (never personal data)."""

    name: str

    async def send(self, alert: FamilyAlert, text: str, contact: FamilyContactRegistered) -> None:
        """Hand the message over; raises when the provider did not take it."""

    async def was_sent(self, alert_id: UUID) -> bool:
        """Whether the provider already took a message with this reference: asked before a
        resend, when a sender stopped between handing a message over and recording it."""


class LogChannel:
    """Logs ids only: the message text and the address are personal data. Delivers nothing."""

    name = "log"

    async def send(self, alert: FamilyAlert, text: str, contact: FamilyContactRegistered) -> None:
        logger.info(
            "family alert %s (%s) for referral %s via %s [log channel: nothing delivered]",
            alert.id,
            alert.template,
            alert.referral_id,
            contact.preferred_channel,
        )

    async def was_sent(self, alert_id: UUID) -> bool:
        # A log cannot be asked; a line written twice harms no one.
        return False
