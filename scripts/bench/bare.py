"""The bare pipelines: the platform's topology with no framework (``bare_stage``), four stages
in four processes, on the same Kafka and PostgreSQL, in topics and a database of their own.

``messages`` events wait on the first stage's topic; the four stages start together and the
run ends when the last stage has published all of them. A message costs each stage one
consume, one transaction (inbox row and the stage's row) and one publish: a *stage-message*.

(Longer than most modules: the baseline's run from end to end: its topics, database, stage
processes and measurement.)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaProducer

from scripts.bench.bare_stage import HEADERS, SCHEMA
from scripts.bench.cpu import CpuMeter, cpu_seconds
from scripts.bench.server import find_postmaster
from scripts.bench.traffic import OffsetReader
from scripts.platform import REPO_ROOT
from shared.services import LOCAL_SERVICE_USER, with_user
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics

STAGES = 4
VARIANTS = {"single": "one at a time", "batched": "batched"}


@dataclass(frozen=True)
class BaselineResult:
    variant: str
    messages: int
    seconds: float
    """From the stages' start until the last stage published the last message."""
    cpu_s: dict[str, float]
    """CPU seconds by label: ``stage 1`` ... ``stage 4``, Kafka, PostgreSQL."""
    delivered: int
    """Messages on the last topic: ``messages`` unless one was lost or duplicated."""

    @property
    def stages_cpu_s(self) -> float:
        return sum(v for k, v in self.cpu_s.items() if k.startswith("stage "))


def first_event(i: int) -> bytes:
    """What waits on the first topic: an event shaped like the platform's plan-drafted."""
    referral_id = str(uuid4())
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid4()),
            "type": "uk.send-platform.bench.referral-received.v1",
            "source": "/bench/bare",
            "time": datetime.now(UTC).isoformat(),
            "subject": referral_id,
            "datacontenttype": "application/json",
            "localauthority": "E08000035",
            "schemaversion": 1,
            "data": {
                "referral_id": referral_id,
                "plan_id": str(uuid4()),
                "local_authority": "E08000035",
                "primary_need": "SLCN",
                "area_of_need": "communication and interaction",
                "required_specialism": "speech_and_language_therapy",
                "postcode_district": ("LS6", "LS7", "LS11", "LS16")[i % 4],
                "sections": ["B", "E", "F"],
            },
        }
    ).encode()


async def run_baseline(
    variant: str, messages: int, *, kafka: str, postgres_url: str, run_id: str, log_dir: Path
) -> BaselineResult:
    """Run one bare pipeline to the end; its topics and database are gone afterwards."""
    settings = KafkaSettings(kafka_bootstrap_servers=kafka, namespace=f"bench-{run_id}-{variant}.")
    names = [f"stage-{k}" for k in range(1, STAGES + 1)] + ["done"]
    topics = [f"{settings.namespace}{name}" for name in names]
    database = f"bench_{run_id}_bare_{variant}"
    await ensure_topics(settings, names)
    owner_url = await _create_database(postgres_url, database)
    try:
        await _load(kafka, topics[0], messages)
        postmaster = await find_postmaster(postgres_url)
        return await _measure(
            variant, messages, settings, topics, owner_url, database, postmaster, log_dir
        )
    finally:
        await _drop_database(postgres_url, database)
        await delete_namespace(settings)


async def _measure(
    variant: str,
    messages: int,
    settings: KafkaSettings,
    topics: list[str],
    owner_url: str,
    database: str,
    postmaster: int | None,
    log_dir: Path,
) -> BaselineResult:
    stages: list[subprocess.Popen[str]] = []
    reader = OffsetReader(settings.kafka_bootstrap_servers, settings.namespace)
    await reader.start()
    try:
        for k in range(1, STAGES + 1):
            log = log_dir / f"bare-{variant}-stage-{k}.log"
            stages.append(_spawn(variant, k, topics, settings, owner_url, log))
        for stage in stages:
            await asyncio.wait_for(_ready(stage), timeout=60)
        meter = CpuMeter(
            {f"stage {k}": p.pid for k, p in enumerate(stages, 1)},
            postmaster,
            frozenset({database}),
        )
        before = meter.read()
        started = time.perf_counter()
        for stage in stages:
            assert stage.stdin is not None
            stage.stdin.write("go\n")
            stage.stdin.flush()
        delivered = await _delivered(reader, topics[-1], messages, stages)
        seconds = time.perf_counter() - started
        used = cpu_seconds(before, meter.read())
    finally:
        for stage in stages:
            _stop(stage)
        await reader.close()
    return BaselineResult(variant, messages, seconds, used, delivered)


def _spawn(
    variant: str, k: int, topics: list[str], settings: KafkaSettings, owner_url: str, log: Path
) -> subprocess.Popen[str]:
    options = {
        "--variant": variant,
        "--stage": str(k),
        "--source": topics[k - 1],
        "--target": topics[k],
        "--group": f"{settings.namespace}stage-{k}",
        "--database": with_user(owner_url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER),
        "--bootstrap-servers": settings.kafka_bootstrap_servers,
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.bench.bare_stage", *itertools.chain(*options.items())],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )


async def _ready(stage: subprocess.Popen[str]) -> None:
    assert stage.stdout is not None
    line = await asyncio.to_thread(stage.stdout.readline)
    if line.strip() != "ready":
        raise RuntimeError(f"a bare stage did not start (exit {stage.poll()}); see its log")


async def _delivered(
    reader: OffsetReader, last: str, messages: int, stages: list[subprocess.Popen[str]]
) -> int:
    deadline = time.monotonic() + 120 + messages / 50
    while True:
        delivered = sum((await reader.ends([last])).values())
        if delivered >= messages:
            return delivered
        if any(stage.poll() is not None for stage in stages):
            raise RuntimeError("a bare stage stopped before the end; see its log")
        if time.monotonic() > deadline:
            raise TimeoutError(f"bare pipeline: {delivered}/{messages} delivered in time")
        await asyncio.sleep(0.1)


def _stop(stage: subprocess.Popen[str]) -> None:
    assert stage.stdin is not None
    stage.stdin.close()  # the stage's cue to stop
    try:
        stage.wait(timeout=15)
    except subprocess.TimeoutExpired:
        stage.kill()
        stage.wait()


async def _load(kafka: str, topic: str, messages: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, linger_ms=20, max_batch_size=262144)
    await producer.start()
    try:
        for i in range(messages):
            event = first_event(i)
            await producer.send(
                topic, event, key=json.loads(event)["subject"].encode(), headers=HEADERS
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _create_database(postgres_url: str, name: str) -> str:
    admin = await asyncpg.connect(f"{postgres_url}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{postgres_url}/{name}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
        await conn.execute(f"GRANT SELECT, INSERT ON inbox, steps TO {LOCAL_SERVICE_USER}")
    finally:
        await conn.close()
    return url


async def _drop_database(postgres_url: str, name: str) -> None:
    admin = await asyncpg.connect(f"{postgres_url}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
