"""The notifications handlers' logic, against the fake unit of work (tests/unit_of_work.py)
and the messages kept in memory (no Kafka, no PostgreSQL): which messages an event stores,
queued or waiting for the family, each audited once; the erasure as the retention job's work.
The SQL and the locks are tested on PostgreSQL (tests/integration/test_family_alerts.py,
test_retention_copies.py)."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from notifications import erasure, handlers
from notifications.catalogue import CATALOGUE, Audience
from notifications.domain import FamilyAlert

from shared.events import (
    ChildDetailsErased,
    DeadlineAtRisk,
    DomainEvent,
    Envelope,
    FamilyContactRegistered,
    ReferralReceived,
    SpecialistAssigned,
    wrap,
)
from shared.unit_of_work import Actor
from tests.events import COUNCIL, sample_event
from tests.unit_of_work import FakeUnitOfWork

SERVICE = Actor.system("notifications")


class Messages:
    """What the handlers keep (``notifications.repository``), in memory."""

    def __init__(self) -> None:
        self.contacts: set[UUID] = set()
        self.requests: set[UUID] = set()
        self.stored: dict[tuple[UUID, Audience], tuple[FamilyAlert, str]] = {}

    async def lock_referral(self, conn: Any, referral_id: UUID) -> None:
        pass

    async def save_request(self, conn: Any, event: ReferralReceived, **_: Any) -> None:
        self.requests.add(event.referral_id)

    async def save_contact(self, conn: Any, contact: FamilyContactRegistered, **_: Any) -> None:
        self.contacts.add(contact.referral_id)

    async def family_reachable(self, conn: Any, referral_id: UUID) -> bool:
        return referral_id in self.contacts and referral_id in self.requests

    async def add_alert(self, conn: Any, alert: FamilyAlert, *, queued: bool, **_: Any) -> bool:
        key = (alert.about_event_id, alert.audience)
        if key in self.stored:
            return False
        self.stored[key] = (alert, "queued" if queued else "awaiting_contact")
        return True

    async def queue_awaiting(self, conn: Any, referral_id: UUID) -> int:
        if not await self.family_reachable(conn, referral_id):
            return 0
        waiting = [
            k for k, (a, s) in self.stored.items()
            if a.referral_id == referral_id and s == "awaiting_contact"
        ]  # fmt: skip
        for key in waiting:
            self.stored[key] = (self.stored[key][0], "queued")
        return len(waiting)

    def statuses(self, referral_id: UUID) -> dict[str, str]:
        return {a.template: s for a, s in self.stored.values() if a.referral_id == referral_id}


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> Messages:
    kept = Messages()
    monkeypatch.setattr(handlers, "repository", kept)
    return kept


async def _handle(event: DomainEvent | Envelope[Any]) -> FakeUnitOfWork:
    """``event`` (or the message carrying it) handled by its handler, as the runtime would:
    in a unit of work of the actor its subscription names."""
    message: Envelope[Any] = (
        event if isinstance(event, Envelope) else wrap(event, source="/t", local_authority=COUNCIL)
    )
    (subscription,) = [s for s in handlers.subscriptions if s.event_class is type(message.data)]
    uow = FakeUnitOfWork(Actor.system(subscription.acting_as or "notifications"))
    assert await subscription.handler(message, uow) == []
    return uow


def _created(referral_id: UUID) -> tuple[str, str, str, UUID | None, str]:
    return ("system:notifications", "create", "notification", referral_id, COUNCIL)


def test_every_catalogued_event_has_one_handler_of_the_one_shape() -> None:
    subscribed = [s.event_class for s in handlers.subscriptions]
    assert len(subscribed) == len(set(subscribed))
    assert set(CATALOGUE) <= set(subscribed)
    for subscription in handlers.subscriptions:
        assert list(inspect.signature(subscription.handler).parameters) == ["message", "uow"]


async def test_the_teams_message_goes_at_once_and_the_familys_waits_for_their_contact(
    messages: Messages,
) -> None:
    referral_id = uuid4()
    uow = await _handle(sample_event(DeadlineAtRisk, referral_id))
    assert messages.statuses(referral_id) == {
        "deadline-at-risk": "queued",  # the SEND team's
        "deadline-at-risk-family": "awaiting_contact",
    }
    assert uow.audit_rows == [_created(referral_id)] * 2
    assert uow.events == []


async def test_a_repeated_event_stores_and_audits_nothing_more(messages: Messages) -> None:
    message = wrap(sample_event(SpecialistAssigned, uuid4()), source="/t", local_authority=COUNCIL)
    assert len((await _handle(message)).audit_rows) == 1
    assert (await _handle(message)).audit_rows == []  # a late copy: nothing more
    assert len(messages.stored) == 1


async def test_the_request_and_the_contact_queue_what_came_before_them(
    messages: Messages,
) -> None:
    referral_id = uuid4()
    await _handle(sample_event(FamilyContactRegistered, referral_id))
    await _handle(sample_event(SpecialistAssigned, referral_id))  # before the request
    assert messages.statuses(referral_id) == {"specialist-assigned": "awaiting_contact"}
    uow = await _handle(sample_event(ReferralReceived, referral_id))
    assert messages.statuses(referral_id) == {
        "specialist-assigned": "queued",
        "request-received": "queued",
    }
    assert uow.audit_rows == [_created(referral_id)]


async def test_the_erasure_is_the_retention_jobs_work_audited_once(
    messages: Messages, monkeypatch: pytest.MonkeyPatch
) -> None:
    erased: list[UUID] = []

    async def erase(conn: Any, referral_id: UUID, pending: Any = None) -> bool:
        first = referral_id not in erased
        erased.append(referral_id)
        return first

    monkeypatch.setattr(erasure, "erase_family_contact", erase)
    referral_id = uuid4()
    event = ChildDetailsErased(
        referral_id=referral_id, local_authority=COUNCIL, erased_on=datetime.now(UTC).date()
    )
    first, again = await _handle(event), await _handle(event)
    erasure_row = ("system:retention", "erase", "family_contact", referral_id, COUNCIL)
    assert first.audit_rows == [erasure_row]
    assert again.audit_rows == []
    assert erased == [referral_id, referral_id]
