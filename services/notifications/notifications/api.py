"""HTTP routes of the notifications service: the delivery log a caseworker sees, the family's
contact, and the family's messaging preferences (recorded by a caseworker on their behalf).
Each read and each change is a unit of work of the caseworker's (``shared.unit_of_work``):
audited with it.

(Longer than most modules: one router's routes, each short, with the bodies they answer.)
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from notifications import repository
from notifications.domain import Channel
from notifications.state import state_of
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.db import Connection
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller

router = APIRouter(
    prefix="/v1", tags=["notifications"], responses={**UNAVAILABLE, **AUTH_RESPONSES}
)


class AttemptView(BaseModel):
    """One channel tried for a message."""

    channel: str = Field(examples=["sms"])
    provider: str = Field(examples=["notify", "smtp", "log"])
    status: str = Field(examples=["delivered", "permanent-failure"])
    started_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None
    error: str | None = Field(description="A class of error (e.g. notify-400-ValidationError)")


class NotificationView(BaseModel):
    """A message: what, when, through which channel, and where it stands. No text, no
    address (personal data)."""

    id: UUID
    template: str = Field(examples=["specialist-assigned"])
    audience: str = Field(examples=["family", "caseworker"])
    statutory: bool
    status: str = Field(
        examples=["queued", "sent", "delivered", "permanent-failure", "withheld"],
        description="awaiting_contact, queued, sending, sent, delivered, permanent-failure, "
        "temporary-failure, technical-failure or withheld",
    )
    channel: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    held_until: datetime | None = Field(description="Queued until then (quiet hours, a provider)")
    held_reason: str | None = Field(examples=["quiet-hours", "provider-unavailable"])
    note: str | None = Field(description="Why it was withheld, or the last error's class")
    attempts: list[AttemptView]


@router.get(
    "/referrals/{referral_id}/notifications",
    response_model=list[NotificationView],
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def list_notifications_for_referral(
    referral_id: UUID, caller: AsCaller
) -> list[NotificationView]:
    """The delivery log: every message about the referral and where it stands."""
    async with caller.begin() as uow:
        rows = await repository.notifications_for(uow.conn, referral_id)
        if not rows:
            return []
        council = rows[0]["local_authority"]
        uow.read("notifications", referral_id=referral_id, local_authority=council)
        found = await repository.attempts_for(uow.conn, referral_id)
    attempts: dict[UUID, list[AttemptView]] = {}
    for a in found:
        attempts.setdefault(a["notification_id"], []).append(
            AttemptView(**{k: v for k, v in dict(a).items() if k != "notification_id"})
        )
    return [
        NotificationView(
            **{k: r[k] for k in NotificationView.model_fields if k in r},
            held_until=r["not_before"] if r["status"] == "queued" else None,
            note=r["last_error"],
            attempts=attempts.get(r["id"], []),
        )
        for r in rows
    ]


class FamilyContactView(BaseModel):
    """Who the council tells about the referral, and how: personal data, for the caseworker's
    page of the referral. ``erased`` once the child's details passed retention."""

    name: str | None = Field(examples=["Ann Parent"])
    email: str | None
    phone: str | None
    address_lines: list[str] = Field(description="For letters; the postcode last")
    preferred_channel: Channel
    erased: bool
    updated_at: datetime


@router.get(
    "/referrals/{referral_id}/contact",
    response_model=FamilyContactView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_family_contact(referral_id: UUID, caller: AsCaller) -> FamilyContactView:
    """The family's contact as the referral gave it (404 until it has arrived here, or for
    another council's referral). Audited (a read of the family's contact)."""
    async with caller.begin() as uow:
        found = await repository.contact(uow.conn, referral_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no contact for this referral")
        uow.read(
            "family_contact", referral_id=referral_id, local_authority=found["local_authority"]
        )
    erased = found["contact_name"] == "erased"
    return FamilyContactView(
        name=None if erased else found["contact_name"],
        email=found["email"],
        phone=found["phone"],
        address_lines=list(found["address_lines"]),
        preferred_channel=found["preferred_channel"],
        erased=erased,
        updated_at=found["updated_at"],
    )


class Preferences(BaseModel):
    """How the family wants to hear from the council."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel | None = Field(
        default=None, description="Preferred channel; null: the one given with the contact"
    )
    language: str = Field(
        default="en",
        pattern=r"^[a-z]{2,3}$",
        examples=["en", "cy"],
        description="Messages in this language (ISO 639-1 code) where the council has them in "
        "it, else English. One of the languages the council's messaging configuration has "
        "templates for (always en): any other is refused (422)",
    )
    statutory_only: bool = Field(
        default=False,
        description="Only the messages the law requires (the family opted out of the rest)",
    )


class PreferencesView(Preferences):
    updated_at: datetime | None


@router.get(
    "/referrals/{referral_id}/preferences",
    response_model=PreferencesView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_family_preferences(referral_id: UUID, caller: AsCaller) -> PreferencesView:
    """The family's messaging preferences."""
    async with caller.begin() as uow:
        council = await _council_of(uow.conn, referral_id)
        uow.read("preferences", referral_id=referral_id, local_authority=council)
        found = await repository.preferences(uow.conn, referral_id)
    return PreferencesView(**dict(found or {}))


@router.put(
    "/referrals/{referral_id}/preferences",
    response_model=PreferencesView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def set_family_preferences(
    referral_id: UUID, body: Preferences, request: Request, caller: AsCaller
) -> PreferencesView:
    """Record the family's choice (channel, language, opting out of non-statutory messages);
    it applies to every message not yet sent."""
    async with caller.begin() as uow:
        council = await _council_of(uow.conn, referral_id)
        languages = state_of(request).messaging_languages(council)
        if body.language not in languages:
            raise RequestValidationError(
                [
                    {
                        "loc": ("body", "language"),
                        "msg": "the council has no messages in this language; one of "
                        + ", ".join(sorted(languages)),
                        "type": "value_error",
                    }
                ]
            )
        await repository.save_preferences(
            uow.conn, referral_id, local_authority=council, **body.model_dump()
        )
        uow.changed("update", "preferences", referral_id=referral_id, local_authority=council)
        found = await repository.preferences(uow.conn, referral_id)
    return PreferencesView(**dict(found or {}))


async def _council_of(conn: Connection, referral_id: UUID) -> str:
    """The referral's council, among the caller's (404 if this service knows of no referral
    there)."""
    council = await repository.council_of(conn, referral_id)
    if council is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no messages or contact for this referral")
    return council
