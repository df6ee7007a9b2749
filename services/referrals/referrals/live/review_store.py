"""SQL for annual reviews and their deadlines (migration 0032)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from referrals.live.amendment import Amendment
from referrals.live.annual_review import (
    AnnualReview,
    ReviewDeadline,
    Stage,
    Taken,
    arrange_meeting,
    hold_meeting,
)
from shared.db import Connection

Scheduled = tuple[UUID, str, date]
"""A review to schedule: the plan's referral, its council, the day its meeting is due by."""


async def schedule(conn: Connection, reviews: Iterable[Scheduled]) -> None:
    """The next review of each plan, with its meeting's deadline (the scheduler opens it)."""
    rows = [(uuid4(), referral_id, council, due_on) for referral_id, council, due_on in reviews]
    await conn.executemany(
        """INSERT INTO annual_reviews (id, referral_id, local_authority, due_on, stage)
           VALUES ($1, $2, $3, $4, 'scheduled')""",
        rows,
    )
    await conn.executemany(
        """INSERT INTO review_deadlines (review_id, kind, referral_id, local_authority, due_on)
           VALUES ($1, $5, $2, $3, $4)""",
        [(*row, ReviewDeadline.MEETING.value) for row in rows],
    )


async def under_way(conn: Connection, meetings: Iterable[tuple[UUID, date]], today: date) -> None:
    """Reviews brought in with their meeting (the import's ``open_steps``): opened today, and
    at the stage the meeting's day says, with the deadlines it sets. A meeting to come is
    arranged (its invitations due 2 weeks before it); one held is held, its report and
    decision due from it (which may have passed: the scheduler then warns of them)."""
    for referral_id, meeting_on in meetings:
        review = await open_review(conn, referral_id)
        assert review is not None  # scheduled in the same import
        opened = replace(review, stage=Stage.OPENED)
        if meeting_on >= today:
            taken = arrange_meeting(opened, meeting_on, today)
        else:
            invited = replace(opened, stage=Stage.INVITED, meeting_on=meeting_on)
            taken = hold_meeting(invited, meeting_on, today)
        await conn.execute(
            "UPDATE annual_reviews SET opened_on = $2, meeting_on = $3 WHERE id = $1",
            review.id,
            today,
            meeting_on,
        )
        await store(conn, taken, meeting_on)  # the arranged or held day


def review_of(row: asyncpg.Record) -> AnnualReview:
    return AnnualReview(
        id=row["id"],
        referral_id=row["referral_id"],
        local_authority=row["local_authority"],
        due_on=row["due_on"],
        stage=Stage(row["stage"]),
        meeting_on=row["meeting_on"],
        held_on=row["held_on"],
    )


async def open_review(conn: Connection, referral_id: UUID) -> AnnualReview | None:
    """The plan's review not yet decided, locked until the transaction ends (steps of one
    review are taken one at a time)."""
    row = await conn.fetchrow(
        """SELECT * FROM annual_reviews WHERE referral_id = $1 AND decided_on IS NULL
           FOR UPDATE""",
        referral_id,
    )
    return None if row is None else review_of(row)


async def reviews_of(conn: Connection, referral_id: UUID) -> list[dict[str, Any]]:
    """Every review of the plan, the latest first, each with its deadlines."""
    rows = await conn.fetch(
        """SELECT a.*, coalesce((SELECT jsonb_agg(jsonb_build_object('kind', d.kind,
                     'due_on', d.due_on, 'met_on', d.met_on) ORDER BY d.due_on)
                   FROM review_deadlines d WHERE d.review_id = a.id), '[]') AS deadlines
           FROM annual_reviews a WHERE a.referral_id = $1 ORDER BY a.due_on DESC""",
        referral_id,
    )
    return [{**row, "deadlines": json.loads(row["deadlines"])} for row in rows]


_STEP_COLUMNS = {
    Stage.MEETING_ARRANGED: "meeting_on",
    Stage.INVITED: "invited_on",
    Stage.MEETING_HELD: "held_on",
    Stage.REPORT_SENT: "report_sent_on",
    Stage.DECIDED: "decided_on",
}


async def store(conn: Connection, taken: Taken, day: date, **more: object) -> None:
    """A step taken: the review's stage and the step's day (``more``: its other columns), the
    deadlines it sets (a meeting arranged again moves its invitations' day) and meets."""
    review = taken.review
    column = _STEP_COLUMNS[review.stage]
    extra = "".join(f", {name} = ${i}" for i, name in enumerate(more, start=4))
    await conn.execute(
        f"UPDATE annual_reviews SET stage = $2, {column} = $3{extra} WHERE id = $1",
        review.id,
        review.stage.value,
        day,
        *more.values(),
    )
    await conn.executemany(
        """INSERT INTO review_deadlines (review_id, kind, referral_id, local_authority, due_on)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (review_id, kind) DO UPDATE SET due_on = EXCLUDED.due_on,
               at_risk_sent_on = NULL, missed_sent_on = NULL""",
        [
            (review.id, kind.value, review.referral_id, review.local_authority, due)
            for kind, due in taken.sets.items()
        ],
    )
    await conn.executemany(
        "UPDATE review_deadlines SET met_on = $3 WHERE review_id = $1 AND kind = $2",
        [(review.id, kind.value, met) for kind, met in taken.meets.items()],
    )


async def amendment_of(conn: Connection, referral_id: UUID) -> Amendment | None:
    """The plan's amendment under way (a review decided "amend", its amended plan not yet
    issued), locked until the transaction ends."""
    row = await conn.fetchrow(
        """SELECT id, referral_id, local_authority, held_on, proposals_sent_on, comments_until
           FROM annual_reviews
           WHERE referral_id = $1 AND decision = 'amend' AND amended_issued_on IS NULL
           ORDER BY decided_on DESC LIMIT 1 FOR UPDATE""",
        referral_id,
    )
    if row is None:
        return None
    return Amendment(
        row["id"], row["referral_id"], row["local_authority"], row["held_on"],
        row["proposals_sent_on"], row["comments_until"],
    )  # fmt: skip


async def store_proposals(conn: Connection, amendment: Amendment, due: date) -> None:
    """The proposals sent, and the amended plan's limit that they bring nearer."""
    await conn.execute(
        "UPDATE annual_reviews SET proposals_sent_on = $2, comments_until = $3 WHERE id = $1",
        amendment.review_id,
        amendment.proposals_sent_on,
        amendment.comments_until,
    )
    await conn.execute(
        """UPDATE review_deadlines SET due_on = $3, at_risk_sent_on = NULL, missed_sent_on = NULL
           WHERE review_id = $1 AND kind = $2 AND due_on <> $3""",
        amendment.review_id,
        ReviewDeadline.AMENDED_PLAN.value,
        due,
    )


async def store_amended_plan(conn: Connection, review_id: UUID, issued_on: date) -> None:
    await conn.execute(
        "UPDATE annual_reviews SET amended_issued_on = $2 WHERE id = $1", review_id, issued_on
    )
    await conn.execute(
        "UPDATE review_deadlines SET met_on = $3 WHERE review_id = $1 AND kind = $2",
        review_id,
        ReviewDeadline.AMENDED_PLAN.value,
        issued_on,
    )
