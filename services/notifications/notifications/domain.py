"""What a family is told, through which channel, and when. Pure.

For each message the sender asks ``next_step``: withhold it (a family who opted out of
non-statutory messages), hold it (quiet hours for texts), send it through the next channel
(the family's preferred one first, then the council's fallback order), wait (a channel tried
earlier may still deliver), or give up (no channel left).

(Longer than most modules: the channel decision and what it weighs (opt-outs, quiet hours,
fallbacks, receipts) are one pure decision, tested together.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from notifications.catalogue import KINDS, Audience, Detail, MessageKind
from shared.events import (
    DomainEvent,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    StatutoryStep,
)

Channel = Literal["email", "sms", "letter"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "letter")
FAILURES = ("permanent-failure", "temporary-failure", "technical-failure")
IN_FLIGHT = ("sending", "sent")


Stored = str | list[str] | dict[str, str]


def stored(detail: Detail) -> Stored:
    """A detail as JSON holds it: dates in ISO form."""
    if isinstance(detail, date):
        return detail.isoformat()
    if isinstance(detail, dict):
        return {k: v.isoformat() for k, v in detail.items()}
    return detail


@dataclass(frozen=True)
class FamilyAlert:
    """One message about one event, to a family or to the council's caseworkers."""

    id: UUID
    referral_id: UUID
    about_event_id: UUID
    template: str
    local_authority: str
    audience: Audience = Audience.FAMILY
    statutory: bool = False
    details: Mapping[str, Stored] = field(default_factory=dict)
    """What the words need, as stored in JSON: ISO dates (``decision_due``...) and codes."""
    team_email: str | None = None
    """A specialist team's message: the team's own mailbox (never a family's address)."""
    recipient: str = ""
    """Which of the audience: an adviser's kind of advice (``educational_psychology``)."""


def alerts_for(
    event: DomainEvent, kinds: Sequence[MessageKind], *, event_id: UUID, local_authority: str
) -> list[FamilyAlert]:
    """The messages ``event`` causes: one per kind that applies to it. None for a step taken
    in the council's earlier system (an imported open request): the family, the advisers and
    the team were told then."""
    if isinstance(event, StatutoryStep) and event.earlier_system:
        return []
    return [
        FamilyAlert(
            id=uuid4(),
            referral_id=event.referral_id,
            about_event_id=event_id,
            template=kind.template,
            local_authority=local_authority,
            audience=kind.audience,
            statutory=kind.statutory,
            details={k: stored(v) for k, v in kind.details(event).items()},
            team_email=kind.to(event),
            recipient=kind.recipient,
        )
        for kind in kinds
        if kind.when(event)
    ]


def queued(alert: FamilyAlert, *, family_reachable: bool) -> bool:
    """Whether ``alert`` is queued for the sender at once: the SEND team's, a specialist
    team's and an adviser's always; a family's once their contact and their request are both
    known (else it awaits them)."""
    return family_reachable or alert.audience is not Audience.FAMILY


@dataclass(frozen=True)
class Reach:
    """How the recipient can be reached and what they chose."""

    email: str | None = None
    phone: str | None = None
    address_lines: tuple[str, ...] = ()
    preferred: Channel | None = None
    language: str = "en"
    statutory_only: bool = False
    young_person: bool = False
    """The young person asked for help themselves: the words say "you"."""
    representative: bool = False
    """The recipient represents a young person who lacks mental capacity (s80): the words
    speak of "the young person"."""

    def can_use(self, channel: Channel) -> bool:
        if channel == "email":
            return bool(self.email)
        if channel == "sms":
            return bool(self.phone)
        return len(self.address_lines) >= 3  # Notify: at least 2 lines and a postcode


@dataclass(frozen=True)
class Policy:
    """A council's choices (from its messaging settings)."""

    providers: Mapping[Channel, str]
    """The channels it uses and the provider of each: ``{"email": "notify", "sms": "notify"}``."""
    fallback_order: tuple[Channel, ...] = ("email", "sms", "letter")
    fallback_after: timedelta = timedelta(hours=24)
    quiet_hours: tuple[time, time] | None = (time(21), time(8))
    quiet_channels: frozenset[Channel] = frozenset({"sms"})
    timezone: str = "Europe/London"
    optional_messages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Tried:
    channel: Channel
    status: str


@dataclass(frozen=True)
class Send:
    channel: Channel
    provider: str
    fallback_at: datetime | None
    """Not delivered by then: the next channel (None: no other channel left)."""


@dataclass(frozen=True)
class Hold:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Withhold:
    reason: str


@dataclass(frozen=True)
class Wait:
    """Every channel has been tried and one may still deliver."""


@dataclass(frozen=True)
class GiveUp:
    status: str
    channels_tried: tuple[str, ...]


Decision = Send | Hold | Withhold | Wait | GiveUp


def channel_plan(reach: Reach, policy: Policy) -> list[Channel]:
    """The channels to try, in order: the preferred one, then the council's fallback order,
    each only if the council uses it and the recipient can be reached on it."""
    order = ([reach.preferred] if reach.preferred else []) + list(policy.fallback_order)
    plan: list[Channel] = []
    for channel in order:
        if channel not in plan and channel in policy.providers and reach.can_use(channel):
            plan.append(channel)
    return plan


def quiet_until(now: datetime, policy: Policy, channel: Channel) -> datetime | None:
    """When quiet hours end, if ``now`` is inside them for ``channel``; else None."""
    if policy.quiet_hours is None or channel not in policy.quiet_channels:
        return None
    start, end = policy.quiet_hours
    zone = ZoneInfo(policy.timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day: date = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


def next_step(
    alert: FamilyAlert, reach: Reach, policy: Policy, tried: Sequence[Tried], now: datetime
) -> Decision:
    """What to do with ``alert`` now, given the channels already ``tried``."""
    kind = KINDS.get(alert.template)
    if kind is not None and kind.council_chooses and alert.template not in policy.optional_messages:
        return Withhold("the council does not send this message")
    if alert.audience is Audience.FAMILY and reach.statutory_only and not alert.statutory:
        return Withhold("the family opted out of non-statutory messages")
    if alert.audience is Audience.ADVISER and not reach.email:
        # Not in the council's settings, or a health body reached as an NHS partner (a FHIR Task).
        return Withhold("the council's settings give no email for this adviser")
    used = {t.channel for t in tried}
    remaining = [c for c in channel_plan(reach, policy) if c not in used]
    if remaining:
        channel = remaining[0]
        held = quiet_until(now, policy, channel)
        if held is not None:
            return Hold(held, "quiet-hours")
        fallback_at = now + policy.fallback_after if len(remaining) > 1 else None
        return Send(channel, policy.providers[channel], fallback_at)
    if any(t.status in IN_FLIGHT for t in tried):
        return Wait()
    last = tried[-1].status if tried else "permanent-failure"
    return GiveUp(
        last if last in FAILURES else "permanent-failure", tuple(t.channel for t in tried)
    )


def reference(referral_id: UUID) -> str:
    """The short reference families see (the same as on the family view)."""
    return str(referral_id)[:8].upper()


def _audience(alert: FamilyAlert) -> Literal["family", "caseworker", "adviser"]:
    """Who it went to, on the events: referrals records the team's (the SEND team's or a
    specialist team's) and an adviser's messages as theirs, never as the family's ("family
    notified" would claim the family heard)."""
    if alert.audience is Audience.FAMILY:
        return "family"
    return "adviser" if alert.audience is Audience.ADVISER else "caseworker"


def sent(alert: FamilyAlert, channel: str) -> NotificationSent:
    return NotificationSent(
        referral_id=alert.referral_id,
        notification_id=alert.id,
        channel=channel,
        template=alert.template,
        about_event_id=alert.about_event_id,
        audience=_audience(alert),
    )


def sent_events(alert: FamilyAlert, channel: str) -> list[DomainEvent]:
    """*Notification sent*, for a message to the family only: the family's timeline's step
    ("We sent you a message about this"). Of a message to a team or an adviser no one acts on
    it (referrals records such a message's delivery as the team's step, never its sending),
    and in a referral's journey those were half the *sent* events: each published, consumed,
    and dropped (issue #25)."""
    return [sent(alert, channel)] if alert.audience is Audience.FAMILY else []


def delivered(alert: FamilyAlert, channel: str, at: datetime) -> NotificationDelivered:
    return NotificationDelivered(
        referral_id=alert.referral_id,
        notification_id=alert.id,
        channel=channel,
        template=alert.template,
        about_event_id=alert.about_event_id,
        delivered_at=at,
        audience=_audience(alert),
    )


def failed(alert: FamilyAlert, give_up: GiveUp) -> NotificationFailed:
    return NotificationFailed(
        referral_id=alert.referral_id,
        notification_id=alert.id,
        status=give_up.status,
        channels_tried=list(give_up.channels_tried),
        template=alert.template,
        about_event_id=alert.about_event_id,
        audience=_audience(alert),
    )
