"""`make bench`: the bare pipelines, the drain and the open-loop runs, in one command.

    python -m scripts.bench                      # make bench: drain 150,000; 100/s and 300/s
    python -m scripts.bench --drain 20000 --rates 100 --runs 3
    python -m scripts.bench --env OTEL_TRACES_SAMPLER=parentbased_traceidratio --env ...
    python -m scripts.bench --compare main --drain 2000 --rates ""  # main, then this checkout
    python -m scripts.bench --notify log         # the log channel, as runs before Notify were

Prints the PostgreSQL server's durability settings and how messages go first, then each run's
tables, then (with --runs N) the median of every figure over the runs. Kafka and PostgreSQL
must be up (`make up`); the bench runs on the durable local cluster
(``server.bench_postgres_url``), brings its own databases, topics, identity provider, local
GOV.UK Notify (``messaging``) and services, and removes them at the end.

(Longer than most modules: the command's options and the order of its phases, each printed as it
runs, read best in one place.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from devtools.dev_identity_client import fetch_token
from scripts.bench import journeys, messaging
from scripts.bench.bare import VARIANTS, BaselineResult, run_baseline
from scripts.bench.compare import compare, without_option
from scripts.bench.cpu import NOTIFY
from scripts.bench.drain import DrainUnavailable, drain_phase, referral_requested
from scripts.bench.lock_waits import LockWaits
from scripts.bench.openloop import open_loop_phase
from scripts.bench.phases import PhaseResult
from scripts.bench.report import tables
from scripts.bench.server import bench_postgres_url, describe
from scripts.bench.stack import add_split_option, bench_platform, describe_layout, splits_of
from scripts.bench.table import Table, median_tables, render
from scripts.bench.traffic import OffsetReader
from scripts.local_notify import LocalNotifyServer
from scripts.platform import REPO_ROOT
from shared.migrations import owner_connection
from shared.settings import KafkaSettings

CASEWORKER = "leeds-caseworker"
BARE_LOGS = REPO_ROOT / ".local" / "logs" / "bench" / "bare"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--drain",
        type=int,
        default=150_000,
        metavar="N",
        help="referrals waiting on the intake topic (0: no drain)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=1200,
        metavar="S",
        help="give up waiting after S seconds and report what was done",
    )
    parser.add_argument(
        "--rates",
        type=_rates,
        default=[100.0, 300.0],
        metavar="R,R",
        help="open-loop rates, referrals/s (empty: no open-loop run)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=60,
        metavar="S",
        help="seconds of sending at each open-loop rate",
    )
    parser.add_argument(
        "--bare-single",
        type=int,
        default=2000,
        metavar="N",
        help="messages through the one-at-a-time bare pipeline (0: skip)",
    )
    parser.add_argument(
        "--bare-batched",
        type=int,
        default=10_000,
        metavar="N",
        help="messages through the batched bare pipeline (0: skip)",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs; prints their median too")
    messaging.add_option(parser)
    add_split_option(parser)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy each service in each phase and print where its CPU goes",
    )
    parser.add_argument(
        "--compare",
        metavar="COMMIT",
        help="bench COMMIT (from a worktree of its own) and then this checkout with the same "
        "options, and print their tables side by side (scripts/bench/compare.py)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the services (repeatable)",
    )
    return parser.parse_args(argv)


def _rates(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def service_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise SystemExit(f"--env {pair!r}: expected NAME=VALUE")
        env[name] = value
    return env


async def baselines(
    args: argparse.Namespace, kafka: str, postgres_url: str
) -> list[BaselineResult]:
    results = []
    for variant, messages in zip(VARIANTS, (args.bare_single, args.bare_batched), strict=True):
        if messages:
            print(f"Bare pipeline, {VARIANTS[variant]}: {messages} messages ...", flush=True)
            results.append(
                await run_baseline(
                    variant,
                    messages,
                    kafka=kafka,
                    postgres_url=postgres_url,
                    run_id=os.urandom(3).hex(),
                    log_dir=BARE_LOGS,
                )
            )
    return results


async def one_run(args: argparse.Namespace, postgres_url: str) -> list[Table]:
    kafka = KafkaSettings().kafka_bootstrap_servers
    bare = await baselines(args, kafka, postgres_url)
    phases: list[PhaseResult] = []
    through_notify = args.notify == messaging.THROUGH_NOTIFY
    async with bench_platform(
        postgres_url,
        kafka,
        service_env(args.env),
        through_notify=through_notify,
        notify_answer_s=args.notify_answer_ms / 1000,
        splits=splits_of(args),
    ) as bench:
        print(f"Platform: run {bench.run_id}, logs in {bench.log_dir}", flush=True)
        print(messaging.describe(bench.notify), flush=True)
        print(describe_layout(splits_of(args)), flush=True)
        profiles = bench.log_dir / "profiles" if args.profile else None
        conn = await owner_connection(bench.urls["referrals"])
        reader = OffsetReader(kafka, bench.kafka.namespace)
        await reader.start()
        try:
            if args.rates:
                bench.platform.start()
                token = await fetch_token(bench.identity.issuer, CASEWORKER, expires_in=86400)
                for rate in args.rates:
                    print(f"Open loop at {rate:g}/s for {args.duration:g} s ...", flush=True)
                    before = await journeys.deadlocks(bench.urls)
                    sent_before = _notify_counts(bench.notify)
                    async with LockWaits(bench.urls).sampling() as waits:
                        phases.append(
                            await open_loop_phase(
                                bench, reader, conn, token, rate, args.duration, profiles
                            )
                        )
                    await _deadlocks_since(bench.urls, before)
                    print(waits.line(), flush=True)
                    _notify_usage(bench.notify, sent_before, phases[-1])
            if args.drain:
                print(f"Drain of {args.drain} referrals ...", flush=True)
                before = await journeys.deadlocks(bench.urls)
                sent_before = _notify_counts(bench.notify)
                async with LockWaits(bench.urls).sampling() as waits:
                    phases.append(
                        await drain_phase(
                            bench, reader, conn, args.drain, args.drain_timeout, profiles
                        )
                    )
                await _deadlocks_since(bench.urls, before)
                print(waits.line(), flush=True)
                _notify_usage(bench.notify, sent_before, phases[-1])
        finally:
            await reader.close()
            await conn.close()
    return tables(bare, phases, through_notify)


def _notify_counts(notify: LocalNotifyServer | None) -> dict[str, int]:
    return {} if notify is None else notify.counts()


def _notify_usage(
    notify: LocalNotifyServer | None, before: dict[str, int], phase: PhaseResult
) -> None:
    """Print what the run's local Notify took in the phase and its CPU per message."""
    line = messaging.notify_usage(notify, before, phase.cpu_s.get(NOTIFY))
    if line is not None:
        print(line, flush=True)


async def _deadlocks_since(urls: dict[str, str], before: int) -> None:
    """Print the phase's "deadlock detected" (PostgreSQL's own count, this run's databases)."""
    print(f"  deadlocks detected: {await journeys.deadlocks(urls) - before}", flush=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if args.compare:
        compare(args.compare, without_option(argv, "--compare"))
        return
    if args.drain:
        try:
            referral_requested()  # say so now, not after the baselines
        except DrainUnavailable as missing:
            raise SystemExit(f"bench: {missing}") from None
    postgres_url = bench_postgres_url()
    print(asyncio.run(describe(postgres_url)), flush=True)
    print(messaging.channel(args.notify), flush=True)
    print(f"{os.cpu_count()} CPUs; load average {_load()} at the start", flush=True)
    runs: list[list[Table]] = []
    for index in range(args.runs):
        print(f"\n=== Run {index + 1} of {args.runs}", flush=True)
        runs.append(asyncio.run(one_run(args, postgres_url)))
        print(f"\nload average {_load()}\n")
        print("\n\n".join(render(t) for t in runs[-1]), flush=True)
    if len(runs) > 1:
        print(f"\n=== Median of {len(runs)} runs\n")
        print("\n\n".join(render(t) for t in median_tables(runs)))


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


if __name__ == "__main__":
    main()
