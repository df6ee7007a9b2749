"""The chart lints, renders, and every object it renders is valid for its schema, strictly: a
field the type does not know fails (kubecheck for Kubernetes and Prometheus Operator objects,
crdcheck for Strimzi and KEDA ones). The Dockerfile passes hadolint."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.platform import REPO_ROOT
from tests.deploy.conftest import CHART, PRODUCTION_VALUES, Rendered, Tools, run


@pytest.mark.parametrize("values", [[], [PRODUCTION_VALUES]], ids=["default", "production"])
def test_helm_lint_passes_strictly(tools: Tools, values: list[Path]) -> None:
    args = [tools.helm, "lint", "--strict", str(CHART), "--kube-version", tools.kube_version]
    for file in values:
        args += ["--values", str(file)]
    lint = run(args)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 chart(s) failed" in lint.stdout


def _all_valid(tools: Tools, rendered: Rendered) -> None:
    assert rendered.kubecheck.returncode == 0, rendered.kubecheck.stdout
    assert "0 failed" in rendered.kubecheck.stdout
    crds = run(["node", tools.crdcheck, str(rendered.path)])
    assert crds.returncode == 0, crds.stdout + crds.stderr
    external = sum(
        1
        for o in rendered.objects
        if o["apiVersion"].split("/")[0] in {"kafka.strimzi.io", "keda.sh"}
    )
    assert f"crdcheck: {external} valid, 0 failed" in crds.stdout


def test_every_default_object_is_valid(tools: Tools, default: Rendered) -> None:
    _all_valid(tools, default)
    assert {o["kind"] for o in default.objects} >= {
        "Deployment", "Service", "ServiceAccount", "PodDisruptionBudget",
        "HorizontalPodAutoscaler", "NetworkPolicy", "Job", "Ingress", "KafkaTopic",
        "KafkaUser", "ServiceMonitor", "PrometheusRule", "ConfigMap",
    }  # fmt: skip


def test_every_production_object_is_valid(tools: Tools, production: Rendered) -> None:
    _all_valid(tools, production)
    assert {o["apiVersion"] for o in production.kind("KafkaUser")} == {"kafka.strimzi.io/v1"}
    assert production.kind("ScaledObject")


def test_every_object_with_every_option_on_is_valid(tools: Tools, everything: Rendered) -> None:
    _all_valid(tools, everything)
    kinds = {o["kind"] for o in everything.objects}
    assert {"ScaledObject", "TriggerAuthentication"} <= kinds
    # KEDA's ScaledObject makes its own for the event services; the workspace keeps its HPA
    hpas = {o["metadata"]["name"] for o in everything.kind("HorizontalPodAutoscaler")}
    assert hpas == {"send-send-platform-web"}
    assert not everything.kind("KafkaTopic")  # the topics Job instead


def test_kubecheck_refuses_a_misspelt_field(
    tools: Tools, default: Rendered, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(default.text.replace("readinessProbe:", "readinesProbe:", 1))
    checked = run([tools.kubecheck, "-q", "--external", "kafka.strimzi.io,keda.sh", str(broken)])
    assert checked.returncode == 1
    assert 'unknown field "readinesProbe"' in checked.stdout


def test_kubecheck_refuses_an_alert_whose_expression_is_not_promql(
    tools: Tools, production: Rendered, tmp_path: Path
) -> None:
    assert "increase(send_outbox_publish_failures_total" in production.text
    broken = tmp_path / "broken.yaml"
    broken.write_text(production.text.replace("increase(send_outbox", "increse(send_outbox"))
    checked = run([tools.kubecheck, "-q", "--external", "kafka.strimzi.io,keda.sh", str(broken)])
    assert checked.returncode == 1
    assert "PromQL" in checked.stdout
    assert 'unknown function with name "increse"' in checked.stdout


def test_crdcheck_refuses_an_unknown_field_and_a_bad_enum(
    tools: Tools, default: Rendered, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    text = default.text.replace("operations: [Describe, Read]", "operatons: [Describe, Read]", 1)
    text = text.replace("type: simple", "type: open", 1)
    broken.write_text(text)
    checked = run(["node", tools.crdcheck, str(broken)])
    assert checked.returncode == 1
    assert "operatons is not a field of KafkaUser" in checked.stdout
    assert "/spec/authorization/type must be equal to one of the allowed values" in checked.stdout


def test_an_unknown_value_is_refused_by_the_values_schema(tools: Tools) -> None:
    args = [tools.helm, "template", "x", str(CHART), "--kube-version", tools.kube_version]
    typo = run([*args, "--set", "services.referrals.replica=3"])
    assert typo.returncode == 1
    assert "additional properties 'replica' not allowed" in typo.stderr
    bad_protocol = run([*args, "--set", "kafka.securityProtocol=TLS"])
    assert bad_protocol.returncode == 1


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"kafka.securityProtocol": "SSL"}, "set strimzi.users.authentication to tls"),
        ({"kafka.minInsyncReplicas": "4"}, "cannot exceed kafka.replicationFactor"),
        ({"networkPolicy.databases.peers.plans": "null"}, "an empty list would allow every"),
        ({"strimzi.topics.enabled": "false"}, "kafka.credentials.topics.secretName"),
        ({"otelCollector.enabled": "true"}, "otelCollector.exporterEndpoint"),
        ({"env.SEND_ENVIRONMENT": "development"}, "env.SEND_ENVIRONMENT: the chart runs"),
        (
            {"services.plans.env.SEND_ENVIRONMENT": "development"},
            "services.plans.env.SEND_ENVIRONMENT: the chart runs the services in production",
        ),
    ],
)
def test_contradictory_settings_fail_saying_why(
    tools: Tools, setting: dict[str, str], message: str
) -> None:
    args = [tools.helm, "template", "x", str(CHART), "--kube-version", tools.kube_version]
    for key, value in setting.items():
        args += ["--set", f"{key}={value}"]
    failed = run(args)
    assert failed.returncode == 1
    assert message in failed.stderr


def test_partners_may_only_be_given_councils_the_installation_serves(tools: Tools) -> None:
    args = [tools.helm, "template", "x", str(CHART), "--kube-version", tools.kube_version]
    args += ["--values", str(PRODUCTION_VALUES), "--set", "partnerCouncils.other[0]=E08000036"]
    failed = run(args)
    assert failed.returncode == 1
    assert "partnerCouncils.other names E08000036, which is not in councils" in failed.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "strimzi.partners[2].name=st-elsewhere,"
            "strimzi.partners[2].inboundTopic=nhs.referrals.inbound.st-elsewhere.v1",
            "st-elsewhere has no partnerCouncils entry",
        ),
        (
            "strimzi.partners[1].inboundTopic=nhs.referrals.inbound.leeds-community-paediatrics.v1",
            "is the inboundTopic of two partners",
        ),
    ],
)
def test_a_partners_own_topic_must_be_its_alone_and_the_partner_known(
    tools: Tools, setting: str, message: str
) -> None:
    args = [tools.helm, "template", "x", str(CHART), "--kube-version", tools.kube_version]
    args += ["--values", str(PRODUCTION_VALUES), "--set", setting]
    failed = run(args)
    assert failed.returncode == 1
    assert message in failed.stderr


def test_dockerfile_passes_hadolint(tools: Tools) -> None:
    linted = run([tools.hadolint, str(REPO_ROOT / "Dockerfile")])
    assert linted.returncode == 0, linted.stdout + linted.stderr
