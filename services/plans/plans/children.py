"""The child a plan is for, by name and date of birth, as referrals identified them
(``ChildIdentified``): the EHC plan and its PDF name the child, for staff and the family.
Personal data: read only to show the plan, erased with the child's details, never logged."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.db import Connection
from shared.events import ChildIdentified


class PlanChild(BaseModel):
    model_config = ConfigDict(frozen=True)

    given_name: str
    family_name: str
    date_of_birth: date | None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


async def keep(conn: Connection, local_authority: str, child: ChildIdentified) -> None:
    """The child's name and date of birth (the latest identification wins)."""
    await conn.execute(
        """INSERT INTO plan_children
               (referral_id, local_authority, given_name, family_name, date_of_birth)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (referral_id) DO UPDATE SET given_name = EXCLUDED.given_name,
               family_name = EXCLUDED.family_name, date_of_birth = EXCLUDED.date_of_birth""",
        child.referral_id,
        local_authority,
        child.given_name,
        child.family_name,
        child.date_of_birth,
    )


async def named(conn: Connection, referral_id: UUID) -> PlanChild | None:
    row = await conn.fetchrow(
        "SELECT given_name, family_name, date_of_birth FROM plan_children WHERE referral_id = $1",
        referral_id,
    )
    return None if row is None else PlanChild(**dict(row))


async def forget(conn: Connection, referral_id: UUID) -> int:
    """Erase the child's name and date of birth; how many rows went (0 when done before)."""
    gone = await conn.fetchval(
        """WITH gone AS (DELETE FROM plan_children WHERE referral_id = $1 RETURNING 1)
           SELECT count(*) FROM gone""",
        referral_id,
    )
    return int(gone or 0)
