"""Ways to reach a family. The log channel records that an alert went out, for local runs
and until a council's GOV.UK Notify key is configured."""

from __future__ import annotations

import logging
from typing import Protocol

from notifications.domain import FamilyAlert, FamilyContact

logger = logging.getLogger(__name__)


class FamilyChannel(Protocol):
    name: str

    async def send(self, alert: FamilyAlert, contact: FamilyContact) -> None: ...


class LogChannel:
    """Logs ids only: the message text and the address are personal data."""

    name = "log"

    async def send(self, alert: FamilyAlert, contact: FamilyContact) -> None:
        logger.info(
            "family alert %s (%s) for referral %s via %s",
            alert.id,
            alert.template,
            alert.referral_id,
            contact.preferred_channel,
        )
