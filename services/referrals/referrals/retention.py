"""Retention: a child's personal details are erased once past the council's retention period
(``RETENTION_YEARS_AFTER_BIRTH``, often 31), keeping the referral's codes and dates for the
statistics councils return. Each erasure is in the audit trail.

A scheduled job of the referrals service, driven by the database: every replica runs the loop,
one at a time acts (an advisory lock), and a run missed while the service was down is simply
done at the next start.
"""

from __future__ import annotations

from datetime import date

from shared.councils import ALL, act_for
from shared.db import Connection, Database
from shared.outbox import Outbox
from shared.schedule import every

_LOCK_ID = 0x5E0D_0003
ACTOR = "system:retention"


def cut_off(today: date, years: int) -> date:
    """Children born before this day are past retention (29 February falls back a day)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


async def erase_past_retention(conn: Connection, *, today: date, years: int) -> int:
    """Erase the personal details of every child past retention; returns how many."""
    async with conn.transaction():
        await act_for(conn, ALL)  # the service's own duty, for every council it serves
        rows = await conn.fetch(
            """UPDATE children SET given_name = 'erased', family_name = 'erased',
                   name_key = 'erased', nhs_number = NULL,
                   postcode = split_part(postcode, ' ', 1), erased_at = now()
               WHERE erased_at IS NULL AND date_of_birth < $1
               RETURNING id, local_authority""",
            cut_off(today, years),
        )
        # The caseworkers' words may name the child: the dates and codes stay for SEN2.
        erased_children = [row["id"] for row in rows]
        await conn.execute(
            """UPDATE ehc_requests SET decision_note = NULL WHERE referral_id IN (
                   SELECT id FROM referrals WHERE child_id = ANY($1))""",
            erased_children,
        )
        await conn.execute(
            """UPDATE statutory_exceptions SET reason = 'erased' WHERE referral_id IN (
                   SELECT id FROM referrals WHERE child_id = ANY($1))""",
            erased_children,
        )
        await conn.executemany(
            """INSERT INTO audit_log (actor, roles, local_authority, action, resource,
                   referral_id, request_id)
               SELECT $1, '{}', c.local_authority, 'erase', 'child', r.id, NULL
               FROM children c LEFT JOIN referrals r ON r.child_id = c.id WHERE c.id = $2""",
            [(ACTOR, row["id"]) for row in rows],
        )
    return len(rows)


class RetentionJob:
    """Runs ``erase_past_retention`` now and then every ``interval_s``."""

    def __init__(self, *, years: int, interval_s: float) -> None:
        self.years = years
        self.interval_s = interval_s

    async def run(self, database: Database, _: Outbox) -> None:
        await every(
            database,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="retention (children's details erased)",
            work=lambda conn: erase_past_retention(conn, today=date.today(), years=self.years),
        )
