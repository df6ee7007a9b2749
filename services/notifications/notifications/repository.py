"""SQL for family contacts and notifications."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from notifications.domain import FamilyAlert, FamilyContact
from shared.db import Connection
from shared.events import FamilyContactRegistered


async def lock_referral(conn: Connection, referral_id: UUID) -> None:
    """Serialise this transaction with any other about the same referral, until it ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(referral_id))


async def save_contact(conn: Connection, contact: FamilyContactRegistered) -> None:
    await conn.execute(
        """INSERT INTO family_contacts (referral_id, contact_name, email, phone, preferred_channel)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (referral_id) DO UPDATE SET contact_name = EXCLUDED.contact_name,
               email = EXCLUDED.email, phone = EXCLUDED.phone,
               preferred_channel = EXCLUDED.preferred_channel, updated_at = now()""",
        contact.referral_id,
        contact.contact_name,
        contact.email,
        contact.phone,
        contact.preferred_channel,
    )


async def contact_for(conn: Connection, referral_id: UUID) -> FamilyContact | None:
    row = await conn.fetchrow(
        """SELECT referral_id, contact_name, email, phone, preferred_channel
           FROM family_contacts WHERE referral_id = $1""",
        referral_id,
    )
    return FamilyContact(**dict(row)) if row else None


async def add_alert(conn: Connection, alert: FamilyAlert) -> bool:
    """Store an alert awaiting delivery; False if one exists for that event already."""
    added = await conn.fetchval(
        """INSERT INTO notifications (id, referral_id, about_event_id, local_authority,
               template, body, status)
           VALUES ($1, $2, $3, $4, $5, $6, 'awaiting_contact')
           ON CONFLICT (about_event_id) DO NOTHING RETURNING true""",
        alert.id,
        alert.referral_id,
        alert.about_event_id,
        alert.local_authority,
        alert.template,
        alert.body,
    )
    return bool(added)


async def awaiting(conn: Connection, referral_id: UUID) -> list[FamilyAlert]:
    rows = await conn.fetch(
        """SELECT id, referral_id, about_event_id, template, body, local_authority
           FROM notifications WHERE referral_id = $1 AND status = 'awaiting_contact'
           ORDER BY created_at FOR UPDATE""",
        referral_id,
    )
    return [FamilyAlert(**dict(r)) for r in rows]


async def mark_sent(conn: Connection, alert: FamilyAlert, channel: str) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'sent', channel = $2, sent_at = now() WHERE id = $1",
        alert.id,
        channel,
    )


async def notifications_for(pool: asyncpg.Pool, referral_id: UUID) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT id, template, status, channel, created_at, sent_at FROM notifications
           WHERE referral_id = $1 ORDER BY created_at""",
        referral_id,
    )
