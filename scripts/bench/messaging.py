"""How the bench's families are messaged: through a local GOV.UK Notify of the run's own, with
its delivery receipts posted back to the run's notifications service (the round trip and the
receipts a real council pays for), or, with ``--notify log``, the log channel (delivers
nothing: the figures of earlier runs were measured so).

The local Notify is load, not platform: its CPU is counted under its own label
(``cpu.NOTIFY``), never in the services' figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime
from pathlib import Path

import asyncpg

from devtools.local_notify import development_messaging
from scripts.bench import journeys
from scripts.local_notify import CALLBACK_TOKEN, LocalNotifyServer

THROUGH_NOTIFY = "notify"
LOG = "log"
RECEIPTS_PATH = "/v1/notify/receipts"
UNLIMITED = 1_000_000_000
"""The local Notify's rate limit for the bench (requests a minute): the real one's 3,000 would
answer a 50/s run 429 within a minute, measuring Notify's allowance instead of the platform."""
RECEIPTS_STALL_S = 5.0
"""Waiting for the last receipts stops when none came for this long (a sample family's number
is Notify's simulated temporary failure: its receipt never says delivered)."""
QUIET_HOURS_OFF = {"quiet_hours": None}
"""Texts wait out quiet hours (21:00-08:00 in London): a bench run in the evening would
otherwise leave every family who prefers texts unalerted until morning."""


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notify",
        choices=(THROUGH_NOTIFY, LOG),
        default=THROUGH_NOTIFY,
        help="notify (default): messages through a local GOV.UK Notify of the run's own, "
        "rate limit lifted, delivery receipts posted back; log: the log channel, which "
        "delivers nothing (as runs before it were measured)",
    )
    parser.add_argument(
        "--notify-answer-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="the local Notify answers each message sent this long after it took it: a real "
        "provider's round trip, which one on the same machine does not have (default 0)",
    )


def run_notify(
    notifications_url: str, port: int, log_dir: Path, answer_after_s: float = 0.0
) -> LocalNotifyServer:
    """A local Notify on ``port``, its log in ``log_dir``, its receipts posted to
    ``notifications_url``, answering each message sent after ``answer_after_s`` (not
    started)."""
    return LocalNotifyServer(
        callback_url=f"{notifications_url}{RECEIPTS_PATH}",
        port=port,
        log_dir=log_dir,
        rate_limit=UNLIMITED,
        answer_after_s=answer_after_s,
    )


SERVICES_NOTIFY_LIMIT = {"NOTIFY_RATE_LIMIT_PER_MINUTE": str(UNLIMITED), "NOTIFY_BURST": "1000"}
"""The notifications service's own pacing of a Notify key, lifted with the local Notify's: kept
at Notify's 3,000 a minute (burst 100), the sender lets 50 messages a second go and a 50/s run
(2.6 messages a referral) queues behind it, measuring the allowance, not the platform (issue
#25: "its rate limit lifted"). A council whose key Notify allows more is this case."""


def messaging_env(notify: LocalNotifyServer | None) -> dict[str, str]:
    """``COUNCIL_MESSAGING`` for every council: through ``notify`` (and the services' own pacing
    of its key lifted, ``SERVICES_NOTIFY_LIMIT``), or the log channel."""
    council = {} if notify is None else development_messaging(notify.url, CALLBACK_TOKEN)
    limits = {} if notify is None else SERVICES_NOTIFY_LIMIT
    return {"COUNCIL_MESSAGING": json.dumps({"*": {**council, **QUIET_HOURS_OFF}}), **limits}


def channel(choice: str) -> str:
    """The header's line on how messages go (``--notify``), beside the server's durability."""
    if choice == LOG:
        return "Messages: the log channel (--notify log): nothing delivered, no receipts"
    return (
        "Messages: through a local GOV.UK Notify of the run's own (its rate limit and the "
        "services' pacing of it lifted), its delivery receipts posted back to notifications "
        "(--notify log: the log channel)"
    )


def describe(notify: LocalNotifyServer | None) -> str:
    """Where the run's local Notify is and its log, or that there is none."""
    if notify is None:
        return "  messages to the log channel"
    answering = (
        f", answering each message {notify.answer_after_s * 1000:g} ms after taking it"
        if notify.answer_after_s
        else ""
    )
    return f"  local Notify at {notify.url}{answering}, log {notify.log_dir / 'local-notify.log'}"


def notify_usage(
    notify: LocalNotifyServer | None, before: dict[str, int], cpu_s: float | None
) -> str | None:
    """A phase's line about the local Notify: what it took and its CPU per message (is it the
    bottleneck?); None for the log channel."""
    if notify is None:
        return None
    after = notify.counts()
    messages = after["messages"] - before.get("messages", 0)
    receipts = after["receipts_posted"] - before.get("receipts_posted", 0)
    refused = after["refused"] - before.get("refused", 0)
    took = (
        f"  local Notify: {messages} messages, {receipts} receipts posted, {refused} refused (429)"
    )
    if cpu_s is None or not messages:
        return took
    return f"{took}; {cpu_s * 1000 / messages:.2f} ms of its CPU per message (receipt included)"


async def wait_for_deliveries(
    notify: LocalNotifyServer | None,
    conn: asyncpg.Connection,
    since: datetime,
    expected: int,
    stall_s: float = RECEIPTS_STALL_S,
) -> None:
    """Through Notify, wait until ``expected`` referrals stored since ``since`` have their alert
    delivered, for as long as receipts keep coming: a phase ends at the last alert, and its
    receipts (their CPU and their ``family_notified`` figures) come a moment later."""
    if notify is None:
        return
    done, progressed = 0, time.monotonic()
    while done < expected and time.monotonic() - progressed <= stall_s:
        now_done = await journeys.delivered(conn, since)
        if now_done > done:
            done, progressed = now_done, time.monotonic()
        await asyncio.sleep(0.2)
