"""The notifications service's own CPU a message sent and a delivery receipt taken, with no
Kafka load: the notifications app in this process on real PostgreSQL, its sender handing
``--messages`` queued messages to a local GOV.UK Notify in a process of its own (through the
official client, as a council's), then Notify's receipts for them posted to
``POST /v1/notify/receipts`` by ``--clients`` callers at once (straight into the app as a
server hands a request over, ASGI: every middleware, the callback token checked, the rate
limits, the receipts committed together).
Prints the CPU seconds of this process a message and a receipt (``time.process_time``), which
a shared machine's other load barely moves, unlike wall time; the local Notify's CPU is not in
it.

    python -m scripts.bench.notifications_work                    # 600 messages, 8 callers
    python -m scripts.bench.notifications_work --messages 300 --profile receipts

To compare two versions of the code, run each in turn a few times (``PYTHONPATH=<the other
version's tree and its services>`` runs that one with this script) and compare the medians.
The database is a fresh one on the bench's server (``scripts.bench.server``), dropped at the
end; the messages are queued by the service's own handlers (a family's contact, then its
referral received), and nothing reads the outbox they leave.

(Longer than most modules: the setting up of a service's messages and of a local Notify, the
two timed parts and a request made by hand for the second, read together.)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import json
import logging
import os
import pstats
import subprocess
import sys
import time
from collections.abc import MutableMapping
from datetime import date
from typing import Any, cast
from uuid import uuid4

import httpx
from notifications.app import create_app
from notifications.config import CouncilMessaging, NotificationsSettings
from notifications.handlers import subscriptions
from notifications.state import Notifications
from starlette.types import ASGIApp

from devtools.local_notify import development_messaging
from scripts.bench.server import bench_postgres_url
from scripts.bench.stack import drop_databases
from scripts.platform import REPO_ROOT, free_port, fresh_database, migrations_of, service_url
from shared.batches import batch_consumer
from shared.councils import ALL, act_for
from shared.events import FamilyContactRegistered, ReferralReceived, Sen2Need, wrap
from shared.state import service_state
from shared.unit_of_work import UnitOfWork

COUNCIL = "E08000035"
CALLBACK_TOKEN = "bench-callback-token"  # noqa: S105  # a local Notify's, made up
RECEIPTS = "/v1/notify/receipts"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.notifications_work", description=__doc__
    )
    parser.add_argument("--messages", type=int, default=600, metavar="N", help="timed")
    parser.add_argument("--warm-up", type=int, default=60, metavar="N", help="untimed, first")
    parser.add_argument("--clients", type=int, default=8, metavar="N", help="receipts at once")
    parser.add_argument(
        "--profile", choices=("send", "receipts"), help="where that part's CPU went (cProfile)"
    )
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime, cumtime")
    parser.add_argument("--top", type=int, default=40, metavar="N", help="the profile's lines")
    parser.add_argument("--callers", metavar="FUNCTION", help="the profile's callers of these")
    return parser.parse_args(argv)


def start_notify(port: int) -> subprocess.Popen[bytes]:
    """A local Notify that posts no receipts (the bench posts them), its limit lifted."""
    log = (REPO_ROOT / ".local" / "logs" / "bench").resolve()
    log.mkdir(parents=True, exist_ok=True)
    with (log / "notifications-work-notify.log").open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.local_notify", "--port", str(port),
             "--rate-limit", "1000000000", "--deliver-after", "0.01"],
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/counts.json", timeout=2).is_success:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the local Notify did not start; see {log}")
        time.sleep(0.1)


async def queue_messages(app: Any, count: int) -> None:
    """``count`` families' first message queued by the service's handlers (contact, then
    referral received), a batch of each at a time."""
    work = service_state(app).work
    handlers = {s.event_class: s for s in subscriptions}
    referrals = [uuid4() for _ in range(count)]
    contacts = [
        FamilyContactRegistered(
            referral_id=r, contact_name="Ann Parent", email=f"ann.{r.hex[:8]}@example.org",
            phone="07700900123", preferred_channel="email",
        )
        for r in referrals
    ]  # fmt: skip
    received = [
        ReferralReceived(
            referral_id=r, local_authority=COUNCIL, received_on=date(2026, 1, 5),
            primary_need=Sen2Need.SLCN, requested_by="school", postcode_district="LS6",
            decision_due=date(2026, 2, 16), final_plan_due=date(2026, 5, 25),
        )
        for r in referrals
    ]  # fmt: skip
    for events in (contacts, received):
        subscription = handlers[type(events[0])]

        async def handler(each: Any, uow: UnitOfWork, run: Any = subscription) -> Any:
            return list(await run.handler(each, uow) or ())

        consume = batch_consumer(
            dataclasses.replace(subscription, handler=handler), work, "notifications"
        )
        messages = [wrap(e, source="/bench", local_authority=COUNCIL) for e in events]
        async with work.pool().acquire() as conn, conn.transaction():
            await consume(messages, conn)


async def send_all(app: Any) -> int:
    """Every queued message sent (the sender's rounds until a claim finds none)."""
    state = service_state(app)
    sender, work = cast("Notifications", state.own).sender, state.work
    sent = 0
    while claimed := await sender.send_due(work):
        sent += claimed
    return sent


async def post_receipts(app: ASGIApp, receipts: list[dict[str, Any]], clients: int) -> None:
    """Each of ``receipts`` posted to the app as Notify posts it, ``clients`` at once; every
    one must be answered 204."""
    each = iter(receipts)
    headers = [
        (b"host", b"bench"), (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {CALLBACK_TOKEN}".encode()),
    ]  # fmt: skip

    async def caller() -> None:
        for receipt in each:
            status = await asgi_post(app, RECEIPTS, json.dumps(receipt).encode(), headers)
            if status != 204:
                raise RuntimeError(f"receipt answered {status}")

    await asyncio.gather(*(caller() for _ in range(clients)))


async def asgi_post(
    app: ASGIApp, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> int:
    """A POST of ``body`` straight into the app as a server hands it over (ASGI), no HTTP
    client: the figures are the app's own (httpx's ASGI transport cost as much again); the
    answer's status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "server": ("127.0.0.1", 8004), "client": ("127.0.0.1", 40000),
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client stays: no disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def receipts_of(inbox: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Notify posts for each message (``devtools.local_notify``'s receipt)."""
    return [
        {
            "id": m["id"], "reference": m["reference"], "to": m["email_address"],
            "status": "delivered", "created_at": m["created_at"],
            "completed_at": m["created_at"], "sent_at": m["created_at"],
            "notification_type": m["type"], "template_id": m["template"]["id"],
            "template_version": 1,
        }
        for m in inbox
    ]  # fmt: skip


async def measure(args: argparse.Namespace, owner_url: str, notify_url: str) -> None:
    messaging = {**development_messaging(notify_url, CALLBACK_TOKEN), "quiet_hours": None}
    app = create_app(
        NotificationsSettings(
            database_url=service_url(owner_url),
            council_messaging={COUNCIL: CouncilMessaging.model_validate(messaging)},
            notify_burst=100000,
            notify_rate_limit_per_minute=1000000000,
            rate_limit_post="1000000/minute",  # counted as ever, never reached
        )
    )
    database = service_state(app).database
    await database.open()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    try:
        await queue_messages(app, args.warm_up)
        await send_all(app)
        await queue_messages(app, args.messages)
        cpu = time.process_time()
        if profiler is not None and args.profile == "send":
            profiler.enable()
        sent = await send_all(app)
        if profiler is not None:
            profiler.disable()
        send_cpu = time.process_time() - cpu
        async with httpx.AsyncClient(timeout=30) as client:
            inbox = (await client.get(f"{notify_url}/inbox.json")).json()
        receipts = receipts_of(inbox)
        await post_receipts(app, receipts[: args.warm_up], args.clients)
        timed = receipts[args.warm_up :]
        batches = cast("Notifications", service_state(app).own).receipts
        commits = batches.commits
        cpu = time.process_time()
        if profiler is not None and args.profile == "receipts":
            profiler.enable()
        await post_receipts(app, timed, args.clients)
        if profiler is not None:
            profiler.disable()
        receipts_cpu = time.process_time() - cpu
        commits = batches.commits - commits
        async with database.pool().acquire() as conn, conn.transaction():
            await act_for(conn, ALL)  # row-level security: the service's own look
            delivered = await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE status = 'delivered'"
            )
    finally:
        await database.close()
    if sent != args.messages or delivered != len(receipts):
        raise RuntimeError(f"sent {sent} of {args.messages}; delivered {delivered}")
    print(
        f"notifications in process: {sent} messages sent, "
        f"{1000 * send_cpu / sent:.2f} ms CPU a message; {len(timed)} receipts "
        f"({args.clients} at once), {1000 * receipts_cpu / len(timed):.2f} ms CPU a receipt "
        f"({len(timed) / commits:.1f} receipts a commit)"
    )
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        print(out.getvalue())


async def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    os.environ.setdefault("SEND_ENVIRONMENT", "development")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line a request: not the app's cost
    postgres_url = bench_postgres_url()
    name = f"bench_notifications_work_{uuid4().hex[:6]}"
    owner_url = await fresh_database(
        postgres_url, name, "notifications", migrations_of("notifications")
    )
    port = free_port()
    notify = start_notify(port)
    try:
        await measure(args, owner_url, f"http://127.0.0.1:{port}")
    finally:
        notify.terminate()
        notify.wait(10)
        await drop_databases(postgres_url, [name])


if __name__ == "__main__":
    asyncio.run(main())
