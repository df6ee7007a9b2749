"""SQL for family contacts and notifications."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import asyncpg

from notifications.domain import FamilyAlert
from shared.councils import ALL, act_for
from shared.db import Connection
from shared.events import FamilyContactRegistered


async def lock_referral(conn: Connection, referral_id: UUID) -> None:
    """Serialise this transaction with any other about the same referral, until it ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(referral_id))


async def save_contact(
    conn: Connection, contact: FamilyContactRegistered, *, local_authority: str
) -> None:
    await conn.execute(
        """INSERT INTO family_contacts (referral_id, contact_name, email, phone, preferred_channel,
               local_authority)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (referral_id) DO UPDATE SET contact_name = EXCLUDED.contact_name,
               email = EXCLUDED.email, phone = EXCLUDED.phone,
               preferred_channel = EXCLUDED.preferred_channel, updated_at = now()""",
        contact.referral_id,
        contact.contact_name,
        contact.email,
        contact.phone,
        contact.preferred_channel,
        local_authority,
    )


async def has_contact(conn: Connection, referral_id: UUID) -> bool:
    return bool(
        await conn.fetchval("SELECT true FROM family_contacts WHERE referral_id = $1", referral_id)
    )


async def add_alert(
    conn: Connection, alert: FamilyAlert, *, queued: bool, trace_headers: dict[str, str]
) -> bool:
    """Store an alert, queued for sending or awaiting the family's contact; False if one
    exists for that event already."""
    added = await conn.fetchval(
        """INSERT INTO notifications (id, referral_id, about_event_id, local_authority,
               template, status, trace_headers)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
           ON CONFLICT (about_event_id) DO NOTHING RETURNING true""",
        alert.id,
        alert.referral_id,
        alert.about_event_id,
        alert.local_authority,
        alert.template,
        "queued" if queued else "awaiting_contact",
        json.dumps(trace_headers),
    )
    return bool(added)


async def queue_awaiting(conn: Connection, referral_id: UUID) -> int:
    """Queue the alerts that waited for this family's contact; returns how many."""
    result = await conn.execute(
        """UPDATE notifications SET status = 'queued'
           WHERE referral_id = $1 AND status = 'awaiting_contact'""",
        referral_id,
    )
    return int(result.split()[-1])


@dataclass(frozen=True)
class Claimed:
    """An alert a sender has claimed, with what it needs to send it."""

    alert: FamilyAlert
    contact: FamilyContactRegistered
    trace_headers: dict[str, str]
    reclaimed: bool
    """It was claimed before and not recorded as sent: it may have gone already."""


async def claim_due(conn: Connection, *, limit: int, lease: timedelta) -> list[Claimed]:
    """Claim queued alerts, and those whose earlier claim ran out, oldest first; commits the
    claim before anything is sent, so no transaction is open during the call out."""
    async with conn.transaction():
        await act_for(conn, ALL)  # the service's own work, across the councils it serves
        rows = await conn.fetch(
            """UPDATE notifications n SET status = 'sending', claimed_at = now(),
                   attempts = n.attempts + 1
               FROM (SELECT id, status AS was FROM notifications
                     WHERE status = 'queued'
                        OR (status = 'sending' AND claimed_at < now() - $2::interval)
                     ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
               WHERE n.id = due.id
               RETURNING n.id, n.referral_id, n.about_event_id, n.template, n.local_authority,
                         n.trace_headers::text AS trace_headers, due.was""",
            limit,
            lease,
        )
        contacts = {
            r["referral_id"]: FamilyContactRegistered(**dict(r))
            for r in await conn.fetch(
                """SELECT referral_id, contact_name, email, phone, preferred_channel
                   FROM family_contacts WHERE referral_id = ANY($1::uuid[])""",
                [r["referral_id"] for r in rows],
            )
        }
    return [
        Claimed(
            alert=FamilyAlert(
                id=r["id"],
                referral_id=r["referral_id"],
                about_event_id=r["about_event_id"],
                template=r["template"],
                local_authority=r["local_authority"],
            ),
            contact=contacts[r["referral_id"]],
            trace_headers=json.loads(r["trace_headers"]),
            reclaimed=r["was"] == "sending",
        )
        for r in rows
    ]


async def mark_sent(conn: Connection, alert: FamilyAlert, channel: str) -> None:
    await conn.execute(
        """UPDATE notifications SET status = 'sent', channel = $2, sent_at = now(),
               last_error = NULL
           WHERE id = $1""",
        alert.id,
        channel,
    )


async def note_failure(conn: Connection, alert: FamilyAlert, error: str) -> None:
    """Record why a send failed; the row stays claimed and is tried again after its lease."""
    async with conn.transaction():
        await act_for(conn, ALL)
        await conn.execute(
            "UPDATE notifications SET last_error = $2 WHERE id = $1", alert.id, error
        )


async def notifications_for(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, template, status, channel, created_at, sent_at, local_authority
           FROM notifications
           WHERE referral_id = $1 ORDER BY created_at""",
        referral_id,
    )
