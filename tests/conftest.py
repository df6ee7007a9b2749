"""Where the real Kafka and PostgreSQL are.

Addresses come from the environment (KAFKA_BOOTSTRAP_SERVERS, TEST_POSTGRES_URL) or default to
the local servers `make up` starts. Without addresses and with a Docker engine present,
testcontainers starts both instead. A missing server fails the test with a clear message; it
never skips.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import uuid4

import asyncpg
import pytest

from scripts.platform import REPO_ROOT, IdentityProvider, fresh_database, fresh_databases
from shared.dates import london_today
from shared.services import SERVICES, local_postgres_url
from shared.settings import LOCAL_KAFKA
from tests import namespaces
from tests.identity import identity_provider

if TYPE_CHECKING:
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.core.container import DockerContainer

# Every service the tests build or start (in-process, or as a process inheriting this
# environment) runs in development mode: with the development identity provider, key and
# councils, which production refuses (shared/environment.py). Tests of that refusal say
# SEND_ENVIRONMENT themselves.
os.environ["SEND_ENVIRONMENT"] = "development"


@pytest.fixture
def today() -> date:
    """Today in the council's calendar (London's, as the services read it at each request),
    read when the test starts: never once per module, which a run crossing midnight leaves a
    day behind (tests/unit/test_tests_take_today_per_test.py)."""
    return london_today()


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
    with ThreadPoolExecutor(1) as pool:  # outside the session's event loop
        swept = pool.submit(asyncio.run, namespaces.sweep(kafka)).result()
    if swept:
        print(f"\ndeleted {len(swept)} topics earlier test runs left behind")
    yield Infrastructure(kafka, postgres)
    with ThreadPoolExecutor(1) as pool:  # this run's namespaces, however its tests ended
        pool.submit(asyncio.run, namespaces.delete_made(kafka)).result()


def _containers() -> Iterator[Infrastructure]:
    """Kafka and PostgreSQL in containers, for as long as the session lasts.

    Only where a Docker engine exists; never run on the project's own (Docker-less) machines,
    so tests/unit/test_containers.py checks all of it that needs no engine. Kafka is given its
    advertised address first so that it boots while PostgreSQL starts.
    """
    with _kafka_container() as kafka:
        bootstrap = _advertise_mapped_address(kafka)
        with _postgres_container() as pg:
            _wait_until_kafka_answers(kafka, bootstrap)
            host, port = pg.get_container_host_ip(), pg.get_exposed_port(pg.port)
            yield Infrastructure(bootstrap, _postgres_server_url(host, port))


KAFKA_IMAGE = "apache/kafka:4.4.0"
POSTGRES_IMAGE = "postgres:16"
KAFKA_CLIENT_PORT = 9092  # the listener clients outside the container use
CONTAINER_START_TIMEOUT_S = 180  # from the start of the container; generous for slow CI hosts
# The address clients must be sent to (the engine's host and the port it maps 9092 to) is known
# only once the container runs, so the container waits for this file before starting Kafka.
# The marker line is written last: the file can be seen before all of it is there.
KAFKA_ADDRESS_FILE = "/tmp/advertised-listeners.sh"  # noqa: S108  # in the container, not here
KAFKA_ADDRESS_WRITTEN = "# written"


def _kafka_env() -> dict[str, str]:
    """One KRaft node (broker and controller) of the official image, whose KAFKA_* variables
    become server.properties. Every variable the image would otherwise default is set, so no
    default of the image (a PLAINTEXT listener this layout lacks) mixes in; the rest mirrors
    deploy/local/kafka/server.properties.template. KAFKA_ADVERTISED_LISTENERS comes later,
    from KAFKA_ADDRESS_FILE.

    The controller and the broker-to-broker listener are bound to localhost, as in the image's
    own default layout: only this node uses them, and the controller's endpoint then equals the
    one in the voter list (Kafka 3.9.0 refused a 0.0.0.0 controller listener, KAFKA-18281).
    CLUSTER_ID is any base64-encoded 16-byte id; the container is new every session."""
    return {
        "CLUSTER_ID": "4W0rKIWXX32xTZAorusv9A",
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENERS": (
            f"HOST://0.0.0.0:{KAFKA_CLIENT_PORT},BROKER://localhost:19092,"
            "CONTROLLER://localhost:9093"
        ),
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
            "HOST:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
        ),
        "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
        "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_NUM_PARTITIONS": "6",
        "KAFKA_DEFAULT_REPLICATION_FACTOR": "1",
        "KAFKA_MIN_INSYNC_REPLICAS": "1",
        "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "6",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS": "6",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }


def _kafka_container(docker_client_kw: dict[str, Any] | None = None) -> DockerContainer:
    """The Kafka container, not started. testcontainers' own KafkaContainer is not used: it
    is written for Confluent's image (its start script runs /etc/confluent/docker/*) and its
    with_kraft() rejects a tag below 7.0.0, i.e. every apache/kafka tag.

    ``docker_client_kw`` goes to the Docker client; the unit tests pin an API version with it so
    that nothing asks an engine for one.
    """
    from testcontainers.core.container import DockerContainer

    return (
        DockerContainer(KAFKA_IMAGE, docker_client_kw=docker_client_kw)
        .with_envs(**_kafka_env())
        .with_exposed_ports(KAFKA_CLIENT_PORT)
        .with_command(
            [
                "sh",
                "-c",
                f"until grep -qsx '{KAFKA_ADDRESS_WRITTEN}' {KAFKA_ADDRESS_FILE}; "
                f"do sleep 0.1; done; . {KAFKA_ADDRESS_FILE}; exec /etc/kafka/docker/run",
            ]
        )
    )


def _kafka_address_script(host: str, port: int) -> str:
    """What KAFKA_ADDRESS_FILE holds: clients outside are sent to ``host:port``, this node to
    itself on the broker listener."""
    listeners = f"HOST://{host}:{port},BROKER://localhost:19092"
    return f"export KAFKA_ADVERTISED_LISTENERS='{listeners}'\n{KAFKA_ADDRESS_WRITTEN}\n"


def _advertise_mapped_address(kafka: DockerContainer) -> str:
    """Hand the started container its address, which lets Kafka start; returns the bootstrap
    address for clients. The host and port are testcontainers' (they differ when the tests
    themselves run in a container), so they are what the broker must advertise."""
    host = kafka.get_container_host_ip()
    port = kafka.get_exposed_port(KAFKA_CLIENT_PORT)
    kafka.copy_into_container(_kafka_address_script(host, port).encode(), KAFKA_ADDRESS_FILE)
    return f"{host}:{port}"


def _wait_until_kafka_answers(kafka: DockerContainer, bootstrap: str) -> None:
    """Blocks until Kafka logs that it started (failing at once if the container exits) and a
    metadata request through the advertised address succeeds: the log line alone does not show
    that clients here can reach what the broker hands out."""
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    started = LogMessageWaitStrategy("Kafka Server started")
    started.with_startup_timeout(CONTAINER_START_TIMEOUT_S).wait_until_ready(kafka)
    # asyncio.run in a thread of its own: it must not replace the event loop pytest-asyncio
    # keeps on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _metadata_answered(bootstrap, CONTAINER_START_TIMEOUT_S)).result()


async def _metadata_answered(bootstrap: str, timeout_s: float) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (KafkaError, OSError):
            if loop.time() > deadline:
                raise
        finally:
            await admin.close()
        await asyncio.sleep(0.5)


def _postgres_container(docker_client_kw: dict[str, Any] | None = None) -> PostgresContainer:
    """PostgreSQL with the role the tests use (send/send, a superuser here, so it may create
    and drop databases), not started. The container's start waits until psql answers over
    TCP, which the image's first, socket-only start-up server does not."""
    from testcontainers.community.postgres import PostgresContainer

    return PostgresContainer(
        POSTGRES_IMAGE,
        username="send",
        password="send",
        dbname="postgres",
        driver=None,
        docker_client_kw=docker_client_kw,
    )


def _postgres_server_url(host: str, port: int) -> str:
    """The server's URL without a database name, as ``Infrastructure.postgres_url`` wants."""
    return f"postgresql://send:{quote('send', safe='')}@{host}:{port}"


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    """The development identity provider, as `make run` starts it, on a port of this run's.
    Its signing key is in a file the tests can read, to forge tokens a service must refuse."""
    key_file = tmp_path_factory.mktemp("identity") / "key.pem"
    with identity_provider(REPO_ROOT / ".local" / "logs" / "tests", key_file=key_file) as running:
        yield running


RUN_ID = uuid4().hex[:6]
"""This test run's: in the names of the databases it makes, so runs can overlap."""


@pytest.fixture(scope="session")
async def databases(infrastructure: Infrastructure) -> AsyncIterator[Databases]:
    """Makes fresh, migrated databases for this run, and drops them when it ends."""
    made = Databases(infrastructure.postgres_url)
    yield made
    await made.drop_all()


class Databases:
    def __init__(self, postgres_url: str) -> None:
        self.postgres_url = postgres_url
        self.names: list[str] = []

    async def fresh(
        self, hint: str, component: str, migrations: Traversable, *, seed: bool = True
    ) -> str:
        """A fresh database named after ``hint`` and this run, migrated (specialists': with
        the seed registry unless ``seed`` is false); returns its URL."""
        name = f"t{RUN_ID}_{hint}"
        self.names.append(name)
        return await fresh_database(self.postgres_url, name, component, migrations, seed=seed)

    async def fresh_for_services(self, hint: str) -> dict[str, str]:
        """One fresh database for each service (as ``fresh_databases``), for this run."""
        prefix = f"t{RUN_ID}_{hint}_"
        self.names.extend(f"{prefix}{service}" for service in SERVICES)
        return await fresh_databases(self.postgres_url, prefix=prefix)

    async def drop_all(self) -> None:
        admin = await asyncpg.connect(f"{self.postgres_url}/postgres")
        try:
            for name in self.names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
