"""The family's response to a plan, through their link or taken by a caseworker: kept with
the version it was about; on the support track it agrees the plan or asks for changes, on the
EHC track it is a comment on the draft (and may name a school)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from plans import changes, versions
from plans.lifecycle import Plan
from shared.dates import london_today
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Recorded:
    plan: Plan
    about_version: int
    agreed: bool
    preferred_school: str | None
    received_at: datetime


async def record_response(
    uow: UnitOfWork,
    referral_id: UUID,
    *,
    comments: str,
    preferred_school: str | None,
    agreed: bool,
    taken_by: Literal["family", "caseworker"],
    who: str,
    expected_version: int | None = None,
) -> Recorded:
    """Store the response, and the plan's new version when it makes one, in ``uow`` with its
    events; ``Refused`` when the plan is not with the family."""
    plan, document = await changes.locked(uow.conn, referral_id, expected_version)
    taken = plan.respond(
        agreed, london_today(), reviews=[o.review_on for o in document.E], taken_by=taken_by,
        preferred_school=preferred_school,
    )  # fmt: skip
    stored = await versions.add_comments(
        uow.conn, plan, comments=comments, preferred_school=preferred_school, agreed=agreed,
        taken_by=who,
    )  # fmt: skip
    if taken.plan != plan:
        await changes.store(uow.conn, taken, document, changed_by=who)
    uow.add(*taken.events)
    return Recorded(taken.plan, plan.version, agreed, preferred_school, stored["received_at"])
