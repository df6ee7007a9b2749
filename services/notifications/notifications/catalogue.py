"""Which events a family (or the council's caseworkers) hear about, and how. Pure.

Wiring another event to a message is one entry here (and its words in ``templates``)::

    DeadlineAtRisk: (
        MessageKind("deadline-at-risk", audience=Audience.CASEWORKER, statutory=True),
        MessageKind("deadline-at-risk-family", council_chooses=True),
    ),

The handlers subscribe to every event named here; the sender does the rest.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.events import DomainEvent, ReferralReceived, ReferralWaitlisted, SpecialistAssigned


class Audience(enum.StrEnum):
    FAMILY = "family"
    CASEWORKER = "caseworker"
    """The council's SEND team mailbox (``caseworker_email`` in its messaging settings)."""


def _no_details(_: Any) -> dict[str, date]:
    return {}


@dataclass(frozen=True)
class MessageKind:
    """One message an event causes."""

    template: str
    """The message's name: its words in ``templates`` and its Notify template ids."""
    audience: Audience = Audience.FAMILY
    statutory: bool = False
    """The law requires it (SEND Regulations 2014): sent even to a family who opted out of
    other messages."""
    council_chooses: bool = False
    """Sent only where the council lists it in ``optional_messages``."""
    details: Callable[[Any], dict[str, date]] = field(default=_no_details)
    """Dates from the event the words need (never personal data: they go into Notify)."""


def _request_dates(event: ReferralReceived) -> dict[str, date]:
    return {
        "received_on": event.received_on,
        "decision_due": event.decision_due,
        "final_plan_due": event.final_plan_due,
    }


CATALOGUE: dict[type[DomainEvent], tuple[MessageKind, ...]] = {
    ReferralReceived: (MessageKind("request-received", details=_request_dates),),
    SpecialistAssigned: (MessageKind("specialist-assigned"),),
    ReferralWaitlisted: (MessageKind("referral-waitlisted"),),
}

KINDS: dict[str, MessageKind] = {
    kind.template: kind for kinds in CATALOGUE.values() for kind in kinds
}
