"""Retention in notifications: when referrals erases a child's personal details (their
council's retention period has passed: ``ChildDetailsErased``), the family's contact details
go too: the name is pseudonymised, the email address, phone number and postal address removed.
The messages' log (templates, channels, dates, ids) stays. Idempotent; audited once, as the
retention job's work (``system:retention``: the handler's unit of work)."""

from __future__ import annotations

from uuid import UUID

from shared.audit import audited
from shared.db import Connection
from shared.pending_writes import PendingWrites

JOB = "retention"


async def erase_family_contact(
    conn: Connection, referral_id: UUID, pending: PendingWrites | None = None
) -> bool:
    """Erase the family's contact details for the referral; ``False`` when done (and
    audited) before (``pending``: the batch's audit rows not written yet)."""
    await conn.execute(
        """UPDATE family_contacts SET contact_name = 'erased', email = NULL, phone = NULL,
               address_lines = '{}', updated_at = now()
           WHERE referral_id = $1 AND (contact_name <> 'erased' OR email IS NOT NULL
               OR phone IS NOT NULL OR address_lines <> '{}')""",
        referral_id,
    )
    return not await audited(conn, JOB, "erase", referral_id, pending)
