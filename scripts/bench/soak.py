"""`make soak`: referrals at a steady open-loop rate for minutes, on a platform of the bench's
own, on the durable local cluster (its settings printed first), its messages through a local
GOV.UK Notify of its own (``messaging``; ``--notify log``: the log channel); every window (30 s)
prints the rate achieved, POST and family-alert latency over the window, each service's
resident memory and what is waiting (outboxes, Kafka lag), so memory that grows without bound
or a backlog that builds up shows.

    python -m scripts.bench.soak [--rate 100] [--minutes 10] [--every 30] [--env NAME=VALUE]
                                 [--notify notify|log]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from uuid import UUID

import asyncpg

from devtools.dev_identity_client import fetch_token
from scripts.bench import journeys, messaging
from scripts.bench.__main__ import CASEWORKER, service_env
from scripts.bench.http_load import HttpConnections
from scripts.bench.openloop import OpenLoop, Sent, referral_bodies, wait_for_alerts
from scripts.bench.server import bench_postgres_url, describe
from scripts.bench.stack import (
    BenchPlatform,
    add_split_option,
    bench_platform,
    describe_layout,
    splits_of,
)
from scripts.bench.stats import percentile
from scripts.bench.traffic import OffsetReader, lag
from shared.migrations import owner_connection
from shared.services import EVENT_SERVICES as SERVICES  # the pipeline measured
from shared.settings import KafkaSettings

MB = 2**20
RECORD_SLACK_S = 10


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.soak",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--rate", type=float, default=100, help="referrals per second")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--every", type=float, default=30, metavar="S", help="window, seconds")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the services (repeatable)",
    )
    messaging.add_option(parser)
    add_split_option(parser)
    return parser.parse_args(argv)


class Windows:
    """Prints one line per window of a soak."""

    def __init__(self, bench: BenchPlatform, conn: asyncpg.Connection, reader: OffsetReader):
        self.bench, self.conn, self.reader = bench, conn, reader
        self.due: dict[UUID, float] = {}
        self.rss: list[dict[str, int | None]] = []
        self.alerted: set[UUID] = set()
        self.seen = 0
        self.start = time.time()

    def header(self) -> str:
        names = " ".join(f"{s[:13]:>13}" for s in SERVICES)
        return (
            f"{'time':>6} {'sent/s':>7} {'POST p50':>9} {'p99':>6} {'alert p50':>10} {'p99':>6} "
            f"{'alerts':>7} {'outbox':>7} {'lag':>6}   RSS MB: {names}"
        )

    async def line(
        self, answered: list[Sent], window_start: float, window_end: float, last: bool = False
    ) -> str:
        """One window's figures; ``last``: the wait for the last alerts after sending."""
        new, self.seen = answered[self.seen :], len(answered)
        self.due |= {s.referral_id: s.due for s in new if s.referral_id is not None}
        # Read from a little before the window: a transaction that started before the last
        # reading (its recorded_at) may have committed after it. Each alert counts once.
        recorded = await journeys.alerts_recorded_since(self.conn, window_start - RECORD_SLACK_S)
        # (an alert whose POST answer the generator has not read yet counts in a later window)
        alerts = {r: at for r, at in recorded.items() if r in self.due and r not in self.alerted}
        self.alerted |= alerts.keys()
        alert_ms = [(at - self.due[r]) * 1000 for r, at in alerts.items()]
        post_ms = [ms for s in new for ms in s.answers_ms]
        outbox = sum((await journeys.outbox_backlog(self.bench.urls)).values())
        waiting = lag(await self.reader.read())
        rss = self.bench.rss()
        self.rss.append(rss)
        memory = " ".join(f"{_mb(rss.get(s)):>13}" for s in SERVICES)
        accepted = sum(s.referral_id is not None for s in new)
        moment = "after" if last else f"{window_end - self.start:>5.0f}s"
        sent_rate = "-" if last else f"{accepted / (window_end - window_start):.1f}"
        return (
            f"{moment:>6} {sent_rate:>7} "
            f"{percentile(post_ms, 50):>9.0f} {percentile(post_ms, 99):>6.0f} "
            f"{percentile(alert_ms, 50):>10.0f} {percentile(alert_ms, 99):>6.0f} "
            f"{len(alerts):>7} {outbox:>7} {waiting:>6}           {memory}"
        )

    def growth(self) -> str:
        if len(self.rss) < 2:
            return "not enough windows to tell memory growth"
        first, last = self.rss[0], self.rss[-1]
        changes = [f"{s} {_mb(first.get(s))} -> {_mb(last.get(s))} MB" for s in SERVICES]
        return "resident memory, first window to last: " + ", ".join(changes)


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / MB:.0f}"


async def soak(args: argparse.Namespace) -> None:
    kafka = KafkaSettings().kafka_bootstrap_servers
    postgres_url = bench_postgres_url()
    print(await describe(postgres_url), flush=True)
    print(messaging.channel(args.notify), flush=True)
    count = round(args.rate * args.minutes * 60)
    through_notify = args.notify == messaging.THROUGH_NOTIFY
    async with bench_platform(
        postgres_url,
        kafka,
        service_env(args.env),
        through_notify=through_notify,
        notify_answer_s=args.notify_answer_ms / 1000,
        splits=splits_of(args),
    ) as bench:
        print(f"Soak: run {bench.run_id}, logs in {bench.log_dir}", flush=True)
        print(messaging.describe(bench.notify), flush=True)
        print(describe_layout(splits_of(args)), flush=True)
        bench.platform.start()
        token = await fetch_token(bench.identity.issuer, CASEWORKER, expires_in=86400)
        conn = await owner_connection(bench.urls["referrals"])
        reader = OffsetReader(kafka, bench.kafka.namespace)
        await reader.start()
        connections = HttpConnections(
            bench.platform.url("referrals"), {"Authorization": f"Bearer {token}"}
        )
        generator = OpenLoop(connections, referral_bodies(bench.take(count)), count, args.rate)
        windows = Windows(bench, conn, reader)
        since = await journeys.now(conn)
        print(
            f"{count} referrals at {args.rate:g}/s over {args.minutes:g} min; ms, from when "
            "each request was due\n" + windows.header(),
            flush=True,
        )
        try:
            windows.start = time.time()
            sending = asyncio.create_task(generator.dispatch())
            window_start = windows.start
            while not sending.done():
                left = window_start + args.every - time.time()
                await asyncio.wait({sending}, timeout=max(0.0, left))
                window_end = time.time()
                print(await windows.line(generator.answered, window_start, window_end), flush=True)
                window_start = window_end
            await sending
            sent = await generator.answers()
            accepted = sum(s.referral_id is not None for s in sent)
            await wait_for_alerts(conn, since, accepted)
            print(await windows.line(generator.answered, window_start, time.time(), last=True))
            print(windows.growth())
            if (took := messaging.notify_usage(bench.notify, {}, None)) is not None:
                print(took)
            print(f"the generator was at most {generator.late_ms:.0f} ms late")
        finally:
            await connections.close()
            await reader.close()
            await conn.close()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(soak(parse(argv)))


if __name__ == "__main__":
    main()
