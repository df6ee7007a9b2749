"""The testcontainers path of tests/conftest.py, as far as it can be checked without a Docker
engine (the project's machines have none): the containers are built, never started.

A Docker client asks the engine for its API version when it is created, unless it is given
one; ``NO_ENGINE`` gives one, so building a container here touches no engine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import (
    KAFKA_ADDRESS_FILE,
    KAFKA_ADDRESS_WRITTEN,
    KAFKA_CLIENT_PORT,
    KAFKA_IMAGE,
    POSTGRES_IMAGE,
    _kafka_address_script,
    _kafka_container,
    _kafka_env,
    _postgres_container,
    _postgres_server_url,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
NO_ENGINE = {"version": "1.44"}

# What the image's configureDefaults sets when unset: each must come from us, or a default
# (a PLAINTEXT listener, say) mixes into our layout. KAFKA_ADVERTISED_LISTENERS comes from the
# address file, written after the start.
IMAGE_DEFAULTED = {
    "CLUSTER_ID",
    "KAFKA_NODE_ID",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
    "KAFKA_LISTENERS",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    "KAFKA_PROCESS_ROLES",
    "KAFKA_CONTROLLER_QUORUM_VOTERS",
    "KAFKA_INTER_BROKER_LISTENER_NAME",
    "KAFKA_CONTROLLER_LISTENER_NAMES",
    "KAFKA_LOG_DIRS",
}


def _listeners(value: str) -> dict[str, str]:
    """``NAME://host:port,...`` as {name: host:port}."""
    pairs = (item.split("://", 1) for item in value.split(","))
    return {name: address for name, address in pairs}


def _advertised(script: str) -> str:
    line = next(ln for ln in script.splitlines() if "KAFKA_ADVERTISED_LISTENERS=" in ln)
    return line.split("=", 1)[1].strip("'")


def test_the_container_modules_are_current_and_raise_no_deprecation_warning() -> None:
    """In a fresh interpreter, where the modules are imported for the first time (the old
    testcontainers.kafka / .postgres aliases warn on import, attributed to the importer)."""
    build = (
        "from tests.conftest import _kafka_container, _postgres_container; "
        f"_kafka_container({NO_ENGINE!r}); _postgres_container({NO_ENGINE!r})"
    )
    run = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", build],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_kafka_is_one_kraft_node_of_the_official_image() -> None:
    kafka = _kafka_container(NO_ENGINE)

    assert kafka.image == KAFKA_IMAGE == "apache/kafka:4.4.0"
    assert str(KAFKA_CLIENT_PORT) in kafka.ports
    assert kafka.env == _kafka_env()
    assert kafka.env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka.env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert kafka.env.keys() >= IMAGE_DEFAULTED
    assert "KAFKA_ADVERTISED_LISTENERS" not in kafka.env


def test_kafka_listeners_fit_together() -> None:
    """Kafka refuses to start on a listener named in one setting but not another."""
    env = _kafka_env()
    listeners = _listeners(env["KAFKA_LISTENERS"])
    pairs = (p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    protocols = {name: protocol for name, protocol in pairs}
    node, controller_address = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")

    assert protocols.keys() == listeners.keys()
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in listeners
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
    assert listeners[env["KAFKA_CONTROLLER_LISTENER_NAMES"]] == controller_address
    assert node == env["KAFKA_NODE_ID"]
    assert listeners["HOST"] == f"0.0.0.0:{KAFKA_CLIENT_PORT}"  # reachable through the mapping


def test_kafka_starts_only_once_told_its_address_and_then_advertises_it() -> None:
    env = _kafka_env()
    listeners = _listeners(env["KAFKA_LISTENERS"])
    command = _kafka_container(NO_ENGINE)._command
    assert isinstance(command, list)
    script = command[-1]

    waits, runs = script.split("; . ", 1)
    assert KAFKA_ADDRESS_FILE in waits
    assert KAFKA_ADDRESS_WRITTEN in waits
    assert runs == f"{KAFKA_ADDRESS_FILE}; exec /etc/kafka/docker/run"  # the image's own CMD

    written = _kafka_address_script("docker-host", 32771)
    advertised = _listeners(_advertised(written))
    assert written.endswith(f"\n{KAFKA_ADDRESS_WRITTEN}\n")  # the marker comes last
    assert advertised["HOST"] == "docker-host:32771"
    assert advertised["BROKER"] == listeners["BROKER"]
    assert advertised.keys() <= listeners.keys()
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised


def test_postgres_is_the_official_image_with_the_tests_role() -> None:
    pg = _postgres_container(NO_ENGINE)

    assert pg.image == POSTGRES_IMAGE == "postgres:16"
    assert (pg.username, pg.password, pg.dbname) == ("send", "send", "postgres")
    assert str(pg.port) in pg.ports


def test_the_postgres_url_names_the_server_and_no_database() -> None:
    assert _postgres_server_url("docker-host", 32772) == "postgresql://send:send@docker-host:32772"
