"""What a family is told, and when. Pure.

Messages say what happened and where to look, never the child's details (GOV.UK Notify good
practice): the family already knows their child, and a message can be read by others.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from shared.events import DomainEvent, NotificationSent, ReferralWaitlisted, SpecialistAssigned

TEMPLATES: dict[type[DomainEvent], tuple[str, str]] = {
    SpecialistAssigned: (
        "specialist-assigned",
        "Good news: a specialist has been matched to support your child (referral {ref}). "
        "They will contact you to arrange a first session. Follow progress at {link}.",
    ),
    ReferralWaitlisted: (
        "referral-waitlisted",
        "Your child's referral {ref} has a draft support plan. Every local specialist of the "
        "right kind is full just now, so your child is on the waiting list; we will tell you "
        "as soon as a place frees up. Follow progress at {link}.",
    ),
}
_TEXT = dict(TEMPLATES.values())


@dataclass(frozen=True)
class FamilyAlert:
    """One message to a family about one event."""

    id: UUID
    referral_id: UUID
    about_event_id: UUID
    template: str
    local_authority: str


def alert_for(event: DomainEvent, *, event_id: UUID, local_authority: str) -> FamilyAlert:
    """The alert a family gets for ``event`` (one of ``TEMPLATES``)."""
    return FamilyAlert(
        id=uuid4(),
        referral_id=event.referral_id,
        about_event_id=event_id,
        template=TEMPLATES[type(event)][0],
        local_authority=local_authority,
    )


def render(alert: FamilyAlert, *, link: str) -> str:
    """The message text: what happened, the referral's short reference, and the family's link."""
    return _TEXT[alert.template].format(ref=str(alert.referral_id)[:8].upper(), link=link)


def sent(alert: FamilyAlert, channel: str) -> NotificationSent:
    return NotificationSent(
        referral_id=alert.referral_id,
        notification_id=alert.id,
        channel=channel,
        template=alert.template,
        about_event_id=alert.about_event_id,
    )
