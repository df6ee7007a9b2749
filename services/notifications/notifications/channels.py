"""Message providers (GOV.UK Notify, the council's mail server, the log) and what they answer.

A provider is called after the decision to send has committed, with the message's id as its
reference (never personal data). It answers ``Accepted``, or raises ``Refused`` (this channel
cannot take the message: a wrong address, a missing template; the next channel is tried) or
``Unavailable`` (down, or limiting us: the message stays queued and goes when it recovers).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from notifications.domain import Channel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message on its way out. ``to`` and ``address_lines`` are personal data: never
    logged, never kept beyond the call."""

    notification_id: UUID
    referral_id: UUID
    channel: Channel
    template: str
    language: str
    fields: dict[str, str]
    to: str | None = None
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Accepted:
    provider_id: str | None
    delivered: bool = False
    """The answer itself says delivered (a mail server taking responsibility for it)."""


@dataclass(frozen=True)
class Remote:
    """The provider's record of a message."""

    provider_id: str
    status: str


class Refused(Exception):
    """The provider will not take this message on this channel."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class Unavailable(Exception):
    """The provider cannot take messages now; try again later."""

    def __init__(
        self,
        reason: str,
        *,
        not_sent: bool,
        rate_limited: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_sent = not_sent
        """Certainly not taken (an error answer); False when the answer was lost (a timeout)."""
        self.rate_limited = rate_limited
        self.retry_after_s = retry_after_s


class CannotTell(Exception):
    """The provider cannot be asked whether it took a message (SMTP)."""


class Provider(Protocol):
    name: str
    limit_key: str | None
    """Key of the limits its replicas share (token bucket, pauses); None: none."""
    rate_per_minute: int | None

    async def send(self, message: Outgoing) -> Accepted: ...

    async def find(self, notification_id: UUID, channel: Channel) -> Remote | None:
        """The message with this reference on ``channel`` if the provider has it; asked
        before sending again a message whose sender stopped mid-way. ``CannotTell`` if it
        cannot be asked."""
        ...

    async def status(self, provider_id: str) -> Remote | None:
        """The provider's current status of a message (polling, should a receipt be lost)."""
        ...


@dataclass
class LogChannel:
    """Logs ids only (the text and the address are personal data). Delivers nothing."""

    name: str = "log"
    limit_key: str | None = None
    rate_per_minute: int | None = None

    async def send(self, message: Outgoing) -> Accepted:
        logger.info(
            "message %s (%s) for referral %s by %s [log channel: nothing delivered]",
            message.notification_id,
            message.template,
            message.referral_id,
            message.channel,
        )
        return Accepted(provider_id=None)

    async def find(self, notification_id: UUID, channel: Channel) -> Remote | None:
        return None  # a log cannot be asked; a line written twice harms no one

    async def status(self, provider_id: str) -> Remote | None:
        return None
