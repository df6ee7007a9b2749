"""Specialists' handlers against a unit of work without a database (``tests.unit_of_work``):
their reads and writes stood in for, what they decide and what the unit of work would store
(the events, and the audit rows those stand for, as ``system:specialists``). The real
database's part is in tests/integration/test_handler_audit.py and test_specialists_*.py."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from specialists import handlers, store, waitlist
from specialists.needs import Need

from shared.events import (
    AllocationEnded,
    DomainEvent,
    EhcAssessmentRequested,
    ReferralClosed,
    SpecialistAssigned,
    wrap,
)
from shared.subscriptions import Uow
from shared.unit_of_work import Actor
from tests.unit_of_work import FakeUnitOfWork, handle

LEEDS = "E08000035"
SLT = "speech_and_language_therapy"
SERVICE = "system:specialists"


def _uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(Actor.system("specialists"))


def test_every_handler_has_the_one_shape() -> None:
    """``(message, uow) -> events``, declared with ``subscriptions.on``."""
    for each in handlers.subscriptions:
        assert list(inspect.signature(each.handler).parameters) == ["message", "uow"]
        assert inspect.signature(each.handler).parameters["uow"].annotation in (Uow, "Uow")


def _need(referral_id: UUID, plan_id: UUID | None) -> Need:
    return Need(
        referral_id, LEEDS, plan_id, "SLCN", (), "LS6", None, "en", "ehc", date(2027, 3, 1), None
    )


async def test_an_escalation_audits_each_allocation_re_weighed_and_waits_for_the_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    referral_id = uuid4()

    async def mark_ehc(*_: Any) -> Need:
        return _need(referral_id, plan_id=None)  # no plan drafted yet

    async def reweigh(_: Any, referral: UUID, places: int) -> list[UUID]:
        assert (referral, places) == (referral_id, 2)  # an EHC case counts 2
        return [uuid4(), uuid4()]

    monkeypatch.setattr(store, "mark_ehc", mark_ehc)
    monkeypatch.setattr(store, "reweigh", reweigh)
    uow = _uow()
    request = EhcAssessmentRequested(
        referral_id=referral_id,
        local_authority=LEEDS,
        requested_by="parent",
        ehc_requested_on=date(2026, 11, 2),
        escalated=True,
        decision_due=date(2026, 12, 14),
        final_plan_due=date(2027, 3, 22),
    )
    message = wrap(request, source="/tests", local_authority=LEEDS)
    caused = await handle(handlers.weigh_as_ehc, message, uow)
    assert caused == []  # the advisers come with the decision to assess
    assert uow.audit_rows == [(SERVICE, "reweigh", "allocation", referral_id, LEEDS)] * 2


async def test_a_closed_referral_ends_each_allocation_and_its_places_go_to_the_waitlist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closing, next_in_line = uuid4(), uuid4()
    allocations = [uuid4(), uuid4()]
    left: list[UUID] = []

    async def leave_waitlist(_: Any, referral: UUID) -> None:
        left.append(referral)

    async def active_allocations(*_: Any) -> list[UUID]:
        return allocations

    async def end(_: Any, allocation_id: UUID, reason: str) -> AllocationEnded | None:
        if allocation_id != allocations[0]:
            return None  # ended meanwhile by another change
        return AllocationEnded(
            referral_id=closing, allocation_id=allocation_id, specialist_id=uuid4(),
            specialism=SLT, local_authority=LEEDS, reason="support_completed",
        )  # fmt: skip

    async def offer(_: Any, council: str, role: str) -> list[DomainEvent]:
        assert (council, role) == (LEEDS, SLT)
        return [
            SpecialistAssigned(
                referral_id=next_in_line, allocation_id=uuid4(), specialist_id=uuid4(),
                plan_id=uuid4(), specialism=SLT, local_authority=LEEDS, same_district=True,
                from_waitlist=True,
            )
        ]  # fmt: skip

    monkeypatch.setattr(store, "leave_waitlist", leave_waitlist)
    monkeypatch.setattr(store, "active_allocations", active_allocations)
    monkeypatch.setattr(waitlist, "end", end)
    monkeypatch.setattr(waitlist, "offer", offer)
    uow = _uow()
    closed = ReferralClosed(
        referral_id=closing, local_authority=LEEDS, reason="support_completed",
        closed_on=date(2026, 12, 1),
    )  # fmt: skip
    caused = await handle(
        handlers.referral_closed, wrap(closed, source="/tests", local_authority=LEEDS), uow
    )
    assert left == [closing]
    assert [type(e) for e in caused] == [AllocationEnded, SpecialistAssigned]
    assert uow.events == caused
    assert uow.audit_rows == [
        (SERVICE, "update", "allocation", closing, LEEDS),
        (SERVICE, "create", "allocation", next_in_line, LEEDS),
    ]
