"""Settings of the notifications service (environment variables).

(Longer than most modules: each council's messaging (channels, Notify template ids for
every message and language, quiet hours, fallback) is checked here at start-up, so a missing
template stops the service with its name rather than failing a family's message later.)
"""

from datetime import time, timedelta
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from notifications.catalogue import KINDS
from notifications.domain import Channel, Policy
from notifications.templates import DEFAULT_LANGUAGE, TEXTS
from shared.environment import is_https
from shared.services import SERVICES, Service
from shared.settings import ServiceSettings

NOTIFY_API = "https://api.notifications.service.gov.uk"


class SmtpServer(BaseModel):
    """The council's own mail server (for councils without GOV.UK Notify)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: int = 587
    starttls: bool = Field(default=True, description="Upgrade with STARTTLS before signing in")
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(description="The From address, e.g. send-team@council.gov.uk")
    ca_file: str | None = Field(
        default=None, description="CA bundle to trust for the server's certificate"
    )
    timeout_s: float = Field(default=30, gt=0)


class Adviser(BaseModel):
    """How the council asks one kind of adviser for advice (Reg 6): by email to ``email`` (a
    message with the adviser's own link), or, for a health body connected as an NHS partner,
    ``nhs_partner`` (a FHIR Task over Kafka, not a message from here)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    via: Literal["email", "nhs_partner"] = "email"
    email: str | None = Field(default=None, description="The adviser's (or their team's) address")

    @model_validator(mode="after")
    def _reachable(self) -> "Adviser":
        if self.via == "email" and not self.email:
            raise ValueError("email: needed for an adviser reached by email")
        return self


class CouncilMessaging(BaseModel):
    """How one council reaches families: which provider carries each channel, its GOV.UK Notify
    key and template ids, the fallback order and delay, and its quiet hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Literal["notify", "smtp", "log"] | None = "log"
    sms: Literal["notify", "log"] | None = "log"
    letter: Literal["notify", "log"] | None = None
    fallback_order: tuple[Channel, ...] = ("email", "sms", "letter")
    fallback_after_s: float = Field(
        default=24 * 3600,
        gt=0,
        description="A message not delivered this long after it was sent goes again through "
        "the next channel the family can be reached on",
    )
    notify_api_key: SecretStr | None = Field(
        default=None, description="The Notify service's API key (live, team or test)"
    )
    notify_base_url: str = NOTIFY_API
    notify_callback_token: SecretStr | None = Field(
        default=None,
        description="The bearer token set for delivery receipts in Notify's Callbacks settings",
    )
    notify_templates: dict[str, dict[Channel, dict[str, UUID]]] = Field(
        default_factory=dict,
        description="Template ids by language, channel and message: "
        '{"en": {"email": {"specialist-assigned": "<uuid>", ...}, "sms": {...}}}',
    )
    smtp: SmtpServer | None = None
    quiet_hours: tuple[time, time] | None = Field(
        default=(time(21), time(8)),
        description="No messages on the quiet channels between these local times (queued "
        "until the end); null for none",
    )
    quiet_channels: frozenset[Channel] = frozenset({"sms"})
    timezone: str = "Europe/London"
    caseworker_email: str | None = Field(
        default=None, description="The SEND team mailbox that caseworker messages go to"
    )
    optional_messages: frozenset[str] = Field(
        default=frozenset(),
        description="Messages the council chooses to send (e.g. deadline-at-risk-family)",
    )
    advisers: dict[str, Adviser] = Field(
        default_factory=dict,
        description="Who gives each kind of advice (Reg 6), by kind: "
        '{"educational_psychology": {"email": "ep-team@council.gov.uk"}, '
        '"medical": {"via": "nhs_partner"}}; a kind not listed gets no message',
    )

    @model_validator(mode="after")
    def _complete(self) -> "CouncilMessaging":
        channels = self.channels()
        if "notify" in channels.values():
            if self.notify_api_key is None:
                raise ValueError("notify_api_key: needed when a channel uses notify")
            english = self.notify_templates.get("en", {})
            missing = [
                f"{channel}/{template}"
                for channel, provider in channels.items()
                if provider == "notify"
                for template, kind in KINDS.items()
                # A message the council does not choose is never sent: it needs no template;
                # nor does a message to the SEND team on a channel other than email.
                if not kind.council_chooses or template in self.optional_messages
                if channel in kind.channels
                if template not in english.get(channel, {})
            ]
            if missing:
                raise ValueError(f"notify_templates.en: no template id for {', '.join(missing)}")
        if "smtp" in channels.values() and self.smtp is None:
            raise ValueError("smtp: needed when email uses smtp")
        return self

    def channels(self) -> dict[Channel, str]:
        chosen: dict[Channel, str | None] = {
            "email": self.email, "sms": self.sms, "letter": self.letter,
        }  # fmt: skip
        return {c: p for c, p in chosen.items() if p is not None}

    def languages(self) -> frozenset[str]:
        """The languages a family may choose: English, the languages of the council's Notify
        templates where it uses Notify, and of the project's own words (``TEXTS``) where it
        sends email over SMTP or logs."""
        providers = set(self.channels().values())
        found = {DEFAULT_LANGUAGE}
        if "notify" in providers:
            found |= set(self.notify_templates)
        if providers - {"notify"}:
            found |= set(TEXTS)
        return frozenset(found)

    def language_for(self, language: str, channel: Channel, template: str) -> str:
        """The language a message goes in: the family's where the council has that message in
        it on that channel, else English (never English words with another language's phrases
        in them)."""
        if self.channels().get(channel) == "notify":
            has = template in self.notify_templates.get(language, {}).get(channel, {})
        else:
            has = template in TEXTS.get(language, {})
        return language if has else DEFAULT_LANGUAGE

    def policy(self) -> Policy:
        return Policy(
            providers=self.channels(),
            fallback_order=self.fallback_order,
            fallback_after=timedelta(seconds=self.fallback_after_s),
            quiet_hours=self.quiet_hours,
            quiet_channels=self.quiet_channels,
            timezone=self.timezone,
            optional_messages=self.optional_messages,
        )


ANY_COUNCIL = "*"


class NotificationsSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["notifications"]
    development_defaults: ClassVar[frozenset[str]] = ServiceSettings.development_defaults | {
        "council_messaging",
        "family_view_url",
        "caseworker_view_url",
        "team_caseload_url",
        "adviser_view_url",
        "request_confirm_url",
    }
    family_view_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}/family/{{token}}",
        description="FAMILY_VIEW_URL: the family's link in each message; {token} is the signed "
        "link token. The workspace's family page; a council points it at its public address.",
    )
    request_confirm_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}/family/confirm/{{token}}",
        description="REQUEST_CONFIRM_URL: the link that confirms a request made on the public "
        "form ({token}: a signed token for that one request, FAMILY_LINK_DAYS long): the "
        "workspace's confirmation page",
    )
    caseworker_view_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}/referrals/{{referral_id}}",
        description="CASEWORKER_VIEW_URL: the link in caseworker messages ({referral_id}): the "
        "workspace's referral page",
    )
    team_caseload_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}/practitioner",
        description="TEAM_CASELOAD_URL: the link in a specialist team's message (a child "
        "allocated to it): the workspace's page of a practitioner's caseload",
    )
    adviser_view_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}/advisers/{{token}}",
        description="ADVISER_VIEW_URL: the adviser's link in the message asking for their "
        "advice; {token} is the signed link token. The workspace's adviser page.",
    )
    adviser_link_days: int = Field(
        default=56,
        ge=1,
        description="ADVISER_LINK_DAYS: how long an adviser's link works (the law gives them 6 "
        "weeks; the default leaves 2 more)",
    )
    sending_lanes: int = Field(
        default=2,
        ge=1,
        le=16,
        description="SENDING_LANES: claims a sender process works on at once. With one, a "
        "message queued while a claim's messages are with the provider waits until they are "
        "answered and recorded; with two, the other lane claims it at once (a family's "
        "messages still go one at a time, in order, as between replicas)",
    )
    sending_concurrency: int = Field(
        default=32,
        ge=1,
        le=256,
        description="SENDING_CONCURRENCY: messages a sender process hands to providers at "
        "once, across its lanes (and the threads its Notify client calls from). Each call "
        "waits a whole round trip to the provider: at 150 ms, 32 let about 200 messages a "
        "second go, where 6 (the default thread pool on 2 CPUs) let 14 referrals a second "
        "through (docs/benchmark.md)",
    )
    sending_lease_s: float = Field(
        default=60,
        gt=0,
        description="A message claimed for sending and not recorded within this long is "
        "claimed again (its provider is asked first whether it already went). Keep it above "
        "the providers' timeouts",
    )
    council_messaging: dict[str, CouncilMessaging] = Field(
        default_factory=lambda: {ANY_COUNCIL: CouncilMessaging()},
        description="COUNCIL_MESSAGING (JSON): each council's messaging by ONS code, '*' for "
        "every council not listed. The default logs each message and delivers nothing",
    )
    notify_rate_limit_per_minute: int = Field(
        default=3000, ge=1, description="GOV.UK Notify's limit per API key (HTTP 429 above it)"
    )
    notify_burst: int = Field(
        default=100,
        ge=1,
        description="Requests a Notify key may make at once; the bucket refills at "
        "(limit - burst) a minute, so no 60-second window goes over the limit",
    )
    provider_backoff_max_s: float = Field(
        default=60,
        gt=0,
        description="Longest pause after a provider refused (429) or failed; pauses double "
        "from 1 s while it keeps failing",
    )
    notify_poll_after_s: float = Field(
        default=600,
        gt=0,
        description="A Notify message with no delivery receipt this long after it was sent "
        "is asked about (polling, should a callback be lost)",
    )
    notify_poll_interval_s: float = Field(default=60, gt=0)
    notify_timeout_s: float = Field(default=30, gt=0)
    # Notify posts every delivery receipt to one route with one token: the default limit on
    # changes (60 a minute per client) would refuse most of them.
    rate_limit_post: str = Field(
        default="6000/minute",
        description="Per client, on every POST/PUT (RATE_LIMIT_POST); Notify's receipts are "
        "one client",
    )

    def unsafe_settings(self) -> list[str]:
        problems = super().unsafe_settings()
        for name in (
            "family_view_url",
            "caseworker_view_url",
            "team_caseload_url",
            "adviser_view_url",
            "request_confirm_url",
        ):
            if name in self.model_fields_set and not is_https(getattr(self, name)):
                problems.append(f"{self.variable(name)} is not an https:// URL")
        for council, messaging in sorted(self.council_messaging.items()):
            logged = sorted(c for c, provider in messaging.channels().items() if provider == "log")
            if logged:
                problems.append(
                    f"COUNCIL_MESSAGING: {council} sends {', '.join(logged)} to the log "
                    "channel, which delivers nothing (set each channel's provider, or null)"
                )
            if "notify" in messaging.channels().values() and not is_https(
                messaging.notify_base_url
            ):
                problems.append(
                    f"COUNCIL_MESSAGING: {council}'s notify_base_url is not an https:// URL "
                    "(the local Notify's?)"
                )
        return problems

    def notify_poll_after_delta(self) -> timedelta:
        return timedelta(seconds=self.notify_poll_after_s)

    def messaging_for(self, council: str) -> CouncilMessaging:
        found = self.council_messaging.get(council) or self.council_messaging.get(ANY_COUNCIL)
        if found is None:
            raise LookupError(f"COUNCIL_MESSAGING has no entry for {council} and no '*'")
        return found
