"""Delivery receipts that arrive together are committed together (a group commit).

GOV.UK Notify posts one receipt a message, many at once when messages go out in numbers. Each
in a transaction of its own would wait for its own durable commit (a WAL flush), with a pooled
connection, its councils and its outbox rows each time. Instead the route hands its receipt to
the process's ``ReceiptBatches`` and awaits what became of it: the receipts waiting are applied
in one unit of work (up to ``most``), each reaching only the councils whose token it bore, and
each is answered once that unit of work has committed; the route's 204 follows. Inside, a few
set-based statements apply them all (``deliveries.receipts``), not four or five each (#25). Up
to ``at_once`` such units of work run side by side; receipts arriving while all are busy wait
for the next one, so a lone receipt is never held back for company.

A receipt that fails (a bug, a deadlock with the sender) must not fail the others: the batch is
then applied again one receipt at a time, each answered with its own outcome, as before.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import cast
from uuid import UUID

from notifications.deliveries import Status
from notifications.receipts import SERVICE, Receipt, apply_receipts, record_receipt
from shared.councils import ALL, act_for
from shared.db import Connection
from shared.unit_of_work import Work

logger = logging.getLogger(__name__)

MOST = 100
"""Receipts applied in one unit of work at most: a batch's locks held briefly."""
AT_ONCE = 4
"""Units of work of receipts at once: a receipt's statements run one after another in its
batch, so a single one would hold receipts back by the round trips of every one before them
(and a burst past the process's ``HTTP_IN_FLIGHT`` would be refused 503 for Notify to retry)."""


@dataclass
class ReceiptBatches:
    """The process's receipts waiting to be committed, and the tasks committing them."""

    most: int = MOST
    at_once: int = AT_ONCE
    commits: int = 0
    """Units of work committed with receipts in them (tests, and a measure of the batching)."""
    _waiting: list[tuple[Receipt, asyncio.Future[bool]]] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def waiting(self) -> int:
        """Receipts waiting for a unit of work (those being committed not counted)."""
        return len(self._waiting)

    async def record(self, work: Work, receipt: Receipt) -> bool:
        """Apply ``receipt`` with any others waiting; returns once committed: False if the
        message is not known here (or to its councils). Raises what failed it."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((receipt, answer))
        if len(self._tasks) < self.at_once:
            task = asyncio.create_task(self._commit_waiting(work))
            self._tasks.add(task)
        return await asyncio.shield(answer)  # a caller gone still has its receipt committed

    async def _commit_waiting(self, work: Work) -> None:
        """Batches until none is waiting; then the next receipt starts this again."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
                await self._commit(work, batch)
        finally:
            # Gone from the count at once: a receipt arriving now starts another task.
            self._tasks.discard(cast("asyncio.Task[None]", asyncio.current_task()))
            if not self._tasks:  # the last one: only if cancelled (the process stopping)
                for _, answer in self._waiting:
                    if not answer.done():
                        answer.set_exception(asyncio.CancelledError())
                self._waiting = []

    async def _commit(self, work: Work, batch: list[tuple[Receipt, asyncio.Future[bool]]]) -> None:
        try:
            found = await self._together(work, [receipt for receipt, _ in batch])
        except asyncio.CancelledError:
            for _, answer in batch:
                answer.cancel()
            raise
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            logger.warning(
                "%d receipts together failed (%s): each alone", len(batch), type(exc).__name__
            )
            for receipt, answer in batch:
                try:
                    answer.set_result(await self._alone(work, receipt))
                except asyncio.CancelledError:
                    answer.cancel()
                    raise
                except Exception as one:
                    answer.set_exception(one)
            return
        for (_, answer), known in zip(batch, found, strict=True):
            answer.set_result(known)

    async def _together(self, work: Work, receipts: list[Receipt]) -> list[bool]:
        """Every receipt in one unit of work, a few statements for them all (their messages
        locked in the order of their ids, as the sender locks them: no deadlock between two
        batches), each reaching only the messages its token's councils may see."""
        order = sorted(range(len(receipts)), key=lambda i: receipts[i].notification_id)
        found = [False] * len(receipts)
        tokens = {r.councils for r in receipts}
        # One token's receipts (a batch's usual case): acting for its councils, row-level
        # security alone hides another's messages, as for a receipt alone (three statements
        # fewer a batch than looking first which are visible, #25).
        (councils,) = tokens if len(tokens) == 1 else (ALL,)
        async with work.begin(SERVICE, councils=_listed(councils)) as uow:
            seen = await _visible(uow.conn, receipts) if councils == ALL else [True] * len(found)
            mine = [i for i in order if seen[i]]
            applied = await apply_receipts(uow, [_status(receipts[i]) for i in mine])
            for i, known in zip(mine, applied, strict=True):
                found[i] = known
        self.commits += 1
        return found

    async def _alone(self, work: Work, r: Receipt) -> bool:
        known = await record_receipt(
            work, r.notification_id, r.channel, r.remote, r.at, councils=_listed(r.councils)
        )
        self.commits += 1
        return known


async def _visible(conn: Connection, receipts: list[Receipt]) -> list[bool]:
    """Whether each receipt's message is one its token's councils may see (row-level
    security, one statement for each set of councils among them); acting for every council
    again after (the messages are then locked together, in the order of their ids)."""
    councils = {r.councils for r in receipts if r.councils != ALL}
    visible: dict[tuple[str, ...] | str, set[UUID]] = {}
    for these in sorted(councils, key=str):
        await act_for(conn, these)
        visible[these] = {
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM notifications WHERE id = ANY($1::uuid[])",
                [r.notification_id for r in receipts if r.councils == these],
            )
        }
    if councils:
        await act_for(conn, ALL)
    return [r.councils == ALL or r.notification_id in visible[r.councils] for r in receipts]


def _listed(councils: tuple[str, ...] | str) -> list[str] | str:
    """A receipt's councils as a unit of work takes them."""
    return councils if isinstance(councils, str) else list(councils)


def _status(r: Receipt) -> Status:
    return Status(r.notification_id, r.channel, r.remote.provider_id, r.remote.status, r.at)
