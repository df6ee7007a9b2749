"""Where the real Kafka and PostgreSQL are.

Addresses come from the environment (KAFKA_BOOTSTRAP_SERVERS, TEST_POSTGRES_URL) or default to
the local servers `make up` starts. Without addresses and with a Docker engine present,
testcontainers starts both instead. A missing server fails the test with a clear message; it
never skips.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from shared.services import local_postgres_url
from shared.settings import LOCAL_KAFKA


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    postgres_url: str  # server URL without a database name


def _reachable(host_port: str) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def _docker_engine() -> bool:
    try:
        import docker  # type: ignore[import-untyped]  # testcontainers' dependency, untyped

        docker.from_env().ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    postgres = os.environ.get("TEST_POSTGRES_URL")
    if kafka is None and postgres is None and not _reachable(LOCAL_KAFKA) and _docker_engine():
        yield from _containers()
        return
    kafka = kafka or LOCAL_KAFKA
    postgres = postgres or local_postgres_url()
    pg_host_port = postgres.rsplit("@", 1)[-1].split("/", 1)[0]
    missing = [
        f"{name} at {address}"
        for name, address in (("Kafka", kafka.split(",")[0]), ("PostgreSQL", pg_host_port))
        if not _reachable(address)
    ]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not reachable. Run `make up` (or `make test`, which "
            "starts them), or set KAFKA_BOOTSTRAP_SERVERS / TEST_POSTGRES_URL.",
            pytrace=False,
        )
    yield Infrastructure(kafka, postgres)  # noqa: PT022  # a generator: the other branch tears down containers


def _containers() -> Iterator[Infrastructure]:
    # Only where a Docker engine exists; untested on the project's own (Docker-less) machines.
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        KafkaContainer("apache/kafka:4.4.0").with_kraft() as kafka,
        PostgresContainer("postgres:16", username="send", password="send") as pg,
    ):
        url = pg.get_connection_url(driver=None).rsplit("/", 1)[0]
        yield Infrastructure(kafka.get_bootstrap_server(), url)
