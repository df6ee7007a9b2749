"""The Helm chart rendered by the real helm, each object decoded strictly by kubecheck.

The tools come from deploy/tools/install.sh (pinned; cached in ~/.cache/send-platform/tools,
built there the first time)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scripts.platform import REPO_ROOT

CHART = REPO_ROOT / "deploy" / "helm" / "send-platform"
PRODUCTION_VALUES = REPO_ROOT / "deploy" / "helm" / "production-values.yaml"
RELEASE = "send"
NAMESPACE = "send"

Obj = dict[str, Any]

# Every optional part on: KEDA, the collector (its backend by address), every alert, the
# topics Job (Strimzi topics off), SCRAM over TLS, a Kafka namespace, an NHS partner, Redis
# for the rate limits, a Gateway API route, OpenShift's DNS port, an extra egress rule, and
# the scheduling and identity escape hatches.
EVERYTHING = {
    "networkPolicy.otlpBackend.peers[0].ipBlock.cidr": "203.0.113.0/24",
    "rateLimit.storage": "redis://send-redis:6379",
    "networkPolicy.redis.peers[0].podSelector.matchLabels.app\\.kubernetes\\.io/name": "redis",
    "gateway.enabled": "true",
    "gateway.parentRefs[0].name": "council-gateway",
    "gateway.parentRefs[0].namespace": "gateway-system",
    "networkPolicy.dns.ports[0]": "5353",
    "networkPolicy.extraEgress[0].to[0].ipBlock.cidr": "10.70.0.0/16",
    "networkPolicy.extraEgress[0].ports[0].port": "8443",
    "nodeSelector.kubernetes\\.io/os": "linux",
    "tolerations[0].key": "dedicated",
    "tolerations[0].operator": "Exists",
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    ".nodeSelectorTerms[0].matchExpressions[0].key": "kubernetes.io/arch",
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    ".nodeSelectorTerms[0].matchExpressions[0].operator": "In",
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    ".nodeSelectorTerms[0].matchExpressions[0].values[0]": "amd64",
    "priorityClassName": "send-critical",
    "podAnnotations.council": "west-yorkshire",
    "serviceAccount.annotations.azure\\.workload\\.identity/client-id": "workload-identity-id",
    "dlqReplay.topic": "plans.plan-drafted.v1.dlq",
    "keda.enabled": "true",
    "otelCollector.enabled": "true",
    "otelCollector.exporterEndpoint": "https://otlp.example.org",
    "metrics.prometheusRule.statutoryDeadlines.enabled": "true",
    "strimzi.topics.enabled": "false",
    "kafka.credentials.topics.secretName": "send-kafka-admin",
    "kafka.credentials.topics.username": "send-admin",
    "kafka.namespace": "staging.",
    "strimzi.partners[0].name": "leeds-community-paediatrics",
    "partnerCouncils.leeds-community-paediatrics[0]": "E08000035",
}


@dataclass(frozen=True)
class Tools:
    helm: str
    kubecheck: str
    crdcheck: str
    hadolint: str
    kube_version: str


@dataclass
class Rendered:
    """One `helm template` of the chart: its objects and what kubecheck said of them."""

    objects: list[Obj]
    text: str
    kubecheck: subprocess.CompletedProcess[str]
    path: Path
    by_kind: dict[str, list[Obj]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for obj in self.objects:
            self.by_kind.setdefault(obj["kind"], []).append(obj)

    def kind(self, kind: str) -> list[Obj]:
        return self.by_kind.get(kind, [])

    def one(self, kind: str, name: str) -> Obj:
        (found,) = [o for o in self.kind(kind) if o["metadata"]["name"] == name]
        return found


@pytest.fixture(scope="session")
def tools() -> Tools:
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "deploy" / "tools" / "install.sh"), "--paths"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"deploy/tools/install.sh failed:\n{done.stderr}"
    paths = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return Tools(
        helm=paths["HELM"],
        kubecheck=paths["KUBECHECK"],
        crdcheck=paths["CRDCHECK"],
        hadolint=paths["HADOLINT"],
        kube_version=paths["KUBE_VERSION"],
    )


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


RenderFn = Callable[..., Rendered]


@pytest.fixture(scope="session")
def render(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> RenderFn:
    """render(*values_files, set={"key": "value"}) -> Rendered; fails the test when helm does."""
    folder = tmp_path_factory.mktemp("rendered")
    count = 0

    def _render(*values: Path, set: dict[str, str] | None = None) -> Rendered:
        nonlocal count
        count += 1
        args = [tools.helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE]
        args += ["--kube-version", tools.kube_version]
        for file in values:
            args += ["--values", str(file)]
        for key, value in (set or {}).items():
            args += ["--set", f"{key}={value}"]
        helm = run(args)
        assert helm.returncode == 0, f"helm template failed: {helm.stderr}"
        path = folder / f"rendered-{count}.yaml"
        path.write_text(helm.stdout)
        as_json = folder / f"rendered-{count}.json"
        external = "kafka.strimzi.io,keda.sh"  # crdcheck's
        checked = run(
            [tools.kubecheck, "-q", "--external", external, "--json", str(as_json), str(path)]
        )
        objects = json.loads(as_json.read_text()) if as_json.exists() else []
        return Rendered(objects, helm.stdout, checked, path)

    return _render


@pytest.fixture(scope="session")
def default(render: RenderFn) -> Rendered:
    return render()


@pytest.fixture(scope="session")
def production(render: RenderFn) -> Rendered:
    return render(PRODUCTION_VALUES)


@pytest.fixture(scope="session")
def everything(render: RenderFn) -> Rendered:
    return render(set=EVERYTHING)


def containers(pod_owner: Obj) -> list[Obj]:
    spec: list[Obj] = pod_owner["spec"]["template"]["spec"]["containers"]
    return spec


def env_of(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env", [])}
