"""The bench's own platform: databases ``bench_<run>_<service>``, the Kafka namespace
``bench-<run>.``, a development identity provider, the four services on free ports and, for
`make bench` and `make soak`, a local GOV.UK Notify (``messaging``), so it runs beside `make
run` and test runs and disturbs none of them; all gone at the end.

(Longer than most modules: the platform's services as the bench runs them, one process each
or split (``--split``), and how their processes are counted as services, CPU and memory, are
one thing, read best together.)"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import asyncpg

from scripts.bench import messaging
from scripts.bench.cpu import NOTIFY, CpuMeter
from scripts.bench.processes import find_kafka_broker, rss_bytes
from scripts.bench.server import find_postmaster
from scripts.local_notify import LocalNotifyServer
from scripts.platform import (
    PRODUCTION_SPLITS,
    REPO_ROOT,
    IdentityProvider,
    Platform,
    Split,
    database_env,
    free_port,
    fresh_databases,
)
from shared.services import SERVICES
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics

SERVICE_ENV = {
    # One client (the bench) sends every referral: the limits have tests of their own.
    "RATE_LIMIT_POST": "1000000/second",
}


def add_split_option(parser: argparse.ArgumentParser) -> None:
    """``--split SERVICE:PARTS`` (repeatable): run that service as two processes."""
    layout = parser.add_mutually_exclusive_group()
    layout.add_argument(
        "--split",
        action="append",
        type=_split,
        metavar="SERVICE:PARTS",
        help="run SERVICE as two processes, as the chart's `processes` does: a second one "
        "running PARTS (of consumers, relay, workers; comma-separated) and the service's own "
        "the rest with the HTTP routes, e.g. notifications:workers (its sender apart) or "
        "referrals:consumers,workers (its intake apart). CPU and memory are the service's: "
        "its processes' sum and its largest (repeatable). Default: as production-values.yaml "
        "(" + ", ".join(f"{s.service}:{','.join(s.parts)}" for s in PRODUCTION_SPLITS) + ")",
    )
    layout.add_argument(
        "--single",
        dest="split",
        action="store_const",
        const=[],
        help="run each service as one process (what every commit before 627ad99 ran)",
    )


def describe_layout(splits: Sequence[Split]) -> str:
    """The run's processes, for its output (``--split``, ``--single``)."""
    if not splits:
        return "  each service one process (--single)"
    return "  " + "; ".join(
        f"{s.service} as two processes: {s.name} runs {', '.join(s.parts)}, "
        f"{s.service} {', '.join(s.rest) or 'nothing'} and the HTTP routes"
        for s in splits
    )


def splits_of(args: argparse.Namespace) -> Sequence[Split]:
    """The services the run splits: as told (``--split``, ``--single``), else production's."""
    return PRODUCTION_SPLITS if args.split is None else args.split


def _split(text: str) -> Split:
    try:
        return Split.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def new_run_id() -> str:
    """Names this run's databases, topics and consumer groups."""
    return uuid4().hex[:6]


@dataclass
class BenchPlatform:
    run_id: str
    postgres_url: str
    kafka: KafkaSettings
    urls: dict[str, str]
    """Each service's database, as its owner (the bench reads them as the owner)."""
    identity: IdentityProvider
    platform: Platform
    log_dir: Path
    postmaster_pid: int | None
    """The server of ``postgres_url``, when it runs on this machine."""
    kafka_pid: int | None = field(default_factory=find_kafka_broker)
    next_referral: int = 0
    """The index of the next sample referral (``samples.referral_request``) to send."""
    notify: LocalNotifyServer | None = None
    """The run's local Notify (started), or None: messages go to the log channel."""

    @property
    def databases(self) -> frozenset[str]:
        return frozenset(url.rsplit("/", 1)[1] for url in self.urls.values())

    def meter(self, **processes: int) -> CpuMeter:
        """A meter of the running services, this run's database connections, Kafka,
        PostgreSQL and ``processes`` (e.g. the bench itself)."""
        if self.notify is not None and self.notify.process is not None:
            processes = {NOTIFY: self.notify.process.pid, **processes}
        return CpuMeter(
            {**self.pids_by_service(), **processes},
            self.postmaster_pid,
            self.databases,
            kafka_pid=self.kafka_pid,
        )

    def service_pids(self) -> dict[str, int]:
        """Each process's pid, by its name (a split service's second process by its own)."""
        return {name: p.pid for name, p in self.platform.processes.items()}

    def pids_by_service(self) -> dict[str, list[int]]:
        """The pids of each service's processes (more than one when split)."""
        pids: dict[str, list[int]] = {}
        for name, process in self.platform.processes.items():
            pids.setdefault(self.platform.service_of(name), []).append(process.pid)
        return pids

    def rss(self) -> dict[str, int | None]:
        """Each service's resident memory: its largest process's, when split (the bound
        is each process's: a pod's limit)."""
        sizes: dict[str, list[int]] = {}
        for name, process in self.platform.processes.items():
            size = rss_bytes(process.pid)
            if size is not None:
                sizes.setdefault(self.platform.service_of(name), []).append(size)
        return {
            service: max(sizes[service]) if service in sizes else None
            for service in map(self.platform.service_of, self.platform.processes)
        }

    def take(self, count: int) -> int:
        """Reserve ``count`` sample referrals; returns the first one's index."""
        first, self.next_referral = self.next_referral, self.next_referral + count
        return first


@asynccontextmanager
async def bench_platform(
    postgres_url: str,
    kafka_bootstrap_servers: str,
    env: Mapping[str, str],
    *,
    through_notify: bool = False,
    notify_answer_s: float = 0.0,
    splits: Sequence[Split] = (),
) -> AsyncIterator[BenchPlatform]:
    """Databases, topics and an identity provider of this run's own, and the services ready
    to start (``platform.start()``); ``through_notify``: a local Notify of its own, started,
    that every message goes through (else the log channel), answering each message sent
    ``notify_answer_s`` after taking it. Everything is stopped and removed
    on leaving."""
    run_id = new_run_id()
    log_dir = REPO_ROOT / ".local" / "logs" / "bench" / run_id
    kafka = KafkaSettings(
        kafka_bootstrap_servers=kafka_bootstrap_servers, namespace=f"bench-{run_id}."
    )
    prefix = f"bench_{run_id}_"
    identity = IdentityProvider(port=free_port(), log_dir=log_dir)
    platform = Platform(log_dir=log_dir, ports={name: free_port() for name in SERVICES})
    for split in splits:
        platform.split(split, free_port())
    notify = (
        messaging.run_notify(platform.url("notifications"), free_port(), log_dir, notify_answer_s)
        if through_notify
        else None
    )
    try:
        urls = await fresh_databases(postgres_url, prefix=prefix)
        await ensure_topics(kafka)
        identity.start()
        if notify is not None:
            notify.start()
        platform.env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "SEND_NAMESPACE": kafka.namespace,
            **identity.service_env(),
            **database_env(urls),
            **SERVICE_ENV,
            **messaging.messaging_env(notify),
            **env,
        }
        yield BenchPlatform(
            run_id,
            postgres_url,
            kafka,
            urls,
            identity,
            platform,
            log_dir,
            postmaster_pid=await find_postmaster(postgres_url),
            notify=notify,
        )
    finally:
        platform.stop()
        if notify is not None:
            notify.stop()
        identity.stop()
        await drop_databases(postgres_url, [f"{prefix}{name}" for name in SERVICES])
        await delete_namespace(kafka)


async def drop_databases(postgres_url: str, names: list[str]) -> None:
    admin = await asyncpg.connect(f"{postgres_url}/postgres")
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
