"""Topic creation (``shared.topics``) against the real broker: what it creates, what it refuses
and how the command reports a refusal.

The local broker is a single node, which gives two real refusals to provoke: a name with an
illegal character (INVALID_TOPIC, checked by the broker, not by aiokafka) and a replication
factor of 3 (INVALID_REPLICATION_FACTOR). Zero partitions, the third, cannot be asked for
through ``KafkaSettings`` (``kafka_topic_partitions`` is at least 1).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.settings import KafkaSettings
from shared.topics import TopicCreationFailed, ensure_topics, main
from tests.conftest import Infrastructure
from tests.integration.conftest import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
NameFactory = Callable[[str], str]


@pytest.fixture
async def admin(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def topic_name(admin: AIOKafkaAdminClient) -> AsyncIterator[NameFactory]:
    """Unique topic names; whichever of them exist after the test are deleted."""
    names: list[str] = []
    suffix = uuid4().hex[:10]

    def make(label: str) -> str:
        names.append(f"topics-test-{label}-{suffix}")
        return names[-1]

    yield make
    existing = set(await admin.list_topics())
    if leftovers := [n for n in names if n in existing]:
        await admin.delete_topics(leftovers)


async def partition_counts(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, int]:
    """Partitions of each of ``topics`` the broker's metadata knows (the others are left out)."""
    described = await admin.describe_topics(topics)
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}


async def wait_until_listed(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    async def listed() -> bool:
        return set(topics) <= set(await admin.list_topics())

    await wait_for(listed, what=f"{topics} in the broker's metadata")


async def test_missing_topics_are_created_with_the_configured_partitions(
    kafka_settings: KafkaSettings, admin: AIOKafkaAdminClient, topic_name: NameFactory
) -> None:
    settings = kafka_settings.model_copy(update={"kafka_topic_partitions": 3})
    topics = [topic_name("a"), topic_name("b")]

    created = await ensure_topics(settings, topics)

    assert created == topics

    async def all_have_three_partitions() -> bool:
        return await partition_counts(admin, topics) == dict.fromkeys(topics, 3)

    await wait_for(all_have_three_partitions, what="both topics with 3 partitions")


async def test_running_twice_creates_nothing_the_second_time(
    kafka_settings: KafkaSettings, admin: AIOKafkaAdminClient, topic_name: NameFactory
) -> None:
    topics = [topic_name("twice")]

    assert await ensure_topics(kafka_settings, topics) == topics
    await wait_until_listed(admin, topics)
    assert await ensure_topics(kafka_settings, topics) == []
    assert await partition_counts(admin, topics) == {
        topics[0]: kafka_settings.kafka_topic_partitions
    }


async def test_concurrent_runs_create_each_topic_once_and_none_fails(
    kafka_settings: KafkaSettings, topic_name: NameFactory
) -> None:
    """Several processes running the command at once (say, each service's start-up job).

    Whichever interleaving happens, nothing fails and each topic is reported created once. When
    a run lists a topic as missing after another run created it, the broker answers
    TOPIC_ALREADY_EXISTS, which must count as success (the interleaving is not controlled, so
    that path is exercised only when the race happens, as it usually does here).
    """
    topics = [topic_name("race-a"), topic_name("race-b")]

    results = await asyncio.gather(*(ensure_topics(kafka_settings, topics) for _ in range(4)))

    reported = [t for created in results for t in created]
    assert sorted(reported) == sorted(topics)


async def test_an_illegal_name_fails_with_its_name_and_the_valid_topics_are_still_created(
    kafka_settings: KafkaSettings, admin: AIOKafkaAdminClient, topic_name: NameFactory
) -> None:
    """CreateTopics judges each topic on its own: the broker refuses the bad one and creates
    the rest of the same request."""
    good = topic_name("good")
    bad = topic_name("bad/slash")

    with pytest.raises(TopicCreationFailed) as refused:
        await ensure_topics(kafka_settings, [good, bad])

    assert list(refused.value.failures) == [bad]
    assert "INVALID_TOPIC" in refused.value.failures[bad]
    assert "contains one or more characters" in refused.value.failures[bad]  # broker's reason
    assert bad in str(refused.value)
    await wait_until_listed(admin, [good])
    assert bad not in await admin.list_topics()


async def test_a_replication_factor_above_the_broker_count_fails_and_a_rerun_fixes_it(
    kafka_settings: KafkaSettings, admin: AIOKafkaAdminClient, topic_name: NameFactory
) -> None:
    """One broker cannot hold 3 replicas. The setting applies to every topic of the request, so
    all are refused and none is created; run again with a factor the cluster can hold, the
    command creates them all."""
    topics = [topic_name("rf-a"), topic_name("rf-b")]
    three_replicas = kafka_settings.model_copy(update={"kafka_replication_factor": 3})

    with pytest.raises(TopicCreationFailed) as refused:
        await ensure_topics(three_replicas, topics)

    assert sorted(refused.value.failures) == sorted(topics)
    assert all("INVALID_REPLICATION_FACTOR" in r for r in refused.value.failures.values())
    assert not set(topics) & set(await admin.list_topics())

    assert await ensure_topics(kafka_settings, topics) == topics
    await wait_until_listed(admin, topics)


def _main_in_a_thread(topics: list[str]) -> None:
    """``main()`` calls ``asyncio.run``; in a thread of its own it cannot disturb the event
    loop pytest-asyncio keeps on the test thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(main, topics).result()


def test_the_command_exits_1_naming_each_refused_topic(
    infrastructure: Infrastructure,
    topic_name: NameFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Settings come from the environment, as for ``python -m shared.topics``."""
    topic = topic_name("cli-rf")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", infrastructure.kafka_bootstrap_servers)
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "3")

    with pytest.raises(SystemExit) as exited:
        _main_in_a_thread([topic])

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"could not create {topic}: INVALID_REPLICATION_FACTOR" in err


def _run_command(topics: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own: ``main`` with a topic list of the test's own (the
    platform's topics may exist already, so ``-m shared.topics`` would have nothing to do)."""
    return subprocess.run(
        [sys.executable, "-c", f"from shared.topics import main; main({topics!r})"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_in_a_process_fails_without_a_traceback_then_succeeds_when_fixed(
    infrastructure: Infrastructure, topic_name: NameFactory
) -> None:
    topic = topic_name("cli-process")
    env = {"KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers}

    refused = _run_command([topic], {**env, "KAFKA_REPLICATION_FACTOR": "3"})
    assert refused.returncode == 1, refused.stderr
    assert f"could not create {topic}: INVALID_REPLICATION_FACTOR" in refused.stderr
    assert "Traceback" not in refused.stderr

    fixed = _run_command([topic], {**env, "KAFKA_REPLICATION_FACTOR": "1"})
    assert fixed.returncode == 0, fixed.stderr
    assert "1 wanted, 1 created" in fixed.stdout
