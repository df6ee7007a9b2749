"""What the rendered chart says, read object by object: every service is probed, limited and
locked down; the Kafka topics and each user's rights are exactly what the code declares (its
AsyncAPI documents and consumer groups, never a list kept by hand); no secret is in any object."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scripts.asyncapi import DOCS
from scripts.k8s_topology import consumer_groups
from scripts.platform import REPO_ROOT
from shared.dlq import replay_names
from shared.services import SERVICES
from shared.settings import KafkaSettings
from shared.topics import platform_topics
from tests.deploy.conftest import RELEASE, Obj, Rendered, RenderFn, containers, env_of

FULLNAME = f"{RELEASE}-send-platform"


def deployment(rendered: Rendered, service: str) -> Obj:
    return rendered.one("Deployment", f"{FULLNAME}-{service}")


def asyncapi(service: str) -> dict[str, set[str]]:
    """Topics by action (receive, send), read from the committed AsyncAPI document."""
    spec = json.loads((DOCS / f"{service}.json").read_text())
    found: dict[str, set[str]] = {"receive": set(), "send": set()}
    for op in spec["operations"].values():
        channel = spec["channels"][op["channel"]["$ref"].split("/")[-1]]
        found[op["action"]].add(channel["address"])
    return found


def acls(user: Obj) -> set[tuple[str, str, str, str]]:
    """(resource type, name, pattern, operation) for every right the user has."""
    found = set()
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        for operation in acl["operations"]:
            found.add(
                (
                    resource["type"],
                    resource.get("name", ""),
                    resource.get("patternType", "literal"),
                    operation,
                )
            )
    return found


# --- the services' pods ------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_probed_limited_and_locked_down(default: Rendered, service: str) -> None:
    deploy = deployment(default, service)
    pod = deploy["spec"]["template"]["spec"]
    (container,) = containers(deploy)

    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}, kind

    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    assert {v["name"] for v in container["volumeMounts"]} >= {"tmp"}  # the only writable path

    assert pod["topologySpreadConstraints"]
    selector = deploy["spec"]["selector"]["matchLabels"]
    pdb = default.one("PodDisruptionBudget", f"{FULLNAME}-{service}")
    assert pdb["spec"]["selector"]["matchLabels"] == selector
    hpa = default.one("HorizontalPodAutoscaler", f"{FULLNAME}-{service}")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deploy["metadata"]["name"]
    assert "replicas" not in deploy["spec"]  # the HPA owns it


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_its_own_app_and_drains_on_sigterm(
    default: Rendered, service: str
) -> None:
    deploy = deployment(default, service)
    (container,) = containers(deploy)
    command = container["command"]
    assert command[:2] == ["uvicorn", f"{SERVICES[service].package}.app:create_app"]
    assert "--factory" in command
    drain = int(command[command.index("--timeout-graceful-shutdown") + 1])
    assert drain == 20
    pod = deploy["spec"]["template"]["spec"]
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    # preStop, then uvicorn's drain, then the consumers' graceful timeout (FastStream's 20 s),
    # all before the kubelet's SIGKILL.
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + drain + 20
    port = container["ports"][0]["containerPort"]
    assert command[command.index("--port") + 1] == str(port)


@pytest.mark.parametrize("service", SERVICES)
def test_the_environment_names_only_settings_the_service_reads(
    production: Rendered, service: str
) -> None:
    """A misspelt variable would be silently ignored by pydantic-settings: each name the chart
    sets must be a field of the service's settings (or OpenTelemetry's own)."""
    import importlib

    from scripts.asyncapi import SETTINGS_CLASSES

    config = importlib.import_module(f"{service}.config")
    settings_class = getattr(config, SETTINGS_CLASSES[service])
    known = {name.upper() for name in settings_class.model_fields}
    known |= {
        str(f.validation_alias).upper()
        for f in settings_class.model_fields.values()
        if f.validation_alias
    }
    known.add(SERVICES[service].database_url_variable)
    (container,) = containers(deployment(production, service))
    for name in env_of(container):
        if name.startswith("OTEL_") or name == "NOTIFY_API_KEY":  # the SDK's; a Secret example
            continue
        assert name in known, f"{service}: {name} is not a setting of {settings_class.__name__}"


def test_secrets_come_from_secrets_and_never_appear_in_values(production: Rendered) -> None:
    assert not production.kind("Secret")
    text = json.dumps(production.objects)
    assert not re.search(r"postgres(ql)?://", text)
    assert "development-only-family-link-key" not in text
    for owner in production.kind("Deployment") + production.kind("Job"):
        for container in containers(owner):
            for name, var in env_of(container).items():
                if re.search(r"DATABASE_URL|PASSWORD|KEY$|SECRET|TOKEN", name):
                    assert "value" not in var, f"{name} has a literal value"
                    assert var["valueFrom"]["secretKeyRef"]["name"]


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_migrations_job_sees_the_table_owners_url(default: Rendered, service: str) -> None:
    upper = service.upper()
    (app,) = containers(deployment(default, service))
    assert f"{upper}_MIGRATIONS_DATABASE_URL" not in env_of(app)
    job = default.one("Job", f"{FULLNAME}-{service}-migrations")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    (migrate,) = containers(job)
    assert migrate["command"] == ["python", "-m", "shared.migrations", service]
    env = env_of(migrate)
    owner = env[f"{upper}_MIGRATIONS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    app_role = env[f"{upper}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert (owner["name"], owner["key"]) == (f"send-{service}-database", "migrations-url")
    assert (app_role["name"], app_role["key"]) == (f"send-{service}-database", "url")
    assert set(env) == {f"{upper}_MIGRATIONS_DATABASE_URL", f"{upper}_DATABASE_URL"}


def test_family_link_key_reaches_only_the_services_that_make_or_check_links(
    default: Rendered,
) -> None:
    holders = {
        service
        for service in SERVICES
        if "FAMILY_LINK_KEY" in env_of(containers(deployment(default, service))[0])
    }
    assert holders == {"referrals", "plans", "notifications"}


def test_the_topics_job_runs_only_without_strimzi_topics(
    default: Rendered, render: RenderFn
) -> None:
    assert not [j for j in default.kind("Job") if j["metadata"]["name"].endswith("-topics")]
    rendered = render(
        set={
            "strimzi.enabled": "false",
            "kafka.securityProtocol": "SASL_SSL",
            "kafka.credentials.topics.secretName": "admin",
            "kafka.credentials.topics.username": "admin",
            **{f"kafka.credentials.{s}.secretName": f"{s}-kafka" for s in SERVICES},
            **{f"kafka.credentials.{s}.username": s for s in SERVICES},
        }
    )
    job = rendered.one("Job", f"{FULLNAME}-topics")
    (container,) = containers(job)
    assert container["command"] == ["python", "-m", "shared.topics"]
    env = env_of(container)
    assert env["KAFKA_REPLICATION_FACTOR"]["value"] == "3"
    assert env["KAFKA_SASL_USERNAME"]["value"] == "admin"
    assert not rendered.kind("KafkaTopic")
    assert not rendered.kind("KafkaUser")


# --- Kafka: topics and rights derived from the code --------------------------------------


@pytest.mark.parametrize("namespace", ["", "staging."])
def test_every_topic_the_code_declares_has_a_kafka_topic(render: RenderFn, namespace: str) -> None:
    rendered = render(set={"kafka.namespace": namespace})
    topics = {t["spec"]["topicName"]: t for t in rendered.kind("KafkaTopic")}
    assert set(topics) == {f"{namespace}{t}" for t in platform_topics()}
    assert any(t.endswith(".dlq") for t in topics)
    for topic in topics.values():
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["partitions"] == 6
        assert topic["spec"]["config"]["min.insync.replicas"] == "2"
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "send-kafka"


@pytest.mark.parametrize("namespace", ["", "staging."])
@pytest.mark.parametrize("service", SERVICES)
def test_each_services_kafka_user_has_exactly_the_rights_its_asyncapi_declares(
    render: RenderFn, namespace: str, service: str
) -> None:
    rendered = render(set={"kafka.namespace": namespace})
    user = rendered.one("KafkaUser", f"{FULLNAME}-{service}")
    declared = asyncapi(service)
    groups = consumer_groups(service)  # as the service's broker names them
    assert set(groups) == declared["receive"]
    expected = {("cluster", "", "literal", "IdempotentWrite")}
    for topic in declared["receive"]:
        expected |= {("topic", f"{namespace}{topic}", "literal", op) for op in ("Read", "Describe")}
        expected.add(("group", f"{namespace}{groups[topic]}", "literal", "Read"))
    for topic in declared["send"]:
        expected |= {
            ("topic", f"{namespace}{topic}", "literal", op) for op in ("Write", "Describe")
        }
    assert acls(user) == expected
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"


def test_each_service_connects_as_its_own_kafka_user(production: Rendered) -> None:
    for service in SERVICES:
        (container,) = containers(deployment(production, service))
        env = env_of(container)
        assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SSL"
        volumes = {v["name"]: v for v in production.one("Deployment", f"{FULLNAME}-{service}")[
            "spec"]["template"]["spec"]["volumes"]}  # fmt: skip
        assert volumes["kafka-user"]["secret"]["secretName"] == f"{FULLNAME}-{service}"
        assert env["KAFKA_SSL_CERTFILE"]["value"].startswith("/etc/send/kafka-user/")
        user = production.one("KafkaUser", f"{FULLNAME}-{service}")
        assert user["spec"]["authentication"]["type"] == "tls"


def test_nhs_partners_write_the_inbound_topic_and_read_outcomes_only(production: Rendered) -> None:
    for partner in ("leeds-community-paediatrics", "west-yorkshire-slt"):
        user = production.one("KafkaUser", f"{FULLNAME}-partner-{partner}")
        assert acls(user) == {
            ("topic", "nhs.referrals.inbound.v1", "literal", "Write"),
            ("topic", "nhs.referrals.inbound.v1", "literal", "Describe"),
            ("topic", "nhs.referrals.outcome.v1", "literal", "Read"),
            ("topic", "nhs.referrals.outcome.v1", "literal", "Describe"),
            ("group", f"{partner}.", "prefix", "Read"),
            ("cluster", "", "literal", "IdempotentWrite"),
        }


@pytest.mark.parametrize("namespace", ["", "staging."])
def test_the_dlq_replay_user_reads_dead_letters_and_writes_events_back(
    render: RenderFn, namespace: str
) -> None:
    user = render(set={"kafka.namespace": namespace}).one("KafkaUser", f"{FULLNAME}-dlq-replay")
    topics = platform_topics()
    expected = {
        ("cluster", "", "literal", "IdempotentWrite"),
        ("group", f"{namespace}dlq-replay.", "prefix", "Read"),
    }
    for topic in topics:
        ops = ("Read", "Describe") if topic.endswith(".dlq") else ("Write", "Describe")
        expected |= {("topic", f"{namespace}{topic}", "literal", op) for op in ops}
    assert acls(user) == expected
    # ... which are the topic and group the replay command uses in that namespace.
    granted = acls(user)
    group_prefixes = [
        name for kind, name, pattern, _ in granted if (kind, pattern) == ("group", "prefix")
    ]
    settings = KafkaSettings(SEND_NAMESPACE=namespace)
    for topic in (t for t in topics if t.endswith(".dlq")):
        dlq, group = replay_names(settings, topic)
        assert ("topic", dlq, "literal", "Read") in granted
        assert any(group.startswith(prefix) for prefix in group_prefixes), group


# --- network, ingress, monitoring -------------------------------------------------------


def _policy_for(rendered: Rendered, service: str) -> Obj:
    return rendered.one("NetworkPolicy", f"{FULLNAME}-{service}")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reaches_only_what_it_needs(production: Rendered, service: str) -> None:
    policy = _policy_for(production, service)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    labels = deployment(production, service)["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    egress = policy["spec"]["egress"]
    ports = sorted({p["port"] for rule in egress for p in rule["ports"]})
    expected = [53, 443, 4318, 5432, 9093]
    assert ports == expected
    for rule in egress + policy["spec"]["ingress"]:
        assert rule.get("to", rule.get("from")), "an empty peer list allows everything"
    database = [r for r in egress if r["ports"][0]["port"] == 5432]
    assert database == [
        {"to": [{"ipBlock": {"cidr": f"10.40.1.{10 + list(SERVICES).index(service)}/32"}}],
         "ports": [{"protocol": "TCP", "port": 5432}]}
    ]  # fmt: skip
    https = [r for r in egress if r["ports"][0]["port"] == 443]
    # the identity provider; notifications also the message providers
    assert len(https) == (2 if service == "notifications" else 1)


def test_ingress_exposes_the_public_api_only(production: Rendered) -> None:
    paths = {
        p["path"]
        for ingress in production.kind("Ingress")
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert paths == {"/v1"}  # never /metrics, /health or the docs


def test_alerts_and_dashboard_name_only_metrics_the_code_exports(default: Rendered) -> None:
    used: set[str] = set()
    for rule in default.one("PrometheusRule", FULLNAME)["spec"]["groups"]:
        for r in rule["rules"]:
            used |= set(re.findall(r"\bsend_[a-z_]+", r["expr"]))
    dashboard = default.one("ConfigMap", f"{FULLNAME}-dashboard")
    used |= set(re.findall(r"\bsend_[a-z_]+", dashboard["data"]["send-platform.json"]))
    exported = _exported_metric_names()
    for name in used:
        base = re.sub(r"_(total|bucket|count|sum)$", "", name)
        assert base in exported, f"{name} is not a metric the services export"
    assert {"send_outbox_oldest_unpublished_age_seconds", "send_consumer_lag"} <= used
    assert any(n.startswith("send_dead_lettered") for n in used)


def _exported_metric_names() -> set[str]:
    """send_ metric names defined in the code, and FastStream's under our prefix."""
    names: set[str] = set()
    for path in (REPO_ROOT / "shared").glob("*.py"):
        names |= set(re.findall(r'"(send_[a-z_]+)"', path.read_text()))
    import faststream.prometheus.container as container

    source = Path(container.__file__).read_text()
    names |= {f"send_faststream_{n}" for n in re.findall(r'\{metrics_prefix\}_([a-z_]+)"', source)}
    names |= {"send_process_resident_memory_bytes", "send_process_cpu_seconds"}
    return {re.sub(r"_(total)$", "", n) for n in names}


def test_service_monitor_scrapes_every_service(default: Rendered) -> None:
    monitor = default.one("ServiceMonitor", FULLNAME)
    (components,) = [
        e["values"]
        for e in monitor["spec"]["selector"]["matchExpressions"]
        if e["key"] == "app.kubernetes.io/component"
    ]
    assert sorted(components) == sorted(SERVICES)
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    for service in SERVICES:
        svc = default.one("Service", f"{FULLNAME}-{service}")
        assert svc["spec"]["ports"][0]["name"] == monitor["spec"]["endpoints"][0]["port"]


def test_keda_scales_on_each_consumer_groups_lag(render: RenderFn) -> None:
    rendered = render(set={"keda.enabled": "true", "kafka.namespace": "staging."})
    for service in SERVICES:
        scaled = rendered.one("ScaledObject", f"{FULLNAME}-{service}")
        kafka: list[dict[str, Any]] = [
            t for t in scaled["spec"]["triggers"] if t["type"] == "kafka"
        ]
        groups = consumer_groups(service)
        assert {(t["metadata"]["topic"], t["metadata"]["consumerGroup"]) for t in kafka} == {
            (f"staging.{topic}", f"staging.{group}") for topic, group in groups.items()
        }
        assert all(t["metadata"]["sasl"] == "scram_sha512" for t in kafka)
