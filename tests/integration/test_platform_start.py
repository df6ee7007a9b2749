"""A platform that does not become ready is stopped before ``start`` raises: a test's
``finally`` covers only a started platform, and a service left running was reported by the
garbage collector in a later test ("subprocess ... is still running"), failing that test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from scripts.platform import REPO_ROOT, IdentityProvider, Platform, free_port
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics
from tests import namespaces
from tests.conftest import Infrastructure


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def namespace(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """A namespace of this run's own, with its topics, as a deployment has them: without them
    the service's consumers wait for topics that never come, and its shutdown with them
    (killed after 10 s)."""
    run = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        SEND_NAMESPACE=namespaces.namespace("neverready"),
    )
    await ensure_topics(run)
    yield run.namespace
    await delete_namespace(run)


def test_a_platform_that_never_gets_ready_leaves_nothing_running(
    infrastructure: Infrastructure, identity: IdentityProvider, namespace: str
) -> None:
    env = {
        **identity.service_env(),
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
        "SEND_NAMESPACE": namespace,
        # Nothing listens on port 1: the service runs, and is never ready.
        "PLANS_DATABASE_URL": "postgresql://send:send@127.0.0.1:1/plans",
        "LOG_LEVEL": "WARNING",
    }
    plans = Platform(
        log_dir=REPO_ROOT / ".local" / "logs" / "never-ready", env=env, ports={"plans": free_port()}
    )
    spawned: list[int] = []
    spawn = plans._spawn

    def recorded(process: str) -> None:
        spawn(process)
        spawned.append(plans.processes[process].pid)

    plans._spawn = recorded  # type: ignore[method-assign]
    with pytest.raises(TimeoutError, match="not ready"):
        plans.start(timeout_s=3)

    assert spawned, "the service was started"
    assert plans.processes == {}
    assert not any(_alive(pid) for pid in spawned)
