"""Kafka namespaces of test runs, named with the time they were made, so that a run's leftovers
(a run killed before its teardown deleted its topics) are found and deleted by a later run.

A broker that kept every interrupted run's topics filled up: after a day of runs it held 16,000
partitions and its 512 MB heap ran out. Each run deletes its own topics when it ends; the sweep
deletes those of runs that did not, once they are older than any run lasts (a run going on
beside this one, such as another developer's suite on the same broker, is left alone).
"""

from __future__ import annotations

import re
import time
from uuid import uuid4

from aiokafka.admin import AIOKafkaAdminClient

STALE_AFTER_S = 3 * 3600
"""Older than any test run lasts (``make test`` takes minutes; CI stops a run at 90), with a
margin for a long local run beside it. Each run deletes its own namespaces when it ends
(``delete_made``); this sweep is for runs killed before that: with a 6-hour sweep and tests
that left theirs, a broker shared by parallel suites ran out of file handles (20,000)."""

_STAMPED = re.compile(r"^(?:tests\.)?[a-z0-9]+-(?P<made>\d{10})-[0-9a-f]+\.")
"""A namespaced topic (``e2e-1764460000-1a2b3c4d.referrals...``) or a mechanism test's own
topic (``tests.counted-1764460000-1a2b3c4d5e.v1``): the number is when it was made."""


def stamped(kind: str, *, hex_digits: int = 8, now: float | None = None) -> str:
    """A name for a test run's ``kind`` of topics (no trailing dot): ``kind-<epoch>-<hex>``."""
    made = int(time.time() if now is None else now)
    return f"{kind}-{made}-{uuid4().hex[:hex_digits]}"


MADE: list[str] = []
"""The namespaces this run made: their topics go when the run ends (``delete_made``), whether
or not the test that made one deleted its own (most did not: each left its ~900 partitions)."""


def namespace(kind: str) -> str:
    """A fresh namespace (topic and consumer-group prefix) for a test run's ``kind``."""
    made = f"{stamped(kind)}."
    MADE.append(made)
    return made


async def delete_made(bootstrap_servers: str) -> list[str]:
    """Delete the topics of every namespace this run made; returns their names."""
    doomed = await delete_namespaces(bootstrap_servers, tuple(MADE))
    MADE.clear()
    return doomed


async def delete_namespaces(bootstrap_servers: str, prefixes: tuple[str, ...]) -> list[str]:
    """Delete every topic that starts with one of ``prefixes``; returns their names."""
    if not prefixes or not all(p.endswith(".") and len(p) > 1 for p in prefixes):
        return []  # never the empty namespace (a deployment's own)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(prefixes)]
        for i in range(0, len(doomed), 500):
            await admin.delete_topics(doomed[i : i + 500])
        return doomed
    finally:
        await admin.close()


def stale(topic: str, now: float) -> bool:
    """Whether ``topic`` is a test run's and older than ``STALE_AFTER_S``."""
    match = _STAMPED.match(topic)
    return match is not None and now - int(match["made"]) > STALE_AFTER_S


async def sweep(bootstrap_servers: str, now: float | None = None) -> list[str]:
    """Delete the topics earlier test runs left behind; returns their names."""
    at = time.time() if now is None else now
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if stale(t, at)]
        for i in range(0, len(doomed), 500):
            await admin.delete_topics(doomed[i : i + 500])
        return doomed
    finally:
        await admin.close()
