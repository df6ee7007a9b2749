"""The notifications service's own part of its state (``shared.state``): what its routes reach
through ``state_of``, from the settings ``create_app`` was given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from pydantic import SecretStr

from notifications.config import NotificationsSettings
from shared.state import on_loop, own_state

if TYPE_CHECKING:  # the sender records receipts, whose route reads this state
    from notifications.receipt_batches import ReceiptBatches
    from notifications.sender import AlertSender


@dataclass(frozen=True)
class Notifications:
    """What notifications' routes read beside the shared state."""

    notify_callback_tokens: dict[str, SecretStr]
    """Each council's GOV.UK Notify callback token (the delivery receipts' bearer)."""
    settings: NotificationsSettings
    """Each council's messaging (``messaging_languages``)."""
    sender: AlertSender
    receipts: ReceiptBatches
    """The delivery receipts waiting to be committed together (``receipt_batches``)."""

    @classmethod
    def of(
        cls, settings: NotificationsSettings, sender: AlertSender, receipts: ReceiptBatches
    ) -> Notifications:
        return cls(
            notify_callback_tokens={
                council: messaging.notify_callback_token
                for council, messaging in settings.council_messaging.items()
                if messaging.notify_callback_token is not None
            },
            settings=settings,
            sender=sender,
            receipts=receipts,
        )

    def messaging_languages(self, council: str) -> frozenset[str]:
        """The languages ``council`` has messages in."""
        return self.settings.messaging_for(council).languages()


state_of = own_state(Notifications)

State = Annotated[Notifications, Depends(on_loop(state_of))]
