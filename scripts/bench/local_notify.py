"""The local GOV.UK Notify's own CPU a message: the stand-in the bench sends every family's
message through (``messaging``) is load on the same two cores as the platform, so its cost
matters too.

It starts the local Notify in its own process (``scripts.local_notify``, rate limit lifted,
as the bench runs it) and a small receipts server in this one, sends ``--messages`` messages
through the official client (``notifications-python-client``, one per thread, as the
notifications service does) from ``--threads`` threads at ``--rate`` a second (emails and
texts in turn), waits for every delivery receipt, and prints the Notify process's CPU a
message (user + system from /proc: its own work, whatever else the machine was doing), with
how many connections the receipts came on.

    python -m scripts.bench.local_notify                       # this checkout, once
    python -m scripts.bench.local_notify --compare main --pairs 3   # main and this, in turn

``--compare`` runs the commit's local Notify (from a worktree of its own, as ``make bench
--compare`` does) and this checkout's one after the other, ``--pairs`` times: on a shared
machine, figures of the same code differ run to run; interleaved, the two see the same load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from notifications_python_client.notifications import NotificationsAPIClient

from devtools.local_notify import DEV_API_KEY, template_id
from scripts.bench.compare import worktree
from scripts.bench.messaging import UNLIMITED
from scripts.bench.processes import CLOCK_TICKS_PER_S, read_stat
from scripts.local_notify import LocalNotifyServer
from scripts.platform import REPO_ROOT, free_port

EMAIL = template_id("request-received", "email")
SMS = template_id("request-received", "sms")
FIELDS = {"reference": "AB12CD34", "link": "https://council.example/family/1",
          "received_on": "5 January 2026", "who": "you"}  # fmt: skip


@dataclass
class Receipts:
    """What the receipts server took: receipts, and the connections they came on."""

    count: int = 0
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def receipts_server() -> Iterator[tuple[str, Receipts]]:
    """A receipts URL answering 204 (keep-alive, as the notifications service), counting."""
    taken = Receipts()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a client may reuse its connection

        def setup(self) -> None:
            super().setup()
            with taken.lock:
                taken.connections += 1

        def do_POST(self) -> None:  # http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with taken.lock:
                taken.count += 1

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/notify/receipts", taken
    finally:
        server.shutdown()
        server.server_close()


def send(base_url: str, count: int, threads: int, rate: float, first: int = 0) -> None:
    """``count`` messages through the official client, ``threads`` at once, ``rate`` a second."""
    local = threading.local()
    start = time.monotonic()

    def one(i: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = NotificationsAPIClient(DEV_API_KEY, base_url=base_url)
        wait = start + (i - first) / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        reference = f"bench-{i}"
        if i % 2:
            client.send_sms_notification("07700900123", SMS, FIELDS, reference=reference)
        else:
            address = f"parent{i}@example.org"
            client.send_email_notification(address, EMAIL, FIELDS, reference=reference)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(first, first + count)))


def wait_for(receipts: Receipts, expected: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while receipts.count < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {receipts.count} of {expected} receipts came")
        time.sleep(0.05)


@dataclass(frozen=True)
class Run:
    label: str
    cpu_ms_a_message: float
    receipts: int
    connections: int


def run(label: str, checkout: Path, args: argparse.Namespace) -> Run:
    """One local Notify of ``checkout``'s code: warmed up, then timed."""
    with receipts_server() as (callback_url, receipts), tempfile.TemporaryDirectory() as logs:
        notify = LocalNotifyServer(
            callback_url=callback_url, port=free_port(), log_dir=Path(logs),
            rate_limit=UNLIMITED, checkout=checkout,
        )  # fmt: skip
        notify.start()
        try:
            assert notify.process is not None  # started
            send(notify.url, args.warm_up, args.threads, args.rate)
            wait_for(receipts, args.warm_up)
            before = read_stat(notify.process.pid)
            connections = receipts.connections
            send(notify.url, args.messages, args.threads, args.rate, first=args.warm_up)
            wait_for(receipts, args.warm_up + args.messages)
            after = read_stat(notify.process.pid)
        finally:
            notify.stop()
    assert before is not None  # it lived through the run
    assert after is not None
    cpu_s = (after.cpu_ticks - before.cpu_ticks) / CLOCK_TICKS_PER_S
    return Run(label, cpu_s * 1000 / args.messages, receipts.count - args.warm_up,
               receipts.connections - connections)  # fmt: skip


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.local_notify", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--messages", type=int, default=2000, metavar="N", help="timed")
    parser.add_argument("--warm-up", type=int, default=100, metavar="N", help="untimed, first")
    parser.add_argument("--threads", type=int, default=4, metavar="N", help="senders at once")
    parser.add_argument(
        "--rate", type=float, default=130.0, help="messages a second (130: 50 referrals/s)"
    )
    parser.add_argument("--compare", metavar="COMMIT", help="that commit's local Notify too")
    parser.add_argument("--pairs", type=int, default=1, metavar="N", help="runs of each")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    checkouts = [("this", REPO_ROOT)]
    if args.compare:
        short, path = worktree(args.compare)
        checkouts.insert(0, (short, path))
    print(f"{args.messages} messages a run (after {args.warm_up} untimed), {args.threads} "
          f"threads, {args.rate:g}/s; local Notify CPU a message (receipt included)")  # fmt: skip
    runs: list[Run] = []
    for _ in range(args.pairs):
        for label, checkout in checkouts:
            done = run(label, checkout, args)
            runs.append(done)
            took = f"{done.receipts} receipts on {done.connections} connections"
            print(f"  {label:>12}: {done.cpu_ms_a_message:.2f} ms a message; {took}", flush=True)
    for label, _ in checkouts:
        mine = [r.cpu_ms_a_message for r in runs if r.label == label]
        figures = ", ".join(f"{m:.2f}" for m in mine)
        print(f"{label:>14}: median {statistics.median(mine):.2f} ms a message ({figures})")


if __name__ == "__main__":
    main()
