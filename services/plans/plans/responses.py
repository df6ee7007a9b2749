"""The family's response to a plan, through their link or taken by a caseworker: kept with
the version it was about; on the support track it agrees the plan or asks for changes, on the
EHC track it is a comment on the draft (and may name a school)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from plans import changes, versions
from plans.document import PlanDocument
from plans.lifecycle import REVIEW_MONTHS, Plan, add_months
from shared.db import Connection
from shared.events import DomainEvent, PlanAgreed, PlanCommentsReceived
from shared.outbox import Outbox


@dataclass(frozen=True)
class Recorded:
    plan: Plan
    about_version: int
    agreed: bool
    preferred_school: str | None
    received_at: datetime


def earliest_review(document: PlanDocument, today: date) -> date:
    """An agreed support plan is reviewed at its earliest outcome's review date."""
    return min((o.review_on for o in document.E), default=add_months(today, REVIEW_MONTHS))


async def record_response(
    conn: Connection,
    outbox: Outbox,
    referral_id: UUID,
    *,
    comments: str,
    preferred_school: str | None,
    agreed: bool,
    taken_by: Literal["family", "caseworker"],
    who: str,
    expected_version: int | None = None,
) -> Recorded:
    """Store the response and its events; ``Refused`` when the plan is not with the family.
    The caller holds the transaction."""
    plan, document = await changes.locked(conn, referral_id, expected_version)
    today = changes.london_today()
    changed = plan.respond(agreed, earliest_review(document, today))
    stored = await versions.add_comments(
        conn, plan, comments=comments, preferred_school=preferred_school, agreed=agreed,
        taken_by=who,
    )  # fmt: skip
    events: list[DomainEvent] = [
        PlanCommentsReceived(
            **plan.step(), received_on=today, agreed=agreed, taken_by=taken_by,
            school_named=plan.track == "ehc" and bool(preferred_school),
        )
    ]  # fmt: skip
    if changed != plan:
        why = "agreed" if agreed else "asked for changes"
        reason = f"the family {'has no more comments' if plan.track == 'ehc' else why}"
        await changes.store(conn, changed, document, changed_by=who, reason=reason)
    if changed.status == "agreed" and changed.review_due_on is not None:
        events.append(
            PlanAgreed(**changed.step(), agreed_on=today, review_due=changed.review_due_on)
        )
    await outbox.add(conn, events, local_authority=plan.local_authority)
    return Recorded(changed, plan.version, agreed, preferred_school, stored["received_at"])
