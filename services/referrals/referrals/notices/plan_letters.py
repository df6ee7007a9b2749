"""The family's letter of a draft or final EHC plan issued in the plans service (its
``/issue`` and ``/finalise``), written when referrals records the statutory step from
``PlanIssuedForComment`` or ``PlanFinalised``: the same letter the caseworker's ``/draft-plan``
and ``/final-plan`` write (the draft's: at least 15 days to comment, a meeting with an officer,
asking for a school, the Local Offer (Reg 13(1)); the final plan's: the right to appeal and its
date, mediation, disagreement resolution, SENDIASS (Reg 14)).

Printed after the consumer's transaction commits, never inside it: the document store may be a
bucket across a network, and the consumer's transaction holds the referral's lock (and its
whole batch's). So the consumer only says the letter is due (``letter_due``: a row of
``plan_letters_to_print`` in the transaction that records the step, so nothing is lost), once:
only when the step is recorded now (a redelivery records nothing, so adds nothing) and no
letter of that kind is kept for the referral yet. The printer (``PlanLetterPrinter``, a
scheduled job of the service's own, one replica at a time) then reads what is due, prints it
and puts its bytes in the store with no transaction open, and keeps the letter as the
referral's document and deletes its row in one short unit of work under the referral's lock
(``LetterDesk.keep``, as a caseworker's step keeps the letter it wrote first), audited as a
document created by the service (``system:referrals``). A letter that could not be printed or
kept stays due and its bytes go; it is tried again after a wait that grows with each failure,
and after ``PLAN_LETTERS_ATTEMPTS`` failures it is parked (its failure's kind kept, counted in
``send_plan_letters_parked``) until an operator puts it back (docs/operating.md). Rows are taken
by the time they are due, so a letter that can never be kept (its child's details erased
between printing and keeping, say) never holds back the others.

(Longer than most modules: the printer's run, its retries and what it keeps are one job, read
together.)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from prometheus_client import Counter

from referrals.notices.issuing import LetterDesk, decided
from referrals.state import referrals_of
from shared.councils import ALL
from shared.db import Connection
from shared.events import DraftPlanIssued, FinalPlanIssued
from shared.schedule import every
from shared.state import ServiceState
from shared.unit_of_work import Actor, UnitOfWork, Work

logger = logging.getLogger(__name__)

_LOCK_ID = 0x5E0D_0064
BATCH = 50
FIRST_WAIT_S = 30.0
"""How long a letter that failed once waits to be tried again (doubled at each failure)."""
LONGEST_WAIT_S = 3600.0
"""The longest wait between two tries of one letter."""

# Registered in the app's registry (referrals.app). Councils' codes only.
PARKED = Counter(
    "send_plan_letters_parked",
    "Plans' letters parked after PLAN_LETTERS_ATTEMPTS failures to print or keep them: no "
    "longer tried until an operator puts them back (docs/operating.md)",
    ["local_authority"],
    registry=None,
)
REFERRALS = Actor.system("referrals")
_STEPS: dict[str, type[DraftPlanIssued | FinalPlanIssued]] = {
    DraftPlanIssued.event_type(): DraftPlanIssued,
    FinalPlanIssued.event_type(): FinalPlanIssued,
}


async def letter_due(uow: UnitOfWork, event: DraftPlanIssued | FinalPlanIssued) -> None:
    """The family's letter of the step ``event`` just recorded, due to be printed after this
    unit of work commits, unless one is kept (or due) already."""
    decision = decided(event)
    assert decision is not None  # a draft or final plan always calls for its letter
    await uow.conn.execute(
        """INSERT INTO plan_letters_to_print
               (referral_id, letter_kind, local_authority, event_type, event)
           SELECT $1, $2, $3, $4, $5::jsonb
           WHERE NOT EXISTS (SELECT 1 FROM documents
                             WHERE referral_id = $1 AND kind = 'letter' AND letter_kind = $2)
           ON CONFLICT (referral_id, letter_kind) DO NOTHING""",
        event.referral_id,
        decision.kind.value,
        event.local_authority,
        event.event_type(),
        event.model_dump_json(),
    )


class PlanLetterPrinter:
    """Prints the plans' letters due (``check``) now and then every ``interval_s``; a letter
    that fails is tried again later and parked after ``attempts`` failures."""

    def __init__(self, *, interval_s: float, attempts: int = 10) -> None:
        self.interval_s = interval_s
        self.attempts = attempts

    async def run(self, state: ServiceState) -> None:
        await every(
            state,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="plans' letters (printed)",
            job=self.check,
        )

    async def check(self, work: Work, conn: Connection) -> int:
        """Print and keep the letters due now (not parked, not waiting to be tried again), the
        longest due first, up to ``BATCH``; returns how many were kept. Each letter is its own:
        one that fails is put off (``_failed``) and the others are printed in the same run.
        ``conn`` holds no transaction while a letter is printed and stored."""
        async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
            own = referrals_of(uow.service)
            rows = await conn.fetch(
                """SELECT referral_id, letter_kind, local_authority, event_type, event
                   FROM plan_letters_to_print
                   WHERE parked_at IS NULL AND next_attempt_at <= now()
                   ORDER BY next_attempt_at LIMIT $1""",
                BATCH,
            )
        printed = 0
        for row in rows:  # committed: no transaction open, no lock held
            desk = LetterDesk(own.document_store(work), own.council_notices)
            try:
                event = _STEPS[row["event_type"]].model_validate_json(row["event"])
                async with work.begin(REFERRALS, councils=ALL, conn=conn):
                    letter = await desk.letter(conn, event, None)
                if letter is not None:
                    await desk.write(letter, event.local_authority)
                async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
                    await _keep(uow, desk, row, event)
            except Exception as exc:  # tried again later, or parked; the store's bytes go
                await self._failed(work, conn, row, type(exc).__name__)
                await _tidy(row, desk.forget())
                continue
            await _tidy(row, desk.done())
            printed += 1
        return printed

    async def _failed(self, work: Work, conn: Connection, row: Any, failure: str) -> None:
        """``row``'s letter not printed or not kept (``failure``: the exception's class, never
        its text): tried again after a wait that doubles with each failure (``FIRST_WAIT_S``,
        at most ``LONGEST_WAIT_S``), or parked at its ``attempts``-th failure."""
        async with work.begin(REFERRALS, councils=ALL, conn=conn):
            done = await conn.fetchrow(
                """UPDATE plan_letters_to_print
                   SET attempts = attempts + 1, failure = $3,
                       next_attempt_at = now() + make_interval(
                           secs => least($4::float8 * power(2, least(attempts, 30)), $5::float8)),
                       parked_at = CASE WHEN attempts + 1 >= $6 THEN now() END
                   WHERE referral_id = $1 AND letter_kind = $2
                   RETURNING parked_at IS NOT NULL, attempts""",
                row["referral_id"],
                row["letter_kind"],
                failure,
                FIRST_WAIT_S,
                LONGEST_WAIT_S,
                self.attempts,
            )
        if done is None:  # no longer due (its referral's rows gone meanwhile)
            return
        parked, attempts = done
        if parked:
            PARKED.labels(row["local_authority"]).inc()
        logger.log(
            logging.ERROR if parked else logging.WARNING,
            "plan letter %s of referral %s not printed (attempt %d%s): %s",
            row["letter_kind"],
            row["referral_id"],
            attempts,
            ", parked" if parked else "",
            failure,
        )


async def _tidy(row: Any, removing: Awaitable[None]) -> None:
    """Bytes no longer needed removed from the store; a store that refuses leaves them (an
    orphan object, never a missing letter) and the run goes on to the next letter."""
    try:
        await removing
    except Exception as exc:
        logger.warning(
            "plan letter %s of referral %s: bytes not removed: %s",
            row["letter_kind"],
            row["referral_id"],
            type(exc).__name__,
        )


async def _keep(uow: UnitOfWork, desk: LetterDesk, row: Any, event: Any) -> None:
    """The letter written kept as the referral's document (unless one of its kind is kept
    already: a caseworker's), under the referral's lock; no longer due."""
    conn = uow.conn
    await conn.execute("SELECT 1 FROM referrals WHERE id = $1 FOR UPDATE", event.referral_id)
    kept = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM documents
                          WHERE referral_id = $1 AND kind = 'letter' AND letter_kind = $2)""",
        event.referral_id,
        row["letter_kind"],
    )
    if kept:
        desk.unused.extend(w.key for w in desk.written)  # its bytes go once committed
    else:
        await desk.keep(conn, event, None, uow.actor.subject)
        uow.changed(  # as every document kept: by the service itself (system:referrals)
            "create", "document",
            referral_id=event.referral_id, local_authority=event.local_authority,
        )  # fmt: skip
    await conn.execute(
        "DELETE FROM plan_letters_to_print WHERE referral_id = $1 AND letter_kind = $2",
        event.referral_id,
        row["letter_kind"],
    )
