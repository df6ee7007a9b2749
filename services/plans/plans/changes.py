"""Changing a plan, for a caseworker's request or an event: the plan locked and read, the
step's rules applied, the quality checks run again, and the new version stored, with the
events it caused, the audit record and the warnings, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from plans import repository
from plans.checks import CheckResult, check, failed
from plans.document import PlanDocument
from plans.domain import drafted_event
from plans.lifecycle import Plan, Refused
from shared.db import Connection
from shared.events import DomainEvent, PlanStatus

LONDON = ZoneInfo("Europe/London")


def london_today() -> date:
    """The council's day (dates in plans are the council's calendar)."""
    return datetime.now(LONDON).date()


def document_of(sections: dict[str, Any]) -> PlanDocument:
    try:
        return PlanDocument.model_validate(sections)
    except ValidationError as exc:
        raise Refused(
            "this plan was drafted before plans had versions: draft it again to change it"
        ) from exc


GOES_TO_THE_FAMILY: frozenset[PlanStatus] = frozenset({"shared", "issued_for_comment", "final"})


async def store(
    conn: Connection, plan: Plan, document: PlanDocument, *, changed_by: str, reason: str
) -> list[CheckResult]:
    """The new version, with its quality checks run again (the one place they run). A plan
    failing a check never goes to the family: that step is refused, saying which and why."""
    results = check(document)
    failing = failed(results)
    if failing and plan.status in GOES_TO_THE_FAMILY:
        raise Refused(
            "the plan fails its quality checks: "
            + "; ".join(f"{r.name}: {r.message}" for r in failing)
        )
    await repository.save(
        conn, plan, document, changed_by=changed_by, reason=reason, checks=results
    )
    return results


async def announced_when_ready(
    conn: Connection, plan: Plan, document: PlanDocument
) -> tuple[Plan, list[DomainEvent]]:
    """A draft that needed attention and now passes every check becomes a draft, announced
    (``plan-drafted``: specialists match it) as a first draft would have been."""
    if plan.status != "needs_attention" or failed(check(document)):
        return plan, []
    referral = await repository.drafted_from(conn, plan.id)
    if referral is None:
        return plan, []  # drafted before plans kept the referral: the caseworker drafts again
    return replace(plan, status="draft"), [drafted_event(referral, plan.id, document)]


async def locked(
    conn: Connection, referral_id: UUID, expected_version: int | None
) -> tuple[Plan, PlanDocument]:
    """The referral's plan, locked; 404 when there is none, 409 when ``expected_version``
    is not the plan's version any more (someone changed it since it was read)."""
    found = await repository.load(conn, referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no plan yet for referral {referral_id}")
    plan, sections = found
    if expected_version is not None and expected_version != plan.version:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the plan is at version {plan.version}, not {expected_version}: someone changed "
            "it since you read it; read it again and redo your change",
        )
    return plan, document_of(sections)


def invalid(problems: Sequence[tuple[tuple[str | int, ...], str]]) -> RequestValidationError:
    """A 422 naming each field and why, as FastAPI's own validation gives it."""
    return RequestValidationError(
        [{"loc": ("body", *loc), "msg": msg, "type": "value_error"} for loc, msg in problems]
    )
