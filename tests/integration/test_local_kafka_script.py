"""``deploy/local/kafka.sh`` starts a second, isolated broker beside the usual one when given
``SEND_KAFKA_PORT``, ``SEND_KAFKA_CONTROLLER_PORT`` and its own ``SEND_LOCAL_DIR`` (how the
broker's settings are measured without disturbing the shared one): a real broker, started,
asked for its metadata over the new port, and stopped; the usual broker is left alone."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from scripts.platform import REPO_ROOT, free_port
from tests.conftest import Infrastructure

KAFKA_SH = REPO_ROOT / "deploy" / "local" / "kafka.sh"


def _free_ports(count: int) -> list[int]:
    return [free_port() for _ in range(count)]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _kafka_sh(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(KAFKA_SH), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def test_a_second_broker_on_its_own_ports_and_folder(
    tmp_path: Path, infrastructure: Infrastructure
) -> None:
    port, controller_port = _free_ports(2)
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env |= {
        "SEND_LOCAL_DIR": str(tmp_path / "local"),
        "SEND_KAFKA_PORT": str(port),
        "SEND_KAFKA_CONTROLLER_PORT": str(controller_port),
    }
    try:
        started = _kafka_sh("start", env)
        assert started.returncode == 0, started.stderr
        assert f"ready on 127.0.0.1:{port}" in started.stderr, started.stderr
        rendered = (tmp_path / "local" / "kafka" / "server.properties").read_text()
        listeners = f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
        assert f"listeners={listeners}" in rendered
        assert f"log.dirs={tmp_path / 'local' / 'kafka' / 'data'}" in rendered

        admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
        await admin.start()
        try:
            cluster = await admin.describe_cluster()
        finally:
            await admin.close()
        assert [b["port"] for b in cluster["brokers"]] == [port]

        status = _kafka_sh("status", env)
        assert status.returncode == 0, status.stderr
        assert f"on 127.0.0.1:{port}" in status.stderr, status.stderr
    finally:
        stopped = _kafka_sh("stop", env)
    assert stopped.returncode == 0, stopped.stderr
    assert not _port_open(port)
    assert not _port_open(controller_port)
    # The shared broker the rest of the tests use is untouched.
    host, shared_port = infrastructure.kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)
    assert host
    assert _port_open(int(shared_port))


def test_the_two_ports_must_differ(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env |= {
        "SEND_LOCAL_DIR": str(tmp_path / "local"),
        "SEND_KAFKA_PORT": "19999",
        "SEND_KAFKA_CONTROLLER_PORT": "19999",
    }
    refused = _kafka_sh("start", env)
    assert refused.returncode != 0
    assert "SEND_KAFKA_PORT" in refused.stderr
    assert "must be two different" in refused.stderr
    assert not (tmp_path / "local" / "kafka").exists()
