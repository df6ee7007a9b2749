"""What every statutory EHC step's route does around its step (``referrals.ehc_api``), on a fake
unit of work (no PostgreSQL): a retry with its Idempotency-Key gets the first answer and takes
no step; a step's answer is kept for its retries; a step out of order is a 409 and a broken
rule a 422 naming the route's own field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, cast

import pytest
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from referrals.ehc_api import Retry, one_step
from referrals.ehc_schemas import AssessmentDecision, EhcView
from referrals.statutory import InvalidStep, OutOfOrder, Stage

from shared.http import CallerWork
from shared.unit_of_work import Actor, FirstAnswer, UnitOfWork
from tests.unit_of_work import FakeUnitOfWork

CASEWORKER = Actor("leeds-caseworker", ("caseworker",), request_id="r-1")
BODY = AssessmentDecision(decision="assess", decided_on=date(2026, 2, 2))
RETRY = Retry("key-1", "/v1/referrals/1/assessment-decision")
VIEW = EhcView(
    requested_on=date(2026, 1, 5), requested_by="parent", escalated=False, stage=Stage.ASSESSING,
    assessment_decision="assess", assessment_decided_on=date(2026, 2, 2), refusal_reason=None,
    plan_decision=None, plan_decided_on=None, not_issue_reason=None, draft_issued_on=None,
    comments_due=None, final_issued_on=None, deadlines=[], exceptions=[], advice=[],
)  # fmt: skip


class Caller:
    """The caller's units of work, each this fake one (``replayed``: a retry's first answer)."""

    def __init__(self, replayed: FirstAnswer | None = None) -> None:
        self.uow = FakeUnitOfWork(CASEWORKER)
        self.uow.replayed = replayed
        self.begun: list[dict[str, Any]] = []

    @asynccontextmanager
    async def begin(self, **door: Any) -> AsyncIterator[UnitOfWork]:
        self.begun.append(door)
        yield self.uow


async def _step(caller: Caller, step: Any, retry: Retry | None = RETRY) -> Any:
    return await one_step(cast("CallerWork", caller), retry, BODY, step, date_field="decided_on")


async def test_a_steps_answer_is_kept_for_its_retries() -> None:
    async def step(uow: UnitOfWork) -> EhcView:
        return VIEW

    caller = Caller()
    assert await _step(caller, step) == VIEW
    (door,) = caller.begun
    assert door["idempotency_key"] == "key-1"
    assert door["request"] == {"path": RETRY.path, "body": BODY.model_dump(mode="json")}
    assert caller.uow.answered == (200, VIEW.model_dump(mode="json"))


async def test_a_retry_gets_the_first_answer_and_takes_no_step() -> None:
    async def step(uow: UnitOfWork) -> EhcView:
        raise AssertionError("a retried step is not taken again")

    first = FirstAnswer(200, VIEW.model_dump(mode="json"))
    answer = await _step(Caller(replayed=first), step)
    assert isinstance(answer, JSONResponse)
    assert answer.headers["Idempotent-Replayed"] == "true"
    assert answer.body == JSONResponse(first.body).body


async def test_without_a_key_nothing_is_kept_for_a_retry() -> None:
    async def step(uow: UnitOfWork) -> EhcView:
        return VIEW

    caller = Caller()
    await _step(caller, step, retry=None)
    assert caller.begun == [{"idempotency_key": None, "request": None}]


async def test_a_step_out_of_order_is_a_409_and_a_broken_rule_a_422_naming_the_field() -> None:
    async def too_early(uow: UnitOfWork) -> EhcView:
        raise OutOfOrder("a decision whether to assess cannot be recorded while assessing")

    with pytest.raises(HTTPException) as conflict:
        await _step(Caller(), too_early)
    assert conflict.value.status_code == 409

    async def in_the_future(uow: UnitOfWork) -> EhcView:
        raise InvalidStep("on", "must not be in the future")

    with pytest.raises(RequestValidationError) as invalid:
        await _step(Caller(), in_the_future)
    assert [e["loc"] for e in invalid.value.errors()] == [("body", "decided_on")]
