"""What the family page and the PDF show, built from the stored plan row. Pure.

Reads the row's ``status``, ``sections`` (a ``PlanDocument``), ``referral_id`` and
``created_at``, ``version``, ``updated_at`` and ``comments_until`` (the end of an EHC draft's
comment window). A family sees the plan only in the statuses of
``STATUS_WORDS``; before that, or while the sections are in an older shape, a page saying the
plan is being prepared.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from plans.children import PlanChild
from plans.document import PlanDocument, Provision
from plans.family import words
from plans.family.shapes import (
    HEADINGS,
    Council,
    FamilyPlan,
    Goal,
    Help,
    Need,
    Preparing,
    lettered,
)
from shared.dates import LONDON


def reference(referral_id: UUID | str) -> str:
    """The short reference in the family's messages (the same rule as referrals')."""
    return str(referral_id)[:8].upper()


def family_plan(
    row: dict[str, Any] | None,
    referral_id: UUID,
    council: Council,
    *,
    staff: bool = False,
    child: PlanChild | None = None,
) -> FamilyPlan | Preparing:
    """The plan as the family sees it, or ``Preparing`` when they cannot see it yet. Staff
    (the caseworker's PDF) see it in every status, in the same words. It names ``child`` (and
    their date of birth); an EHC plan's sections carry their letters."""
    ref = reference(referral_id)
    status = row["status"] if row else None
    shown = {**words.STATUS_WORDS, **(words.STAFF_STATUS_WORDS if staff else {})}
    if row is None or status not in shown:
        said = words.PREPARING_WORDS.get(str(status), words.PREPARING_DEFAULT)
        return Preparing(ref, council, said)
    try:
        document = PlanDocument.model_validate(row["sections"])
    except ValidationError:  # drafted in an older shape: it is redrafted, not shown half-read
        return Preparing(ref, council, words.PREPARING_DEFAULT)
    goal_numbers = {o.id: n for n, o in enumerate(document.E, start=1)}
    due = row.get("comments_until")  # the lifecycle's end of the comment window (EHC)
    return FamilyPlan(
        reference=ref,
        council=council,
        status=status,
        status_words=shown[status],
        version=int(row.get("version") or 1),
        dated=words.long_date(_day(row.get("updated_at") or row["created_at"])),
        track=document.track,
        views=document.A,
        needs=[
            Need(words.AREA_WORDS[n.area], n.description, n.in_the_referrers_words)
            for n in document.B
        ],
        goals=[
            Goal(n, o.text, o.measure, words.long_date(o.review_on), _standard(o.standard_id))
            for n, o in enumerate(document.E, start=1)
        ],
        help=[_help(p, goal_numbers) for p in document.F],
        health=[_help(p, goal_numbers) for p in document.G],
        texts={
            key: text
            for key in ("C", "D", "H1", "H2", "I", "J")
            if (text := getattr(document, key))
        },
        advice=[
            (words.sentence_case(a.kind.replace("_", " ")), words.long_date(a.received_on))
            for a in document.K
        ],
        comments_open=status in words.OPEN_FOR_COMMENTS and not staff,
        comments_due=words.long_date(_day(due)) if due else None,
        headings=lettered(HEADINGS) if document.track == "ehc" else dict(HEADINGS),
        child_name=child.name if child else None,
        born=words.long_date(child.date_of_birth) if child and child.date_of_birth else None,
    )


def _help(line: Provision, goal_numbers: dict[str, int]) -> Help:
    return Help(
        what=words.sentence_case(line.support),
        sentence=words.in_words(line),
        who=words.sentence_case(line.delivered_by),
        how_often=words.sentence_case(
            f"{words.how_often(line.sessions_per_week)}, "
            f"{words.how_long(line.minutes_per_session)} each time, {words.for_weeks(line.weeks)}"
        ),
        where=words.sentence_case(f"{words.where(line.where)}, {words.group(line.group_size)}"),
        goals=sorted(goal_numbers[o] for o in line.outcome_ids if o in goal_numbers),
        standard=_standard(line.standard_id),
    )


def _standard(standard_id: str) -> str | None:
    return None if standard_id == "caseworker" else standard_id


def _day(value: str | date) -> date:
    """A stored moment as the day it was in England (a date stays as it is)."""
    if isinstance(value, date):
        return value
    if "T" not in value:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).astimezone(LONDON).date()
