"""Referrals' handlers and its taking in, without PostgreSQL: on a fake unit of work that fails
the test when the code reaches for the database (``tests.unit_of_work``). What is decided
before any I/O (the intake rules, a message meant for the council's team), the one handler
shape, the audit rows a referral's events stand for, and the statutory clock counted once."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from referrals import handlers, statutory
from referrals.config import ReferralsSettings
from referrals.domain import FamilyContact, NewReferral, Postcode, ehc_request_of, receive
from referrals.handlers import subscriptions
from referrals.state import Referrals
from referrals.statutory import Deadline

from shared.events import (
    ChildDetailsErased,
    EhcAssessmentRequested,
    NotificationSent,
    PartnerReferralHeld,
    ReferralReceived,
    ReferralRequested,
    Sen2Need,
    wrap,
)
from shared.unit_of_work import Actor
from tests.events import COUNCIL, referral_request
from tests.unit_of_work import FakeUnitOfWork, handle

REFERRALS = Actor.system("referrals")
PARTNER = Actor("partner:west-yorkshire-slt")


def test_every_handler_has_the_one_shape() -> None:
    """Each subscription is a decorated ``(message, uow) -> events`` function: none takes the
    connection (the runtime's old way), none is registered by a call of its own."""
    shapes = {
        s.event_class.__name__: list(inspect.signature(s.handler).parameters) for s in subscriptions
    }
    assert len(shapes) == len(list(subscriptions))  # one handler for each event class
    assert {tuple(p) for p in shapes.values()} == {("message", "uow")}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"local_authority": "E06000001"}, "local_authority: this service does not take"),
        ({}, "child.nhs_number: a test NHS number"),  # the sample's, refused here
    ],
)
async def test_an_intake_request_breaking_the_rules_is_refused_before_anything_is_stored(
    change: dict[str, Any], field: str
) -> None:
    deployment = ReferralsSettings(accept_test_nhs_numbers=False)  # create_app's settings
    request = {**referral_request(given_name="Zephyrine"), **change}
    event = ReferralRequested(referral_id=uuid4(), request=request)
    message = wrap(event, source="/tests/intake", local_authority=request["local_authority"])
    uow = FakeUnitOfWork(REFERRALS, service=Referrals.of(deployment))
    with pytest.raises(ValueError, match=field) as refused:
        await handle(handlers.referral_requested, message, uow)
    assert "Zephyrine" not in str(refused.value)  # a field's name, never its value
    assert (uow.events, uow.audit_rows) == ([], [])


async def test_the_intake_topic_takes_the_rules_of_the_settings_the_service_was_made_with() -> None:
    """Settings given to ``create_app`` reach its handlers (through their unit of work), not
    the process's environment read once: a service made for Bradford alone refuses Leeds'."""
    from referrals.app import create_app

    from shared.state import service_state
    from tests.logging_state import restored_logging

    with restored_logging():
        app = create_app(ReferralsSettings(COUNCILS="E08000032"))  # Bradford's only
    own = service_state(app).work.service  # what each of the service's units of work carries
    event = ReferralRequested(referral_id=uuid4(), request=referral_request())
    message = wrap(event, source="/tests/intake", local_authority=COUNCIL)  # Leeds
    uow = FakeUnitOfWork(REFERRALS, service=own)
    with pytest.raises(ValueError, match="local_authority: this service does not take"):
        await handle(handlers.referral_requested, message, uow)
    assert (uow.events, uow.audit_rows) == ([], [])


async def test_an_intake_request_for_another_council_than_its_envelope_is_refused() -> None:
    event = ReferralRequested(referral_id=uuid4(), request=referral_request())
    message = wrap(event, source="/tests/intake", local_authority="E08000032")
    with pytest.raises(ValueError, match="differs from the event's localauthority"):
        await handle(handlers.referral_requested, message, FakeUnitOfWork(REFERRALS))


async def test_a_message_to_the_councils_team_is_no_step_of_the_familys() -> None:
    sent = NotificationSent(
        referral_id=uuid4(), notification_id=uuid4(), channel="email", template="deadline-at-risk",
        about_event_id=uuid4(), audience="caseworker",
    )  # fmt: skip
    uow = FakeUnitOfWork(REFERRALS)
    caused = await handle(
        handlers.notification_sent, wrap(sent, source="/t", local_authority=COUNCIL), uow
    )
    assert (caused, uow.events, uow.audit_rows) == ([], [], [])


def _referral(track: str) -> NewReferral:
    return NewReferral(
        referral_id=uuid4(),
        local_authority=COUNCIL,
        received_on=date(2026, 1, 5),
        requested_by="school",
        primary_need=Sen2Need.SLCN,
        postcode=Postcode.parse("LS6 2AB"),
        contact=FamilyContact(name="Ann Parent", email="ann@example.org"),
        track=track,  # type: ignore[arg-type]  # a Track, as the request's
    )


def test_an_ehc_referral_counts_its_statutory_clock_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The referral's dates, the EHC request's start and its stored deadlines all read one
    count of the clock (it was counted four times on one EHC POST)."""
    counted: list[date] = []
    real = statutory.deadline_dates

    def counting(requested_on: date, exceptions: Any = ()) -> statutory.Clock:
        counted.append(requested_on)
        return real(requested_on, exceptions)

    monkeypatch.setattr(statutory, "deadline_dates", counting)
    referral = _referral("ehc")
    request = ehc_request_of(referral)
    assert request is not None
    events = receive(referral, request)
    stored = request.clock  # what ehc_repository.start stores
    assert counted == [date(2026, 1, 5)]
    received, started = events[0], events[-1]
    assert isinstance(received, ReferralReceived)
    assert isinstance(started, EhcAssessmentRequested)
    assert received.decision_due == started.decision_due == stored[Deadline.DECISION][1]
    assert received.final_plan_due == started.final_plan_due == stored[Deadline.FINAL_PLAN][1]
    assert ehc_request_of(_referral("support")) is None


def test_a_referrals_events_stand_for_its_audit_rows() -> None:
    """Taking in audits the referral's creation, holding a partner's request its creation on
    the referral it may duplicate, retention each erasure: from the events, as whoever acts."""
    referral = _referral("support")
    uow = FakeUnitOfWork(PARTNER)
    uow.add(*receive(referral), local_authority=COUNCIL)
    suspected = uuid4()
    uow.add(
        PartnerReferralHeld(
            referral_id=suspected, local_authority=COUNCIL, held_referral_id=uuid4(),
            partner="west-yorkshire-slt", reason="already-referred", differs=[],
        )
    )  # fmt: skip
    assert uow.audit_rows == [
        (PARTNER.subject, "create", "referral", referral.referral_id, COUNCIL),
        (PARTNER.subject, "create", "held-referral", suspected, COUNCIL),
    ]
    retention = FakeUnitOfWork(Actor.system("retention"))
    retention.add(
        ChildDetailsErased(referral_id=suspected, local_authority=COUNCIL, erased_on=date.today())
    )
    assert retention.audit_rows == [("system:retention", "erase", "child", suspected, COUNCIL)]
