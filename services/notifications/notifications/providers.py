"""Each council's providers, built once from its messaging settings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from notifications.catalogue import Audience
from notifications.channels import LogChannel, Outgoing, Provider
from notifications.config import CouncilMessaging, NotificationsSettings
from notifications.deliveries import Claimed
from notifications.domain import Policy, Reach, Send, reference
from notifications.notify import NotifyChannel
from notifications.smtp import SmtpChannel
from notifications.templates import personalisation


@dataclass
class Council:
    settings: CouncilMessaging
    policy: Policy
    providers: dict[str, Provider]

    def provider(self, name: str) -> Provider:
        found = self.providers.get(name)
        if found is None:  # an attempt made under settings since changed
            raise LookupError(f"provider {name!r} is no longer configured for this council")
        return found

    def reach(self, item: Claimed) -> Reach:
        """How to reach the message's recipient, and what they chose."""
        if item.alert.audience is Audience.CASEWORKER:
            return Reach(email=self.settings.caseworker_email, preferred="email")
        if item.alert.audience is Audience.TEAM:
            return Reach(email=item.alert.team_email, preferred="email")
        if item.alert.audience is Audience.ADVISER:
            # Not listed, or a health body reached as an NHS partner: no address (withheld).
            adviser = self.settings.advisers.get(item.alert.recipient)
            email = adviser.email if adviser is not None and adviser.via == "email" else None
            return Reach(email=email, preferred="email")
        contact, chosen = item.contact, item.preferences
        if contact is None:
            return Reach()
        return Reach(
            email=contact.email,
            phone=contact.phone,
            address_lines=tuple(contact.address_lines),
            preferred=chosen.get("channel") or contact.preferred_channel,
            language=chosen.get("language") or "en",
            statutory_only=bool(chosen.get("statutory_only")),
            young_person=item.young_person,
            representative=contact.representative,
        )

    def outgoing(self, item: Claimed, send: Send, link: str) -> Outgoing:
        """The message ``item`` going out as ``send`` says, with the family's ``link``."""
        alert, reach = item.alert, self.reach(item)
        # The family's language where the council has this message in it, else English: the
        # words and the phrases in them (a reason, a deadline) in one language.
        language = self.settings.language_for(reach.language, send.channel, alert.template)
        return Outgoing(
            notification_id=alert.id,
            referral_id=alert.referral_id,
            channel=send.channel,
            template=alert.template,
            language=language,
            fields=personalisation(
                reference=reference(alert.referral_id),
                link=link,
                young_person=reach.young_person,
                representative=reach.representative,
                details=dict(alert.details),
                language=language,
            ),
            to=reach.email if send.channel == "email" else reach.phone,
            address_lines=reach.address_lines if send.channel == "letter" else (),
        )


@dataclass
class Councils:
    """The providers of every council, by ONS code (``'*'`` settings for the rest)."""

    settings: NotificationsSettings
    _built: dict[str, Council] = field(default_factory=dict)
    overrides: dict[str, Provider] = field(default_factory=dict)
    """Providers by name used instead of building them (tests, a local Notify server)."""
    _notify_calls: ThreadPoolExecutor | None = None
    """The threads every council's Notify client calls from (the client is synchronous): as
    many as the sender hands over at once (``SENDING_CONCURRENCY``), made when first needed."""

    def council(self, code: str) -> Council:
        found = self._built.get(code)
        if found is None:
            found = self._build(self.settings.messaging_for(code))
            self._built[code] = found
        return found

    def _build(self, messaging: CouncilMessaging) -> Council:
        providers: dict[str, Provider] = {}
        for name in set(messaging.channels().values()):
            providers[name] = self.overrides.get(name) or self._provider(name, messaging)
        return Council(messaging, messaging.policy(), providers)

    def _provider(self, name: str, messaging: CouncilMessaging) -> Provider:
        if name == "notify" and messaging.notify_api_key is not None:
            if self._notify_calls is None:
                self._notify_calls = ThreadPoolExecutor(
                    max_workers=self.settings.sending_concurrency, thread_name_prefix="notify"
                )
            return NotifyChannel(
                messaging.notify_api_key,
                templates=messaging.notify_templates,
                base_url=messaging.notify_base_url,
                timeout_s=self.settings.notify_timeout_s,
                rate_per_minute=self.settings.notify_rate_limit_per_minute,
                calls=self._notify_calls,
            )
        if name == "smtp" and messaging.smtp is not None:
            return SmtpChannel(messaging.smtp)
        return LogChannel()
