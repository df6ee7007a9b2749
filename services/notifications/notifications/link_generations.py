"""The generation of each referral's family links, as heard of from referrals'
``FamilyLinksRevoked``: every revocation starts a new one, and the link in a message sent from
then on is of it (``shared.family_links``); links of an earlier generation open nothing.
No row: no revocation heard of, generation 0."""

from __future__ import annotations

from uuid import UUID

from shared.db import Connection


async def save(
    conn: Connection, referral_id: UUID, generation: int, *, local_authority: str
) -> None:
    """The referral's family links are of ``generation`` from now on (the highest heard of
    wins: revocations may be heard of in any order, or again)."""
    await conn.execute(
        """INSERT INTO family_link_generations AS g (referral_id, local_authority, generation)
           VALUES ($1, $2, $3)
           ON CONFLICT (referral_id) DO UPDATE
           SET generation = GREATEST(g.generation, EXCLUDED.generation)""",
        referral_id,
        local_authority,
        generation,
    )


async def of(conn: Connection, referral_ids: list[UUID]) -> dict[UUID, int]:
    """The link generation of each of ``referral_ids`` that has had one revocation or more."""
    rows = await conn.fetch(
        """SELECT referral_id, generation FROM family_link_generations
           WHERE referral_id = ANY($1::uuid[])""",
        referral_ids,
    )
    return {r["referral_id"]: r["generation"] for r in rows}
