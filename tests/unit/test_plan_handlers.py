"""Plans' event handlers on a fake unit of work (no PostgreSQL): every one has the one handler
shape, and the events they have nothing to do with change nothing, read nothing and audit
nothing. What they change in a plan is the plan's own rules (``test_plan_lifecycle``); how it
is stored, audited and published, the integration tests'."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any, get_type_hints
from uuid import uuid4

import pytest
from plans.handlers import (
    advice_received,
    deadlines_moved,
    escalated_to_ehc,
    plan_issue_decided,
    subscriptions,
)

from shared.events import (
    AdviceReceived,
    DomainEvent,
    EhcAssessmentRequested,
    Envelope,
    PlanIssueDecided,
    StatutoryExceptionRecorded,
    wrap,
)
from shared.unit_of_work import UnitOfWork
from tests.events import COUNCIL, sample_event
from tests.unit_of_work import FakeUnitOfWork, Handler, handle


def test_every_plans_handler_takes_its_event_and_a_unit_of_work() -> None:
    shapes = {
        s.handler.__name__: list(inspect.signature(s.handler).parameters) for s in subscriptions
    }
    # draft_plan_for_triaged_referral (#23), child-identified (#21), the two imports (#22)
    assert len(shapes) == 14  # and the amendments after an annual review (#22)
    assert {name: params for name, params in shapes.items() if params != ["message", "uow"]} == {}
    for s in subscriptions:
        assert get_type_hints(s.handler)["uow"] is UnitOfWork, s.handler.__name__


def test_only_the_erasure_acts_for_another_job() -> None:
    acting = {s.handler.__name__: s.acting_as for s in subscriptions if s.acting_as}
    assert acting == {"erase_child_details": "retention"}  # audited as system:retention


def _message(event_class: type[DomainEvent], **changes: Any) -> Envelope[Any]:
    event = sample_event(event_class, uuid4()).model_copy(update=changes)
    return wrap(event, source="/tests", local_authority=COUNCIL)


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        # An EHC request from the start: its plan was drafted as an EHC plan.
        (escalated_to_ehc, _message(EhcAssessmentRequested, escalated=False)),
        # A decision not to issue: the draft may never be issued.
        (plan_issue_decided, _message(PlanIssueDecided, decision="not_issue")),
        # Steps an open request took in the council's earlier system (#22): its plan took them
        # from its open-request-imported, so they are never waited for (nor looked up).
        (advice_received, _message(AdviceReceived, earlier_system=True)),
        (plan_issue_decided, _message(PlanIssueDecided, earlier_system=True)),
        # An exception that moved other deadlines than the final plan's.
        (
            deadlines_moved,
            _message(StatutoryExceptionRecorded, deadlines={"decision": date(2026, 3, 30)}),
        ),
    ],
)
async def test_an_event_that_changes_no_plan_touches_nothing(
    handler: Handler, message: Envelope[Any]
) -> None:
    uow = FakeUnitOfWork()
    assert await handle(handler, message, uow) == []
    assert (uow.events, uow.audit_rows) == ([], [])


async def test_an_event_that_changes_a_plan_reaches_for_it() -> None:
    """The fake fails a handler that needs the database (so the tests above prove that the
    events they hand over are left alone without it)."""
    with pytest.raises(AssertionError, match="the database was used"):
        await handle(
            escalated_to_ehc, _message(EhcAssessmentRequested, escalated=True), FakeUnitOfWork()
        )
