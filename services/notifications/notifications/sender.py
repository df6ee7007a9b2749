"""Sends queued family alerts, after the transactions that queued them have committed.

For each alert: the claim commits first (``sending``), then the channel is called with no
transaction open, then ``sent`` and the *notification sent* event commit together. If that
last commit fails, it is retried; the message is never handed over twice by this sender. If
the process dies between the call and the commit, the claim's lease runs out and the next
sender asks the channel whether the message already went (``was_sent``) before sending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import asyncpg

from notifications import repository
from notifications.channels import FamilyChannel
from notifications.domain import FamilyAlert, render, sent
from shared.councils import ALL, act_for
from shared.db import Database
from shared.failures import Failure, classify
from shared.outbox import Outbox
from shared.telemetry import continued_trace, tag_current_span
from shared.wakeup import Wakeup

logger = logging.getLogger(__name__)


class AlertSender:
    """The notifications service's background worker (see the module docstring)."""

    def __init__(
        self,
        channel: FamilyChannel,
        *,
        link_for: Callable[[FamilyAlert], str],
        database_url: str,
        poll_interval_s: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 50,
        record_attempts: int = 10,
    ) -> None:
        self.channel = channel
        self._link_for = link_for
        self._database_url = database_url
        self._wakeup = Wakeup("notifications_queued", poll_interval_s=poll_interval_s)
        self._lease = lease
        self._batch_size = batch_size
        self._record_attempts = record_attempts

    async def run(self, database: Database, outbox: Outbox) -> None:
        """Send until cancelled, surviving database outages."""
        while True:
            try:
                conn = await asyncpg.connect(self._database_url, timeout=10)
                try:
                    await self._wakeup.listen(conn)
                    while not conn.is_closed():
                        self._wakeup.clear()
                        while await self.send_due(database.pool(), outbox) == self._batch_size:
                            pass
                        await self._wakeup.wait()
                finally:
                    await conn.close(timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("alert sender paused: %s", type(exc).__name__)
                await asyncio.sleep(self._wakeup.poll_interval_s)

    async def send_due(self, pool: asyncpg.Pool, outbox: Outbox) -> int:
        """Claim and send one batch; returns how many were claimed."""
        async with pool.acquire() as conn:
            claimed = await repository.claim_due(conn, limit=self._batch_size, lease=self._lease)
        for item in claimed:
            with continued_trace(item.trace_headers):
                tag_current_span(referral_id=str(item.alert.referral_id))
                if item.reclaimed and await self.channel.was_sent(item.alert.id):
                    logger.info("alert %s had gone before its sender stopped", item.alert.id)
                else:
                    try:
                        text = render(item.alert, link=self._link_for(item.alert))
                        await self.channel.send(item.alert, text, item.contact)
                    except Exception as exc:
                        logger.warning("alert %s not sent: %s", item.alert.id, type(exc).__name__)
                        async with pool.acquire() as conn:
                            await repository.note_failure(conn, item.alert, type(exc).__name__)
                        continue
                await self._record_sent(pool, outbox, item.alert)
        return len(claimed)

    async def _record_sent(self, pool: asyncpg.Pool, outbox: Outbox, alert: FamilyAlert) -> None:
        # The message is out: record it, retrying while the database heals, never resending.
        for attempt in range(1, self._record_attempts + 1):
            try:
                async with pool.acquire() as conn, conn.transaction():
                    await act_for(conn, ALL)  # the service's own work
                    await repository.mark_sent(conn, alert, self.channel.name)
                    await outbox.add(
                        conn,
                        [sent(alert, self.channel.name)],
                        local_authority=alert.local_authority,
                    )
                return
            except Exception as exc:
                if classify(exc) is Failure.PERMANENT or attempt == self._record_attempts:
                    raise
                logger.warning("alert %s sent, recording it failed: %s", alert.id, exc)
                await asyncio.sleep(min(0.1 * 2**attempt, 5))
