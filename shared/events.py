"""Every event the platform publishes: one frozen pydantic model each, and the envelope.

The envelope follows CloudEvents 1.0 in structured JSON mode. CloudEvents extension
attribute names may only hold lower-case letters and digits, so the council travels as
``localauthority`` and the payload's version as ``schemaversion``.

Events carry ids and codes, never a child's name or a family's contact details, with one
exception: ``FamilyContactRegistered`` goes on its own topic that only notifications reads.
"""

from __future__ import annotations

import enum
import functools
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE_PREFIX = "uk.send-platform"


class Sen2Need(enum.StrEnum):
    """SEN2 primary need codes (DfE)."""

    SPLD = "SPLD"
    MLD = "MLD"
    SLD = "SLD"
    PMLD = "PMLD"
    SEMH = "SEMH"
    SLCN = "SLCN"
    HI = "HI"
    VI = "VI"
    MSI = "MSI"
    PD = "PD"
    ASD = "ASD"
    DS = "DS"
    OTH = "OTH"


class DomainEvent(BaseModel):
    """Base of every event payload. Unknown fields are ignored (additive changes are safe)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: ClassVar[str]
    """Short, past-tense name, e.g. ``referral-received``."""
    owner: ClassVar[str]
    """The service that publishes it."""
    version: ClassVar[int] = 1

    referral_id: UUID = Field(description="The referral this event belongs to; the Kafka key.")

    @classmethod
    def topic(cls) -> str:
        """Versioned topic name: ``<owner>.<name>.v<version>``."""
        return f"{cls.owner}.{cls.name}.v{cls.version}"

    @classmethod
    def event_type(cls) -> str:
        """CloudEvents ``type`` attribute."""
        return f"{EVENT_TYPE_PREFIX}.{cls.owner}.{cls.name}.v{cls.version}"


class ReferralReceived(DomainEvent):
    name: ClassVar[str] = "referral-received"
    owner: ClassVar[str] = "referrals"

    local_authority: str = Field(description="ONS code of the council", examples=["E08000035"])
    received_on: date = Field(description="The day the statutory clock started")
    primary_need: Sen2Need = Field(description="SEN2 primary need code", examples=["SLCN"])
    requested_by: str = Field(examples=["parent", "school", "health", "social_care"])
    postcode_district: str = Field(
        description="Outward code only (e.g. LS6), for matching help close to home",
        examples=["LS6"],
    )
    decision_due: date = Field(description="6 weeks from the request (Reg 5)")
    final_plan_due: date = Field(description="20 weeks from the request (Reg 13(2))")


class ReferralRequested(DomainEvent):
    """A request for support arriving as an event (bulk intake, a partner system's batch):
    the same body as ``POST /v1/referrals``, taken in by referrals with the same rules. Personal
    data: on its own topic, which only referrals consumes."""

    name: ClassVar[str] = "referral-requested"
    owner: ClassVar[str] = "intake"

    request: dict[str, Any] = Field(
        description="The referral as `POST /v1/referrals` takes it (see the referrals OpenAPI)"
    )


class FamilyContactRegistered(DomainEvent):
    """Personal data: on its own topic, which only notifications consumes (a topic ACL should
    enforce that on a shared cluster; none is configured yet)."""

    name: ClassVar[str] = "family-contact-registered"
    owner: ClassVar[str] = "referrals"

    contact_name: str
    email: str | None = None
    phone: str | None = None
    preferred_channel: Literal["email", "sms"]
    address_lines: list[str] = Field(
        default_factory=list,
        description="Postal address for letters (up to 6 lines, the postcode last); empty when "
        "the family gave none",
    )


class PlanDrafted(DomainEvent):
    name: ClassVar[str] = "plan-drafted"
    owner: ClassVar[str] = "plans"

    plan_id: UUID
    local_authority: str
    primary_need: Sen2Need
    area_of_need: str = Field(examples=["communication and interaction"])
    required_specialism: str = Field(examples=["speech_and_language_therapy"])
    postcode_district: str
    sections: list[str] = Field(description="EHC plan sections drafted", examples=[["B", "E", "F"]])


class SpecialistAssigned(DomainEvent):
    name: ClassVar[str] = "specialist-assigned"
    owner: ClassVar[str] = "specialists"

    allocation_id: UUID
    specialist_id: UUID
    plan_id: UUID
    specialism: str
    local_authority: str
    same_district: bool = Field(
        description="True when the specialist works in the child's district"
    )


class ReferralWaitlisted(DomainEvent):
    name: ClassVar[str] = "referral-waitlisted"
    owner: ClassVar[str] = "specialists"

    plan_id: UUID
    specialism: str
    local_authority: str


class NotificationSent(DomainEvent):
    """The provider took the message: "message sent", not yet known to have arrived."""

    name: ClassVar[str] = "notification-sent"
    owner: ClassVar[str] = "notifications"

    notification_id: UUID
    channel: str = Field(examples=["email", "sms", "log"])
    template: str = Field(examples=["specialist-assigned"])
    about_event_id: UUID = Field(description="The event the family was told about")


class NotificationDelivered(DomainEvent):
    """The provider confirmed the message reached the family (GOV.UK Notify's delivery
    receipt, or the council's mail server taking responsibility for it): "family notified"."""

    name: ClassVar[str] = "notification-delivered"
    owner: ClassVar[str] = "notifications"

    notification_id: UUID
    channel: str = Field(examples=["email", "sms", "letter"])
    template: str = Field(examples=["specialist-assigned"])
    about_event_id: UUID = Field(description="The event the family was told about")
    delivered_at: datetime


class NotificationFailed(DomainEvent):
    """No channel could deliver the message; a caseworker should reach the family another way."""

    name: ClassVar[str] = "notification-failed"
    owner: ClassVar[str] = "notifications"

    notification_id: UUID
    status: str = Field(
        examples=["permanent-failure", "temporary-failure", "technical-failure"],
        description="The last channel's failure",
    )
    channels_tried: list[str] = Field(examples=[["sms", "email"]])
    template: str = Field(examples=["specialist-assigned"])
    about_event_id: UUID


ALL_EVENTS: tuple[type[DomainEvent], ...] = (
    ReferralRequested,
    ReferralReceived,
    FamilyContactRegistered,
    PlanDrafted,
    SpecialistAssigned,
    ReferralWaitlisted,
    NotificationSent,
    NotificationDelivered,
    NotificationFailed,
)

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
"""The Kafka record's content type: a CloudEvent in structured mode."""

E = TypeVar("E", bound=DomainEvent)
D = TypeVar("D")


class Envelope(BaseModel, Generic[D]):
    """A CloudEvents 1.0 envelope (structured JSON mode) around one event's ``data``.

    ``Envelope[PlanDrafted]`` is the message as a consumer receives and AsyncAPI documents it;
    ``RawEnvelope`` reads any event's attributes without judging its data yet.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid4)
    type: str = Field(examples=["uk.send-platform.plans.plan-drafted.v1"])
    source: str = Field(examples=["/send-platform/plans"])
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str = Field(description="The referral id (also the Kafka key)")
    datacontenttype: Literal["application/json"] = "application/json"
    localauthority: str = Field(description="ONS code of the council", examples=["E08000035"])
    schemaversion: int = Field(description="Version of the data's schema")
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context of the work that caused the event (CloudEvents "
        "distributed tracing extension): a consumer continues the journey's trace from it",
    )
    tracestate: str | None = None
    data: D

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """``Envelope[PlanDrafted]`` is named ``PlanDraftedMessage`` in schemas and AsyncAPI."""
        return f"{getattr(params[0], '__name__', 'Raw')}Message"


@functools.cache
def message_class(event_class: type[E]) -> type[Envelope[E]]:
    """``Envelope[event_class]`` as a named class (``PlanDraftedMessage``): the message as a
    consumer receives it and as the AsyncAPI document names it."""
    named: type[Envelope[E]] = type(
        f"{event_class.__name__}Message",
        (Envelope[event_class],),  # type: ignore[valid-type]  # parametrised at run time
        {"__module__": __name__, "__doc__": f"{event_class.__name__} in its CloudEvents envelope."},
    )
    return named


class RawEnvelope(Envelope[dict[str, Any]]):
    """Any event's envelope, its data not yet read as a particular event."""


def wrap(
    event: E, *, source: str, local_authority: str, trace: dict[str, str] | None = None
) -> Envelope[E]:
    """Put an event in a new envelope (new id, time now), with the W3C ``trace`` context
    (``traceparent``, ``tracestate``) of the work that caused it."""
    # Parametrised with the event's own class, so ``data`` serialises with all its fields.
    model: Any = Envelope.__class_getitem__(type(event))
    envelope: Envelope[E] = model(
        type=event.event_type(),
        source=source,
        subject=str(event.referral_id),
        localauthority=local_authority,
        schemaversion=event.version,
        traceparent=(trace or {}).get("traceparent"),
        tracestate=(trace or {}).get("tracestate"),
        data=event,
    )
    return envelope
