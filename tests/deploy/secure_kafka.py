"""A Kafka broker of a test's own that authenticates (SASL SCRAM-SHA-512) and authorizes
(StandardAuthorizer, nothing allowed without an ACL), as a Strimzi cluster with
`authorization: simple` does. It runs from the jars `make up` resolved, on free ports."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from scripts.platform import REPO_ROOT, free_port
from shared.settings import KafkaSettings

ADMIN = "admin"
ACLS_PROGRAM = Path(__file__).parent / "kafka" / "AddAcls.java"
# Strimzi's names for what Kafka's Java enums call READ, IDEMPOTENT_WRITE, ...
_ENUM = re.compile(r"(?<!^)(?=[A-Z])")


def kafka_lib() -> Path:
    pom = (REPO_ROOT / "deploy" / "local" / "kafka" / "pom.xml").read_text()
    match = re.search(r"<kafka.version>(.+)</kafka.version>", pom)
    assert match, "no <kafka.version> in deploy/local/kafka/pom.xml"
    cache = Path(os.environ.get("SEND_CACHE_DIR", Path.home() / ".cache" / "send-platform"))
    lib = cache / f"kafka-{match.group(1)}" / "lib"
    assert (lib / ".complete").exists(), f"no Kafka jars in {lib}: run `make up` once"
    return lib


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home:
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java") or next(
        iter(sorted(Path("/usr/lib/jvm").glob("*/bin/java"))), None
    )
    assert found, "no java: the local Kafka needs one too (make up)"
    return str(found)


def strimzi_acls(user: dict[str, Any]) -> list[str]:
    """A Strimzi KafkaUser's ACLs as AddAcls.java lines."""
    lines = []
    principal = f"User:{user['metadata']['name']}"
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        kind = resource["type"].upper()
        name = resource.get("name", "kafka-cluster")  # the cluster resource's only name
        pattern = {"literal": "LITERAL", "prefix": "PREFIXED"}[
            resource.get("patternType", "literal")
        ]
        for operation in acl["operations"]:
            op = _ENUM.sub("_", operation).upper()
            lines.append("\t".join((principal, kind, name, pattern, op)))
    return lines


@dataclass
class SecureKafka:
    folder: Path
    users: dict[str, str] = field(default_factory=dict)  # name -> password
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def settings(self, user: str = ADMIN, namespace: str = "") -> KafkaSettings:
        return KafkaSettings(
            kafka_bootstrap_servers=self.bootstrap,
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username=user,
            kafka_sasl_password=self.users[user],
            SEND_NAMESPACE=namespace,
        )

    def env(self, user: str) -> dict[str, str]:
        """A service's environment to connect as ``user``."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": user,
            "KAFKA_SASL_PASSWORD": self.users[user],
        }

    def start(self, users: Iterable[str]) -> None:
        self.users = {ADMIN: secrets.token_urlsafe(16)} | {
            u: secrets.token_urlsafe(16) for u in users
        }
        data = self.folder / "data"
        data.mkdir(parents=True)
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{ADMIN}" password="{self.users[ADMIN]}";'
        )
        config = self.folder / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    "controller.listener.names=CONTROLLER",
                    f"listeners=SASL_PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{self.port}",
                    "inter.broker.listener.name=SASL_PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
                    "sasl.enabled.mechanisms=SCRAM-SHA-512",
                    "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                    f"listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config={jaas}",
                    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                    # The controller listener is loopback-only and unauthenticated (ANONYMOUS).
                    f"super.users=User:{ADMIN};User:ANONYMOUS",
                    "allow.everyone.if.no.acl.found=false",
                    f"log.dirs={data}",
                    "auto.create.topics.enable=false",
                    "offsets.topic.num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                ]
            )
            + "\n"
        )
        lib = kafka_lib()
        tool = [
            java(),
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-cp",
            f"{lib}/*",
        ]
        cluster_id = base64.urlsafe_b64encode(b"\x10" + secrets.token_bytes(15)).decode()[:22]
        scram = [
            arg
            for name, password in self.users.items()
            for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
        ]
        subprocess.run(
            [*tool, "kafka.tools.StorageTool", "format", "--standalone", "-t", cluster_id,
             "-c", str(config), *scram],
            check=True, capture_output=True,
        )  # fmt: skip
        self.log = self.folder / "kafka.out"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [java(), "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
                 f"-Dkafka.logs.dir={self.folder}",
                 f"-Dlog4j2.configurationFile={REPO_ROOT / 'deploy/local/kafka/log4j2.yaml'}",
                 "-cp", f"{lib}/*", "kafka.Kafka", str(config)],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def wait_ready(self, timeout_s: float = 90) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        last: BaseException | None = None
        while asyncio.get_running_loop().time() < deadline:
            assert self.process is not None
            assert self.process.poll() is None, f"Kafka exited: {self.log.read_text()[-3000:]}"
            admin = AIOKafkaAdminClient(
                **self.settings().kafka_client_options(), request_timeout_ms=3000
            )
            try:
                await admin.start()
                await admin.list_topics()
                return
            except Exception as exc:
                last = exc
            finally:
                await admin.close()
            await asyncio.sleep(0.5)
        raise TimeoutError(f"secured Kafka not ready after {timeout_s}s: {last!r}")

    def add_acls(self, lines: list[str]) -> str:
        admin_config = self.folder / "admin.properties"
        admin_config.write_text(
            f"bootstrap.servers={self.bootstrap}\n"
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{ADMIN}" password="{self.users[ADMIN]}";\n'
        )
        done = subprocess.run(
            [java(), "-cp", f"{kafka_lib()}/*", str(ACLS_PROGRAM), str(admin_config)],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
