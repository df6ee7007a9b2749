"""The CPU of a GOV.UK Notify delivery receipt's HTTP path alone: receipts whose reference is not
one of ours (answered 204 with no database work) posted one at a time straight into the
notifications app as a server hands a request over (ASGI: every middleware, the rate limits,
the callback token checked, the body validated), no database, Kafka or Notify needed.

    python -m scripts.bench.receipt_http                  # 4,000 receipts
    python -m scripts.bench.receipt_http --receipts 20000 # e.g. under py-spy

Prints the CPU a receipt (``time.process_time``) of the third-cheapest of 20 blocks: on a
shared machine the cheapest blocks are what the code costs when the others let it run. To
compare two versions of the code, run this from each one's tree (``python -m`` takes
``shared`` from the directory it runs in), turn about, a few times each, and compare the
medians. ``python -m scripts.bench.notifications_work --clients 1`` measures the whole
receipt, its commit included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from notifications.app import create_app
from notifications.config import CouncilMessaging, NotificationsSettings

from scripts.bench.notifications_work import CALLBACK_TOKEN, COUNCIL, RECEIPTS, asgi_post

BLOCKS = 20
NOT_OURS = {
    "id": "3b2c0c1e-0000-4000-8000-000000000001", "reference": None, "to": "ann@example.org",
    "status": "delivered", "created_at": "2026-12-07T13:00:00Z",
    "completed_at": "2026-12-07T13:00:01Z", "sent_at": "2026-12-07T13:00:00Z",
    "notification_type": "email", "template_id": "t", "template_version": 1,
}  # fmt: skip


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.receipt_http", description=__doc__
    )
    parser.add_argument("--receipts", type=int, default=4000, metavar="N", help="timed")
    parser.add_argument("--warm-up", type=int, default=300, metavar="N", help="untimed, first")
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace) -> float:
    """Seconds of CPU a receipt's HTTP path takes."""
    app = create_app(
        NotificationsSettings(
            database_url="postgresql://unused@127.0.0.1:1/unused",  # never connected
            council_messaging={COUNCIL: CouncilMessaging(notify_callback_token=CALLBACK_TOKEN)},
            rate_limit_post="1000000/minute",  # counted as ever, never reached
        )
    )
    headers = [
        (b"host", b"bench"), (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {CALLBACK_TOKEN}".encode()),
    ]  # fmt: skip
    body = json.dumps(NOT_OURS).encode()
    for _ in range(args.warm_up):
        if (status := await asgi_post(app, RECEIPTS, body, headers)) != 204:
            raise RuntimeError(f"receipt answered {status}")
    each = max(1, args.receipts // BLOCKS)
    blocks: list[float] = []
    for _ in range(BLOCKS):
        cpu = time.process_time()
        for _ in range(each):
            await asgi_post(app, RECEIPTS, body, headers)
        blocks.append((time.process_time() - cpu) / each)
    return sorted(blocks)[2]


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    os.environ.setdefault("SEND_ENVIRONMENT", "development")
    cpu = asyncio.run(measure(args))
    print(f"a receipt's HTTP path: {1e6 * cpu:.1f} us CPU ({args.receipts} receipts, in process)")


if __name__ == "__main__":
    main()
