"""Changing a plan, for a caseworker's request or an event, inside its unit of work: the plan
locked and read, and the step the plan took (``plans.lifecycle``) stored as a new version with
the quality checks run again."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import HTTPException, status
from pydantic import ValidationError

from plans import repository
from plans.checks import CheckResult, check, failed
from plans.document import PlanDocument
from plans.lifecycle import Plan, Refused, StepTaken
from shared.db import Connection
from shared.events import PlanStatus
from shared.unit_of_work import Actor

PLANS = Actor.system("plans")
"""The service's own changes (its scheduled jobs; its handlers' are the runtime's): audited as
``system:plans``."""


def document_of(sections: dict[str, Any]) -> PlanDocument:
    try:
        return PlanDocument.model_validate(sections)
    except ValidationError as exc:
        raise Refused(
            "this plan was drafted before plans had versions: draft it again to change it"
        ) from exc


GOES_TO_THE_FAMILY: frozenset[PlanStatus] = frozenset({"shared", "issued_for_comment", "final"})


async def store(
    conn: Connection, taken: StepTaken, document: PlanDocument, *, changed_by: str
) -> list[CheckResult]:
    """The new version, with its quality checks run again (the one place they run). A plan
    failing a check never goes to the family: that step is refused, saying which and why."""
    results = check(document)
    failing = failed(results)
    if failing and taken.plan.status in GOES_TO_THE_FAMILY:
        raise Refused(
            "the plan fails its quality checks: "
            + "; ".join(f"{r.name}: {r.message}" for r in failing)
        )
    await repository.save(
        conn, taken.plan, document, changed_by=changed_by, reason=taken.reason, checks=results
    )
    return results


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
