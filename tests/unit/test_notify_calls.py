"""The Notify client is synchronous: each call holds a thread for a whole round trip to Notify.
A sender handing ``SENDING_CONCURRENCY`` messages over at once has as many threads for them,
not the event loop's default pool (CPUs + 4: 6 on a 2-CPU pod), which let 14 referrals a second
through when Notify took 150 ms to answer (#25)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from notifications.channels import Remote
from notifications.config import NotificationsSettings
from notifications.notify import NotifyChannel
from notifications.providers import Councils

from devtools.local_notify import development_messaging

AT_ONCE = 12
"""More than the default pool's threads on this machine (2 CPUs: 6)."""


class SlowNotify:
    """Notify's client, answering only once ``AT_ONCE`` calls are waiting for it together."""

    def __init__(self, timeout_s: float) -> None:
        self.together = threading.Barrier(AT_ONCE, timeout=timeout_s)

    def get_notification_by_id(self, provider_id: str) -> dict[str, Any]:
        self.together.wait()  # raises BrokenBarrierError if fewer ever wait at once
        return {"id": provider_id, "status": "delivered"}


def _notify(concurrency: int, timeout_s: float) -> NotifyChannel:
    settings = NotificationsSettings(
        database_url="postgresql://send@127.0.0.1/notifications",
        sending_concurrency=concurrency,
        council_messaging={"*": development_messaging("http://127.0.0.1:1", "token")},
    )
    channel = Councils(settings).council("E08000035").providers["notify"]
    assert isinstance(channel, NotifyChannel)
    slow: Any = SlowNotify(timeout_s)  # Notify's client, answering slowly
    channel._client = lambda: slow  # type: ignore[method-assign]
    return channel


async def test_as_many_calls_wait_on_notify_at_once_as_messages_are_handed_over() -> None:
    notify = _notify(concurrency=AT_ONCE, timeout_s=20)

    found = await asyncio.gather(*(notify.status(f"id-{i}") for i in range(AT_ONCE)))

    assert found == [Remote(f"id-{i}", "delivered") for i in range(AT_ONCE)]


async def test_fewer_threads_than_calls_would_keep_them_waiting() -> None:
    """The check above can fail: with fewer threads, the calls never all wait at once."""
    notify = _notify(concurrency=AT_ONCE - 1, timeout_s=1)

    with pytest.raises(threading.BrokenBarrierError):
        await asyncio.gather(*(notify.status(f"id-{i}") for i in range(AT_ONCE)))
