"""Retention: a child's personal details are erased once past their council's retention
period (``RETENTION_YEARS_BY_COUNCIL``, else ``RETENTION_YEARS_AFTER_BIRTH``, often 31),
keeping the referral's codes and dates for the statistics councils return (and a partner's
request held for matching, or a request made on the public form not taken in, loses its copy
of the request; a young person's representative, the caseworker's reason). Each erasure leaves as a
``ChildDetailsErased`` event per referral, so plans and notifications erase their copies (the
words in the plan, the family's contact details) too; the unit of work (acting as
``system:retention``) audits each as the erasure of the child's details. The child's documents
go with them: erased in the same unit of work, their bytes removed from the store after it
commits (``remove_erased_documents``; a run that stops between the two finishes next time).

A scheduled job of the referrals service, driven by the database: every replica runs the loop,
one at a time acts (an advisory lock), and a run missed while the service was down is simply
done at the next start.

(Longer than most modules: one policy in its steps, the details, the held and public requests'
copies, the evidence no request named and the documents' bytes, read best together.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from referrals.documents import repository as documents
from referrals.documents.store import DocumentStore, StoredKey
from referrals.documents.stores import StoreOf
from referrals.public import store as public_store
from referrals.state import referrals_of
from shared.councils import ALL
from shared.dates import london_today
from shared.db import Connection
from shared.events import ChildDetailsErased
from shared.schedule import every
from shared.state import ServiceState
from shared.unit_of_work import Actor, Work

_LOCK_ID = 0x5E0D_0003
RETENTION = Actor.system("retention")
"""The job's own work: the councils' retention policy, for every council."""


def cut_off(today: date, years: int) -> date:
    """Children born before this day are past retention (29 February falls back a day)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


async def erase_past_retention(
    work: Work,
    conn: Connection,
    *,
    today: date,
    years: int,
    by_council: Mapping[str, int] | None = None,
) -> int:
    """Erase the personal details of every child past their council's retention period
    (``by_council``'s years, else ``years``); returns how many children."""
    councils = sorted(by_council or {})
    cut_offs = [cut_off(today, (by_council or {})[c]) for c in councils]
    default = cut_off(today, years)
    async with work.begin(RETENTION, councils=ALL, conn=conn) as uow:
        rows = await conn.fetch(
            """WITH policy (local_authority, cut_off) AS (
                   SELECT * FROM unnest($2::text[], $3::date[]))
               UPDATE children c SET given_name = 'erased', family_name = 'erased',
                   name_key = 'erased', nhs_number = NULL, upn = NULL,
                   postcode = split_part(postcode, ' ', 1), erased_at = now()
               WHERE erased_at IS NULL AND date_of_birth < $4
                 AND date_of_birth < coalesce(
                     (SELECT p.cut_off FROM policy p WHERE p.local_authority = c.local_authority),
                     $1)
               RETURNING id""",
            default,
            councils,
            cut_offs,
            max([default, *cut_offs]),  # lets the partial index narrow the scan
        )
        # A partner's request held for matching holds the child's details too, until decided,
        # and so does a request made on the public form, until it is taken in.
        for copies in ("held_referrals", "public_requests"):
            await conn.execute(
                f"""WITH policy (local_authority, cut_off) AS (
                       SELECT * FROM unnest($2::text[], $3::date[]))
                   UPDATE {copies} h SET request = NULL
                   WHERE request IS NOT NULL AND date_of_birth < $4
                     AND date_of_birth < coalesce(
                         (SELECT p.cut_off FROM policy p
                          WHERE p.local_authority = h.local_authority), $1)""",
                default,
                councils,
                cut_offs,
                max([default, *cut_offs]),
            )
        # The evidence sent with a request not taken in goes with its details.
        await public_store.erase_with_their_requests(conn)
        erased_children = [row["id"] for row in rows]
        referrals = await conn.fetch(
            "SELECT id, local_authority FROM referrals WHERE child_id = ANY($1) ORDER BY id",
            erased_children,
        )
        referral_ids = [r["id"] for r in referrals]
        # The caseworkers' words may name the child: the dates and codes stay for SEN2.
        await conn.execute(
            "UPDATE ehc_requests SET decision_note = NULL WHERE referral_id = ANY($1)",
            referral_ids,
        )
        await conn.execute(
            "UPDATE statutory_exceptions SET reason = 'erased' WHERE referral_id = ANY($1)",
            referral_ids,
        )
        await conn.execute(  # an NHS partner's reasons: the child's health, in their words
            "UPDATE referrer_reasons SET reasons = '[]' WHERE referral_id = ANY($1)",
            referral_ids,
        )
        await conn.execute(  # a school's reasons may name the child too
            "UPDATE school_consultations SET reason = NULL WHERE referral_id = ANY($1)",
            referral_ids,
        )
        await conn.execute(  # what existing advice is may say something of the child
            "UPDATE existing_advice SET description = 'erased' WHERE referral_id = ANY($1)",
            referral_ids,
        )
        await conn.execute(  # the advice a family asked for, and why it was refused
            """UPDATE family_advice_asks SET advice = 'erased', asked_of = 'erased',
                   refusal_reason = CASE WHEN refusal_reason IS NOT NULL THEN 'erased' END
               WHERE referral_id = ANY($1)""",
            referral_ids,
        )
        await conn.execute(  # and why an adviser's 6 weeks were excused
            """UPDATE advice_requests SET excused_reason = 'erased'
               WHERE referral_id = ANY($1) AND excused_reason IS NOT NULL""",
            referral_ids,
        )
        # The child's documents go with their details: their rows now, their bytes after.
        await documents.erase(conn, referral_ids)
        await conn.execute(
            "UPDATE representatives SET reason = NULL WHERE referral_id = ANY($1)", referral_ids
        )
        uow.add(
            *(
                ChildDetailsErased(
                    referral_id=r["id"], local_authority=r["local_authority"], erased_on=today
                )
                for r in referrals
            )
        )
    return len(rows)


async def erase_unclaimed_evidence(work: Work, conn: Connection) -> int:
    """Evidence uploaded on the public form that no request named within a day: erased, each
    audited as ``system:retention``; returns how many."""
    async with work.begin(RETENTION, councils=ALL, conn=conn) as uow:
        erased = await public_store.erase_unclaimed(uow.conn)
        for row in erased:
            uow.changed(
                "erase", "document", referral_id=None, local_authority=row["local_authority"]
            )
    return len(erased)


async def remove_erased_documents(work: Work, store: DocumentStore, conn: Connection) -> int:
    """The bytes of erased documents removed from the store, after their erasure committed
    (a store may be a bucket: never called inside a transaction), each removal recorded and
    audited in a unit of work of its own; returns how many."""
    async with work.begin(RETENTION, councils=ALL, conn=conn) as uow:
        erased = await documents.to_remove(uow.conn)
    for row in erased:
        await store.remove(StoredKey(row["id"], row["local_authority"]))
        async with work.begin(RETENTION, councils=ALL, conn=conn) as uow:
            await documents.removed(uow.conn, row["id"])
            uow.changed(
                "erase", "document-content",
                referral_id=row["referral_id"], local_authority=row["local_authority"],
            )  # fmt: skip
    return len(erased)


class RetentionJob:
    """Runs ``erase_past_retention`` now and then every ``interval_s``."""

    def __init__(
        self,
        *,
        years: int,
        interval_s: float,
        by_council: Mapping[str, int] | None = None,
        store: StoreOf | None = None,
    ) -> None:
        self.years = years
        self.by_council = dict(by_council or {})
        self.interval_s = interval_s
        self.store = store

    async def run(self, state: ServiceState) -> None:
        # None: the service's own choice (DOCUMENT_STORE), from its state
        store = (self.store or referrals_of(state.own).document_store)(state.database)

        async def erase(work: Work, conn: Connection) -> int:
            erased = await erase_past_retention(
                work, conn, today=london_today(), years=self.years, by_council=self.by_council
            )
            await erase_unclaimed_evidence(work, conn)
            await remove_erased_documents(work, store, conn)
            return erased

        await every(
            state,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="retention (children's details erased)",
            job=erase,
        )
