"""Waking a worker at once when PostgreSQL says there is work (LISTEN/NOTIFY), and at least
every poll interval, so a lost notification only delays the work by that much."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from shared.db import Connection


class Wakeup:
    """``await wakeup.wait()`` returns on a NOTIFY on ``channel`` or after the poll interval."""

    def __init__(self, channel: str, *, poll_interval_s: float) -> None:
        self.channel = channel
        self.poll_interval_s = poll_interval_s
        self._event = asyncio.Event()

    async def listen(self, conn: Connection) -> None:
        """Receive the channel's notifications on ``conn`` (a dedicated connection)."""
        await conn.add_listener(self.channel, self._notified)

    def _notified(self, *_: Any) -> None:
        self._event.set()

    def clear(self) -> None:
        """Forget earlier wake-ups: call before looking for work, so none is missed."""
        self._event.clear()

    async def wait(self, within_s: float | None = None) -> None:
        """Until woken, or the poll interval (``within_s`` if sooner: work known to be due
        then) has passed."""
        timeout_s = (
            self.poll_interval_s if within_s is None else min(within_s, self.poll_interval_s)
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), max(timeout_s, 0.0))
