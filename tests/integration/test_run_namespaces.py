"""A test run deletes the Kafka topics of every namespace it made when it ends: before, most
tests that made one left its ~900 partitions behind, and a broker shared by several suites ran
out of file handles before the sweep reached them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka.admin import AIOKafkaAdminClient

from shared.settings import KafkaSettings
from shared.topics import ensure_topics
from tests import namespaces
from tests.conftest import Infrastructure


async def _topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()


async def _listed(bootstrap: str, holds: Callable[[set[str]], bool]) -> set[str]:
    """The broker's topics once ``holds`` of them: a broker's list follows its controller's
    creations and deletions a moment later, longer on a loaded machine (CI saw an empty list
    right after the topics were made)."""
    deadline = time.monotonic() + 30
    while not holds(listed := set(await _topics(bootstrap))):
        assert time.monotonic() < deadline, "the broker's topics never came to the state"
        await asyncio.sleep(0.1)  # paces the polling of a condition, waits for nothing else
    return listed


async def test_a_runs_namespaces_are_deleted_and_no_others(infrastructure: Infrastructure) -> None:
    bootstrap = infrastructure.kafka_bootstrap_servers
    mine, kept = f"{namespaces.stamped('gone')}.", f"{namespaces.stamped('kept')}."
    for prefix in (mine, kept):
        settings = KafkaSettings(kafka_bootstrap_servers=bootstrap, SEND_NAMESPACE=prefix)
        await ensure_topics(settings, ["a.v1", "b.v1"])
    made = {f"{prefix}{name}" for prefix in (mine, kept) for name in ("a.v1", "b.v1")}
    await _listed(bootstrap, lambda topics: made <= topics)

    deleted = await namespaces.delete_namespaces(bootstrap, (mine,))

    assert sorted(deleted) == [f"{mine}a.v1", f"{mine}b.v1"]
    left = await _listed(bootstrap, lambda topics: not any(t.startswith(mine) for t in topics))
    assert {f"{kept}a.v1", f"{kept}b.v1"} <= set(left)
    assert await namespaces.delete_namespaces(bootstrap, ("",)) == []  # never everything
    await namespaces.delete_namespaces(bootstrap, (kept,))


def test_every_namespace_made_is_remembered_for_the_end_of_the_run() -> None:
    made = namespaces.namespace("remembered")
    assert made in namespaces.MADE
