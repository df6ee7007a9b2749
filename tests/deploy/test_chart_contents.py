"""What the rendered chart says, read object by object: every service is probed, limited and
locked down; the Kafka topics and each user's rights are exactly what the code declares (its
AsyncAPI documents and consumer groups, never a list kept by hand); no secret is in any object.
The workspace (web) is a service like the others without Kafka (EVENT_SERVICES are the rest)."""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import unquote

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase
from referrals.documents.content import MAX_DOCUMENT_BYTES
from starlette.routing import Route
from web.app import ROUTERS, STATIC_PATH

from scripts.asyncapi import DOCS, SETTINGS_CLASSES
from scripts.k8s_topology import consumer_groups, topology
from shared.dlq import replay_names
from shared.lifecycle import STOP_STEPS_S
from shared.outbox import OutboxRelay
from shared.services import EVENT_SERVICES, SERVICES
from shared.settings import KafkaSettings
from shared.state import app_state
from shared.topics import PARTNER_EVENTS, platform_topics
from tests.deploy.conftest import NAMESPACE, RELEASE, Obj, Rendered, RenderFn, containers, env_of
from tests.deploy.pod_environment import service_environment
from tests.logging_state import restored_logging

FULLNAME = f"{RELEASE}-send-platform"


def deployment(rendered: Rendered, service: str) -> Obj:
    return rendered.one("Deployment", f"{FULLNAME}-{service}")


def asyncapi(service: str) -> dict[str, set[str]]:
    """Topics by action (receive, send), read from the committed AsyncAPI document."""
    spec = json.loads((DOCS / f"{service}.json").read_text())
    found: dict[str, set[str]] = {"receive": set(), "send": set()}
    for op in spec["operations"].values():
        channel = spec["channels"][unquote(op["channel"]["$ref"].split("/")[-1])]
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
    # preStop, then uvicorn's drain, then each bounded step of the service's own stopping
    # (workers, Kafka with the consumers' in-flight events, the pool), before the SIGKILL.
    stopping = sum(STOP_STEPS_S.values())
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + drain + stopping
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
        # The SDK's; a Secret example; the egress proxy, read by the HTTP clients themselves
        if name.startswith("OTEL_") or name in {"NOTIFY_API_KEY", "HTTPS_PROXY", "NO_PROXY"}:
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
                if re.search(r"DATABASE_URL|PASSWORD|KEYS?$|SECRET|TOKEN", name):
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
            "partnerCouncils.west-yorkshire-slt[0]": "E08000035",
        }
    )
    job = rendered.one("Job", f"{FULLNAME}-topics")
    (container,) = containers(job)
    assert container["command"] == ["python", "-m", "shared.topics"]
    env = env_of(container)
    assert env["KAFKA_REPLICATION_FACTOR"]["value"] == "3"
    # The partners, whose own outcome topics it makes too (nhs.referrals.outcome.<partner>.v1).
    assert json.loads(env["PARTNER_COUNCILS"]["value"]) == {"west-yorkshire-slt": ["E08000035"]}
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
@pytest.mark.parametrize("service", EVENT_SERVICES)
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
    for topic in declared["send"] - PARTNER_PATTERNS:  # the default values name no partner
        expected |= {
            ("topic", f"{namespace}{topic}", "literal", op) for op in ("Write", "Describe")
        }
    if service == "referrals":  # its overload gate reads the pipeline's lag (no more)
        expected |= {("group", f"{namespace}{s}.", "prefix", "Describe") for s in EVENT_SERVICES}
        expected |= {
            ("topic", f"{namespace}{t}", "literal", "Describe") for t in topology()["eventTopics"]
        }
    assert acls(user) == expected
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"


PARTNER_PATTERNS = {event.topic() for event in PARTNER_EVENTS}
"""The patterns of the NHS partners' own topics (``nhs.referrals.outcome.{partner}.v1``)."""


def test_each_service_connects_as_its_own_kafka_user(production: Rendered) -> None:
    for service in EVENT_SERVICES:
        (container,) = containers(deployment(production, service))
        env = env_of(container)
        assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SSL"
        volumes = {v["name"]: v for v in production.one("Deployment", f"{FULLNAME}-{service}")[
            "spec"]["template"]["spec"]["volumes"]}  # fmt: skip
        assert volumes["kafka-user"]["secret"]["secretName"] == f"{FULLNAME}-{service}"
        assert env["KAFKA_SSL_CERTFILE"]["value"].startswith("/etc/send/kafka-user/")
        user = production.one("KafkaUser", f"{FULLNAME}-{service}")
        assert user["spec"]["authentication"]["type"] == "tls"
    users = {u["metadata"]["name"] for u in production.kind("KafkaUser")}
    assert f"{FULLNAME}-web" not in users


def test_the_workspace_has_no_kafka_settings_credentials_or_user(production: Rendered) -> None:
    web = deployment(production, "web")
    (container,) = containers(web)
    assert not [n for n in env_of(container) if n.startswith("KAFKA_")]
    assert "SEND_NAMESPACE" not in env_of(container)
    assert {v["name"] for v in web["spec"]["template"]["spec"]["volumes"]} == {"tmp"}
    assert {m["name"] for m in container["volumeMounts"]} == {"tmp"}


PARTNER_TOPICS = {
    "leeds-community-paediatrics": "nhs.referrals.inbound.leeds-community-paediatrics.v1",
    "west-yorkshire-slt": "nhs.referrals.inbound.west-yorkshire-slt.v1",
}
"""The production values' NHS partners and the inbound topic of each one's own."""


OUTCOME_TOPICS = {p: f"nhs.referrals.outcome.{p}.v1" for p in PARTNER_TOPICS}
"""Each production partner's own outcome topic: the documented naming."""
ADVICE_TOPICS = {p: f"nhs.advice.requested.{p}.v1" for p in PARTNER_TOPICS}
"""Each production partner's own topic of advice asked of it (Reg 6(1)(c), #23)."""


def test_nhs_partners_write_their_own_inbound_topic_and_read_their_own_outcomes_only(
    production: Rendered,
) -> None:
    for partner, topic in PARTNER_TOPICS.items():
        user = production.one("KafkaUser", f"{FULLNAME}-partner-{partner}")
        outcome = OUTCOME_TOPICS[partner]
        assert acls(user) == {
            ("topic", topic, "literal", "Write"),
            ("topic", topic, "literal", "Describe"),
            ("topic", outcome, "literal", "Read"),
            ("topic", outcome, "literal", "Describe"),
            ("topic", ADVICE_TOPICS[partner], "literal", "Read"),
            ("topic", ADVICE_TOPICS[partner], "literal", "Describe"),
            ("group", f"{partner}.", "prefix", "Read"),
            ("cluster", "", "literal", "IdempotentWrite"),
        }
    readers = [
        u["metadata"]["name"]
        for u in production.kind("KafkaUser")
        for right in acls(u)
        if right[1] == OUTCOME_TOPICS["west-yorkshire-slt"] and right[3] == "Read"
    ]
    assert readers == [f"{FULLNAME}-partner-west-yorkshire-slt"]  # no other partner, no service
    advice_readers = [
        u["metadata"]["name"]
        for u in production.kind("KafkaUser")
        for right in acls(u)
        if right[1] == ADVICE_TOPICS["west-yorkshire-slt"] and right[3] == "Read"
    ]
    assert advice_readers == [f"{FULLNAME}-partner-west-yorkshire-slt"]


def test_referrals_alone_writes_each_partners_outcome_topic_which_the_chart_makes(
    production: Rendered,
) -> None:
    topics = {t["spec"]["topicName"] for t in production.kind("KafkaTopic")}
    assert set(OUTCOME_TOPICS.values()) <= topics
    assert "nhs.referrals.outcome.v1" not in topics  # no topic every partner reads
    writers = {
        topic: {u["metadata"]["name"] for u in production.kind("KafkaUser")
                if ("topic", topic, "literal", "Write") in acls(u)}
        for topic in OUTCOME_TOPICS.values()
    }  # fmt: skip
    assert writers == {topic: {f"{FULLNAME}-referrals"} for topic in OUTCOME_TOPICS.values()}
    (referrals,) = [env_of(c) for c in containers(deployment(production, "referrals"))]
    assert json.loads(referrals["PARTNER_COUNCILS"]["value"]).keys() == OUTCOME_TOPICS.keys()


def test_a_partner_cannot_be_given_another_outcome_topic_nor_be_without_councils(
    render: RenderFn,
) -> None:
    with pytest.raises(AssertionError, match="outcomeTopic"):
        render(set={"strimzi.partners[0].name": "west-yorkshire-slt",
                    "strimzi.partners[0].outcomeTopic": "nhs.referrals.outcome.v1",
                    "partnerCouncils.west-yorkshire-slt[0]": "E08000035"})  # fmt: skip
    with pytest.raises(AssertionError, match="no partnerCouncils entry"):
        render(set={"strimzi.partners[0].name": "st-elsewhere"})


def test_a_partner_without_a_topic_of_its_own_writes_the_shared_one(render: RenderFn) -> None:
    leeds = "leeds-community-paediatrics"
    rendered = render(
        set={"strimzi.partners[0].name": leeds, f"partnerCouncils.{leeds}[0]": "E08000035"}
    )
    user = rendered.one("KafkaUser", f"{FULLNAME}-partner-leeds-community-paediatrics")
    assert ("topic", "nhs.referrals.inbound.v1", "literal", "Write") in acls(user)
    (container,) = containers(deployment(rendered, "referrals"))
    assert json.loads(env_of(container)["PARTNER_TOPICS"]["value"]) == {}


def test_partners_own_topics_exist_and_referrals_reads_them_knowing_whose_they_are(
    production: Rendered,
) -> None:
    topics = {t["spec"]["topicName"] for t in production.kind("KafkaTopic")}
    own = set(PARTNER_TOPICS.values()) | set(OUTCOME_TOPICS.values()) | set(ADVICE_TOPICS.values())
    assert topics == set(platform_topics()) | own
    referrals = acls(production.one("KafkaUser", f"{FULLNAME}-referrals"))
    replay = acls(production.one("KafkaUser", f"{FULLNAME}-dlq-replay"))
    for topic in PARTNER_TOPICS.values():
        assert {("topic", topic, "literal", op) for op in ("Read", "Describe")} <= referrals
        assert ("topic", topic, "literal", "Write") not in referrals
        assert ("topic", topic, "literal", "Write") in replay  # its dead letters go back there
    (container,) = containers(deployment(production, "referrals"))
    assert json.loads(env_of(container)["PARTNER_TOPICS"]["value"]) == PARTNER_TOPICS


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


def _pod_labels(rendered: Rendered, service: str) -> dict[str, str]:
    labels: dict[str, str] = deployment(rendered, service)["spec"]["template"]["metadata"]["labels"]
    return labels


def _admits(peer: Obj, labels: dict[str, str]) -> bool:
    """Whether a NetworkPolicy peer that selects pods of this namespace selects ``labels``."""
    selector = peer.get("podSelector", {}).get("matchLabels")
    return "namespaceSelector" not in peer and bool(selector) and selector.items() <= labels.items()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reaches_only_what_it_needs(production: Rendered, service: str) -> None:
    policy = _policy_for(production, service)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    labels = _pod_labels(production, service)
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    egress = policy["spec"]["egress"]
    ports = {p["port"] for rule in egress for p in rule["ports"]}
    # Kafka for the event services; the workspace reaches the services' APIs instead. The
    # internet (identity provider, Notify, the tracing backend) only through the egress proxy
    # (3128); the collector (4318), Redis (6379); notifications also its mail server (587).
    expected = {53, 3128, 4318, 5432, 6379} | ({9093} if service in EVENT_SERVICES else {"http"})
    assert ports == expected | ({587} if service == "notifications" else set())
    for rule in egress + policy["spec"]["ingress"]:
        assert rule.get("to", rule.get("from")), "an empty peer list allows everything"
    database = [r for r in egress if r["ports"][0]["port"] == 5432]
    assert database == [
        {"to": [{"ipBlock": {"cidr": "10.40.1.0/24"}}],  # the subnet: a failover moves it
         "ports": [{"protocol": "TCP", "port": 5432}]}
    ]  # fmt: skip


def test_the_workspace_and_the_services_reach_each_other_and_nothing_else_does(
    production: Rendered,
) -> None:
    """The workspace calls the four APIs for the person signed in: its egress reaches each
    service's pods, and each service admits the workspace's pods (only them, among pods of
    the namespace); the workspace itself admits no pod of the namespace."""
    web = _pod_labels(production, "web")
    reached = [
        rule for rule in _policy_for(production, "web")["spec"]["egress"]
        if rule["ports"] == [{"protocol": "TCP", "port": "http"}]
    ]  # fmt: skip
    for service in EVENT_SERVICES:
        labels = _pod_labels(production, service)
        assert [r for r in reached if any(_admits(peer, labels) for peer in r["to"])], service
        ingress = _policy_for(production, service)["spec"]["ingress"]
        admitted = [peer for rule in ingress for peer in rule["from"] if "podSelector" in peer]
        assert [peer for peer in admitted if _admits(peer, web)], service
        assert all(_admits(peer, web) for peer in admitted), service
    for rule in _policy_for(production, "web")["spec"]["ingress"]:
        assert all("podSelector" not in peer for peer in rule["from"])


def _ingress_paths(rendered: Rendered, service: str) -> dict[str, str]:
    ingress = rendered.one("Ingress", f"{FULLNAME}-{service}")
    return {p["path"]: p["pathType"] for rule in ingress["spec"]["rules"]
            for p in rule["http"]["paths"]}  # fmt: skip


def _routed(paths: dict[str, str], path: str) -> bool:
    """Whether an Ingress with ``paths`` (path -> pathType) sends ``path`` to the backend."""
    for prefix, kind in paths.items():
        if kind == "Exact" and path == prefix:
            return True
        if kind == "Prefix" and (path == prefix or path.startswith(prefix.rstrip("/") + "/")):
            return True
    return False


def test_ingress_exposes_the_public_api_only(production: Rendered) -> None:
    for service in EVENT_SERVICES:
        assert set(_ingress_paths(production, service)) == {"/v1"}  # never /metrics, /health


_SIZE = re.compile(r"^(\d+)([kmg]?)$")


def _body_limit(rendered: Rendered, service: str) -> int:
    """The nginx ingress's request body limit for ``service``, in bytes."""
    ingress = rendered.one("Ingress", f"{FULLNAME}-{service}")
    size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    match = _SIZE.match(size.lower())
    assert match, size
    return int(match[1]) * int(1024 ** " kmg".index(match[2] or " "))


def test_the_ingress_lets_a_whole_document_through_where_one_is_uploaded_and_nowhere_else(
    production: Rendered,
) -> None:
    """Documents of up to 20 MB are uploaded to referrals (SENCos, advisers, the public form's
    evidence) and through the workspace's forms: an ingress limit of 64k refused every one of
    them before the service could say why. The other services keep the small limit."""
    for service in ("referrals", "web"):
        assert _body_limit(production, service) > MAX_DOCUMENT_BYTES + 64 * 1024, service
    for service in ("plans", "specialists", "notifications"):
        assert _body_limit(production, service) == 64 * 1024, service


@pytest.mark.parametrize("which", ["default", "production"])
def test_the_workspaces_ingress_routes_every_page_and_never_health_or_metrics(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Read from the workspace's routes as its create_app builds them: a page added without
    its path in services.web.ingress would be unreachable behind the ingress."""
    paths = _ingress_paths(request.getfixturevalue(which), "web")
    pages = [
        route.path for router in ROUTERS for route in router.routes if isinstance(route, Route)
    ]
    assert "/family/{token}" in pages
    for path in [*pages, STATIC_PATH]:
        example = re.sub(r"\{[^}]+\}", "x", path)
        assert _routed(paths, example), f"{path} is not in services.web.ingress"
    for path in ("/health/live", "/health/ready", "/metrics", "/asyncapi", "/asyncapi.json"):
        assert not _routed(paths, path), f"{path} is reachable through the ingress"


def test_the_services_believe_the_workspace_passing_on_a_familys_address(
    production: Rendered,
) -> None:
    """On a family's page the workspace calls referrals and plans for the family, without a
    token: the services must read the family's address from its X-Forwarded-For, or every
    family would share the workspace's rate limit. The workspace itself trusts the ingress
    controller only."""
    for service in EVENT_SERVICES:
        (container,) = containers(deployment(production, service))
        proxies = env_of(container)["TRUSTED_PROXIES"]["value"].split(",")
        assert proxies == ["10.0.0.0/8", "10.42.0.0/16"], service
    (web,) = containers(deployment(production, "web"))
    assert env_of(web)["TRUSTED_PROXIES"]["value"] == "10.0.0.0/8"


def test_the_workspace_calls_the_charts_services_and_the_familys_links_open_it(
    production: Rendered,
) -> None:
    (web,) = containers(deployment(production, "web"))
    env = env_of(web)
    for service in EVENT_SERVICES:
        name = production.one("Service", f"{FULLNAME}-{service}")["metadata"]["name"]
        assert env[f"{service.upper()}_URL"]["value"] == f"http://{name}"
    public = env["PUBLIC_URL"]["value"]
    assert public == "https://send.westyorks.example.gov.uk"
    assert env["OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "send-web-oidc"
    assert env["SESSION_KEYS"]["valueFrom"]["secretKeyRef"]["name"] == "send-web-sessions"
    contacts = json.loads(env["COUNCIL_CONTACTS"]["value"])
    assert contacts["E08000035"]["name"] == "Leeds City Council"
    assert set(contacts) == {"E08000035", "E08000032"}
    (notifications,) = containers(deployment(production, "notifications"))
    assert env_of(notifications)["FAMILY_VIEW_URL"]["value"] == f"{public}/family/{{token}}"
    (referrals,) = containers(deployment(production, "referrals"))
    assert env_of(referrals)["FAMILY_PLAN_URL"]["value"] == f"{public}/family/{{token}}/plan"
    # A caseworker's link (in an NHS partner's answer, in the team's messages) opens the
    # workspace's page of the referral.
    caseworker_page = f"{public}/referrals/{{referral_id}}"
    assert env_of(referrals)["REFERRAL_LINK"]["value"] == caseworker_page
    assert env_of(notifications)["CASEWORKER_VIEW_URL"]["value"] == caseworker_page
    # A specialist team's message (a child allocated to it) opens a practitioner's caseload.
    assert env_of(notifications)["TEAM_CASELOAD_URL"]["value"] == f"{public}/practitioner"
    (plans,) = containers(deployment(production, "plans"))  # the PDF names the team too
    assert json.loads(env_of(plans)["COUNCIL_CONTACTS"]["value"]) == contacts


# Labels Prometheus gives every series of a ServiceMonitor's targets (Prometheus Operator).
TARGET_LABELS = frozenset(
    {"namespace", "service", "pod", "container", "endpoint", "job", "instance"}
)
# The series a metric of each type is scraped as (besides _created).
SERIES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
    "summary": ("", "_count", "_sum"),
    "info": ("_info",),
    "unknown": ("",),
}
SELECTOR = re.compile(r"\b(send_[a-z_]+)\s*(\{[^}]*\})?")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
BY = re.compile(r"\bby\s*\(([^)]*)\)\s*\(")


@functools.cache
def exported_series() -> dict[str, frozenset[str]]:
    """Every send_ series the four services' /metrics can show, with its label names: read
    from each app's registry (built by its create_app, as the service builds it; nothing is
    connected), plus the outbox relay's, which each service registers when it starts."""
    found: dict[str, set[str]] = {}
    with restored_logging():
        for service in SERVICES:
            config = importlib.import_module(f"{service}.config")
            settings = getattr(config, SETTINGS_CLASSES[service])()
            app = importlib.import_module(f"{service}.app").create_app(settings)
            registry: CollectorRegistry = app_state(app).operations.registry
            OutboxRelay(database_url="", pool=cast(Any, None), publish=_never, registry=registry)
            for collector in list(registry._collector_to_names):
                for name, kind, labels in _families(collector):
                    for suffix in SERIES[kind]:
                        extra = {"le"} if suffix == "_bucket" else set()
                        found.setdefault(name + suffix, set()).update(labels, extra)
    return {n: frozenset(labels) for n, labels in found.items() if n.startswith("send_")}


async def _never(*_: Any, **__: Any) -> None:
    raise AssertionError("not called")


def _families(collector: Any) -> Iterator[tuple[str, str, set[str]]]:
    """(name, type, label names) of each metric a collector gives, before any is observed."""
    if isinstance(collector, MetricWrapperBase):
        yield collector._name, str(collector._type), set(collector._labelnames)
        return
    described = list(collector.describe()) if hasattr(collector, "describe") else []
    for family in described or collector.collect():
        labels = set(getattr(family, "_labelnames", ()))
        labels.update(label for sample in family.samples for label in sample.labels)
        yield family.name, family.type, labels


def _parenthesised(text: str, opening: int) -> str:
    """The text between the parenthesis at ``opening`` and the one that closes it."""
    depth = 0
    for i in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[opening + 1 : i]
    raise AssertionError(f"unbalanced parentheses in {text!r}")


def _labels(names: str) -> set[str]:
    return {n.strip() for n in names.split(",") if n.strip()}


def promql_problems(expr: str) -> list[str]:
    """What in ``expr`` names a send_ series or a label of it that no service exports:
    every selector's series and matchers, and every ``by (...)`` against the series it
    aggregates (up and kube-state-metrics' series are not ours: not checked)."""
    exported = exported_series()
    problems = []
    for match in SELECTOR.finditer(expr):
        name, matchers = match.group(1), match.group(2) or ""
        if name not in exported:
            problems.append(f"{name} is not a series the services export")
            continue
        for label in set(MATCHER.findall(matchers)) - exported[name] - TARGET_LABELS:
            problems.append(f"{name} has no label {label}")
    for match in BY.finditer(expr):
        inner = _parenthesised(expr, match.end() - 1)
        names = [n for n in SELECTOR.findall(inner) if n[0] in exported]
        if not names:
            continue
        have = set(TARGET_LABELS).union(*(exported[n] for n, _ in names))
        for label in _labels(match.group(1)) - have:
            problems.append(f"by ({label}) over {sorted(n for n, _ in names)}: no such label")
    return problems


def output_labels(expr: str) -> set[str]:
    """The labels ``expr``'s result can carry: those it aggregates by, and absent()'s
    equality matchers; without an aggregation, the series' own and the target's."""
    by = set().union(*(_labels(m) for m in BY.findall(expr)))
    absent = re.findall(r"absent\(\w+\{([^}]*)\}", expr)
    by |= {label for matchers in absent for label in re.findall(r"(\w+)\s*=(?!~)", matchers)}
    if by:
        return by
    exported = exported_series()
    return set(TARGET_LABELS).union(*(exported.get(n, set()) for n, _ in SELECTOR.findall(expr)))


@pytest.mark.parametrize("which", ["default", "everything"])
def test_alerts_and_dashboard_name_only_metrics_and_labels_the_code_exports(
    which: str, request: pytest.FixtureRequest
) -> None:
    rendered: Rendered = request.getfixturevalue(which)
    problems: list[str] = []
    alerts = {}
    for group in rendered.one("PrometheusRule", FULLNAME)["spec"]["groups"]:
        for rule in group["rules"]:
            alerts[rule["alert"]] = rule["expr"]
            problems += [f"{rule['alert']}: {p}" for p in promql_problems(rule["expr"])]
            said = re.findall(r"\$labels\.(\w+)", json.dumps(rule.get("annotations", {})))
            for label in set(said) - output_labels(rule["expr"]):
                problems.append(f"{rule['alert']}: its annotations name {label}, not in its result")
    dashboard = json.loads(
        rendered.one("ConfigMap", f"{FULLNAME}-dashboard")["data"]["send-platform.json"]
    )
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            exprs.append(target["expr"])
            problems += [f"{panel['title']}: {p}" for p in promql_problems(target["expr"])]
            legend = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
            for label in legend - output_labels(target["expr"]):
                problems.append(f"{panel['title']}: its legend names {label}, not in its result")
    assert not problems, "\n".join(problems)
    used = set(SELECTOR.findall(" ".join([*alerts.values(), *exprs])))
    assert {"send_outbox_oldest_unpublished_age_seconds", "send_consumer_lag",
            "send_event_age_seconds_bucket", "send_specialists_wait_seconds_bucket",
            "send_specialists_no_team_total", "send_dead_lettered_total",
            "send_statutory_deadlines_missed_total"} <= {n for n, _ in used}  # fmt: skip
    assert {"SendStatutoryDeadlineMissed", "SendSpecialistWaitOverTarget", "SendNoTeamForRole",
            "SendServiceNotReady", "SendServiceUnavailable"} <= set(alerts)  # fmt: skip


def test_the_metrics_check_finds_a_wrong_series_and_a_wrong_label() -> None:
    assert (
        promql_problems('sum by (topic) (rate(send_events_consumed_total{outcome="x"}[5m]))') == []
    )
    assert promql_problems("send_events_consumed{}") == [
        "send_events_consumed is not a series the services export"  # a counter: _total
    ]
    assert promql_problems('send_consumer_lag{council="E08000035"}') == [
        "send_consumer_lag has no label council"
    ]
    assert promql_problems("sum by (role) (send_outbox_backlog)") == [
        "by (role) over ['send_outbox_backlog']: no such label"
    ]


def _alerts(rendered: Rendered) -> dict[str, Obj]:
    groups = rendered.one("PrometheusRule", FULLNAME)["spec"]["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_service_not_ready_fires_for_a_service_with_no_target_left(default: Rendered) -> None:
    expr = _alerts(default)["SendServiceNotReady"]["expr"]
    for service in SERVICES:  # scaled to 0: no up series at all, so == 0 cannot fire
        name = default.one("Service", f"{FULLNAME}-{service}")["metadata"]["name"]
        # job: the Service's name, its Deployment's (processes apart: test_processes.py)
        absent = f'absent(up{{namespace="{NAMESPACE}", service="{name}", job="{name}"}})'
        assert absent in expr


def test_the_specialists_alerts_take_their_thresholds_from_values(render: RenderFn) -> None:
    alerts = _alerts(
        render(
            set={
                "metrics.prometheusRule.specialistWaitTargetDays": "28",
                "metrics.prometheusRule.specialistWaitWindow": "14d",
                "metrics.prometheusRule.noTeamWindow": "7d",
            }
        )
    )
    wait = alerts["SendSpecialistWaitOverTarget"]["expr"]
    assert wait.startswith("histogram_quantile(0.9, ")
    assert wait.endswith("[14d]))) > 28 * 86400")
    no_team = alerts["SendNoTeamForRole"]["expr"]
    assert "increase(send_specialists_no_team_total{" in no_team
    assert "[7d]) or (" in no_team  # the window's increase, or a series new in the window
    assert no_team.endswith(" offset 7d)) > 0")


def test_a_family_link_revocation_not_taken_within_a_minute_is_critical(
    default: Rendered,
) -> None:
    rule = _alerts(default)["SendFamilyLinkRevocationsBehind"]
    assert (rule["for"], rule["labels"]["severity"]) == ("1m", "critical")
    assert 'topic=~".*referrals[.]family-links-revoked[.]v1"' in rule["expr"]
    assert rule["expr"].endswith(") > 0")


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
    # The workspace consumes nothing: its HPA scales it on CPU.
    assert not [o for o in rendered.kind("ScaledObject") if o["metadata"]["name"].endswith("-web")]
    hpa = rendered.one("HorizontalPodAutoscaler", f"{FULLNAME}-web")
    assert hpa["spec"]["scaleTargetRef"]["name"] == f"{FULLNAME}-web"
    for service in EVENT_SERVICES:
        scaled = rendered.one("ScaledObject", f"{FULLNAME}-{service}")
        kafka: list[dict[str, Any]] = [
            t for t in scaled["spec"]["triggers"] if t["type"] == "kafka"
        ]
        groups = consumer_groups(service)
        assert {(t["metadata"]["topic"], t["metadata"]["consumerGroup"]) for t in kafka} == {
            (f"staging.{topic}", f"staging.{group}") for topic, group in groups.items()
        }
        assert all(t["metadata"]["sasl"] == "scram_sha512" for t in kafka)


# --- production mode ---------------------------------------------------------------------


def production_refusals(
    rendered: Rendered, service: str, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """What ``service`` refuses to start with, its settings built from ``rendered``'s
    environment for it and nothing else (so production, as the chart sets no
    SEND_ENVIRONMENT)."""
    from pydantic import ValidationError

    from shared.environment import UnsafeOutsideDevelopment

    config = importlib.import_module(f"{service}.config")
    settings_class = getattr(config, SETTINGS_CLASSES[service])
    with monkeypatch.context() as patched:
        patched.delenv("SEND_ENVIRONMENT", raising=False)
        for name, value in service_environment(rendered, service).items():
            patched.setenv(name, value)
        try:
            built = settings_class()
        except ValidationError as error:
            found: list[str] = []
            for problem in error.errors():
                unsafe = problem.get("ctx", {}).get("error")
                assert isinstance(unsafe, UnsafeOutsideDevelopment), problem
                found += unsafe.problems
            return found
    assert built.send_environment == "production"
    return []


def deployed(rendered: Rendered) -> list[str]:
    """The services ``rendered`` runs (a Deployment each)."""
    names = {d["metadata"]["name"] for d in rendered.kind("Deployment")}
    found = [s for s in SERVICES if f"{FULLNAME}-{s}" in names]
    assert set(EVENT_SERVICES) <= set(found)
    return found


def test_the_production_example_renders_settings_each_service_starts_with(
    production: Rendered, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals = {s: production_refusals(production, s, monkeypatch) for s in deployed(production)}
    assert refusals == {s: [] for s in refusals}


def test_the_default_values_lack_only_the_councils_a_release_must_name(
    default: Rendered, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart's own defaults are production's (HTTPS, Secrets), except that they name no
    council: referrals, plans and the workspace refuse to start until ``councils`` does (and
    referrals until ``councilNotices`` gives their details for its letters)."""
    refusals = {s: production_refusals(default, s, monkeypatch) for s in deployed(default)}
    assert refusals == {
        **{s: [] for s in refusals},
        "referrals": [
            "COUNCIL_NOTICES is left at its development default",
            "COUNCILS is left at its development default",
        ],
        "plans": ["COUNCIL_CONTACTS is left at its development default"],
        "web": ["COUNCIL_CONTACTS is left at its development default"],
    }


def test_the_chart_never_runs_development_mode(
    default: Rendered, production: Rendered, everything: Rendered
) -> None:
    for rendered in (default, production, everything):
        for owner in rendered.kind("Deployment") + rendered.kind("Job"):
            for container in containers(owner):
                assert "SEND_ENVIRONMENT" not in env_of(container), owner["metadata"]["name"]
