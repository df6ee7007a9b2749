"""The family's letter of a draft or final EHC plan issued in the plans service (its
``/issue`` and ``/finalise``), written when referrals records the statutory step from
``PlanIssuedForComment`` or ``PlanFinalised``: the same letter the caseworker's ``/draft-plan``
and ``/final-plan`` write (the draft's: at least 15 days to comment, a meeting with an officer,
asking for a school, the Local Offer (Reg 13(1)); the final plan's: the right to appeal and its
date, mediation, disagreement resolution, SENDIASS (Reg 14)).

Written in the consumer's unit of work, once: only when the step is recorded now (a
redelivery records nothing, so writes nothing) and no letter of that kind is kept for the
referral yet. A consumer's transaction is open before its handler runs, so the letter is
printed and stored inside it (PostgreSQL's store on the same connection, so bytes and row commit
together; another store's bytes are removed again if the handler fails)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import asyncpg

from referrals.notices.issuing import LetterDesk
from referrals.state import referrals_of
from shared.db import Connection
from shared.events import DraftPlanIssued, FinalPlanIssued
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class _ThisConnection:
    """The consumer's own connection as a pool of one, for PostgreSQL's store: its bytes
    written in a savepoint of the consumer's transaction (no second connection waits on it)."""

    conn: Connection

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Connection]:
        yield self.conn


@dataclass(frozen=True)
class _Within:
    conn: Connection

    @property
    def pool(self) -> Any:
        return lambda: cast(asyncpg.Pool, _ThisConnection(self.conn))


async def write_plan_letter(uow: UnitOfWork, event: DraftPlanIssued | FinalPlanIssued) -> None:
    """The family's letter of the step ``event`` just recorded, unless one is kept already."""
    own = referrals_of(uow.service)
    desk = LetterDesk(own.document_store(_Within(uow.conn)), own.council_notices)
    letter = await desk.letter(uow.conn, event, None)
    if letter is None:
        return
    kept = await uow.conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM documents
                          WHERE referral_id = $1 AND kind = 'letter' AND letter_kind = $2)""",
        event.referral_id,
        letter.kind.value,
    )
    if kept:
        return
    try:
        await desk.write(letter, event.local_authority)
        await desk.keep(uow.conn, event, None, uow.actor.subject)
    except BaseException:
        await desk.forget()
        raise
    await desk.done()
