"""A service run as more than one Deployment (``services.<name>.processes``): each entry is
the service's pod again, running the parts it names (``PROCESS_PARTS``), and the service's
own Deployment runs the rest with the HTTP routes. The extra pods take no HTTP traffic, yet
are scraped, reach what the service's pods reach, are scaled and kept through disruptions."""

from __future__ import annotations

import copy
import json
import re

import pytest

from scripts.platform import PRODUCTION_SPLITS, Split
from shared.services import EVENT_SERVICES, SERVICES
from tests.deploy.conftest import CHART, NAMESPACE, Obj, Rendered, RenderFn, Tools, run
from tests.deploy.network import selects
from tests.deploy.pod_environment import FULLNAME
from tests.deploy.test_chart_valid import _all_valid

SENDER = f"{FULLNAME}-notifications-sender"
PIPELINE = f"{FULLNAME}-referrals-pipeline"
SPLIT = {
    "services.notifications.processes[0].name": "sender",
    "services.notifications.processes[0].parts[0]": "workers",
    "services.notifications.processes[0].replicas": "3",
    "services.notifications.processes[0].resources.requests.cpu": "100m",
    "services.notifications.processes[0].resources.requests.memory": "192Mi",
    "services.notifications.processes[0].resources.limits.cpu": "500m",
    "services.notifications.processes[0].resources.limits.memory": "384Mi",
    "services.notifications.processes[0].autoscaling.enabled": "false",
    "services.notifications.processes[0].autoscaling.minReplicas": "1",
    "services.notifications.processes[0].autoscaling.maxReplicas": "1",
    "services.notifications.processes[0].autoscaling.targetCPUUtilizationPercentage": "70",
    "services.referrals.processes[0].name": "pipeline",
    "services.referrals.processes[0].parts[0]": "consumers",
    "services.referrals.processes[0].parts[1]": "workers",
}
"""notifications' sender apart (fixed replicas, resources of its own) and referrals' pipeline
apart from its intake (the rest left out: the service's)."""


@pytest.fixture(scope="module")
def split(render: RenderFn) -> Rendered:
    return render(set=SPLIT)


@pytest.fixture(scope="module")
def split_with_keda(render: RenderFn) -> Rendered:
    return render(set={**SPLIT, "keda.enabled": "true"})


def _deployment(rendered: Rendered, name: str) -> Obj:
    return rendered.one("Deployment", name)


def _pod_labels(rendered: Rendered, name: str) -> dict[str, str]:
    labels: dict[str, str] = _deployment(rendered, name)["spec"]["template"]["metadata"]["labels"]
    return labels


def _env(owner: Obj) -> dict[str, Obj]:
    (container,) = owner["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container["env"]}


def _parts(rendered: Rendered, name: str) -> str | None:
    found = _env(_deployment(rendered, name)).get("PROCESS_PARTS")
    return None if found is None else str(found["value"])


def _same_pod(owner: Obj) -> Obj:
    """The pod template without what may differ between a service's Deployments: labels
    (and the spread constraints' selectors of them), resources and PROCESS_PARTS."""
    pod: Obj = copy.deepcopy(owner["spec"]["template"])
    del pod["metadata"]["labels"]
    for constraint in pod["spec"].get("topologySpreadConstraints", []):
        del constraint["labelSelector"]
    (container,) = pod["spec"]["containers"]
    del container["resources"]
    container["env"] = [e for e in container["env"] if e["name"] != "PROCESS_PARTS"]
    return pod


# --- the Deployments and what each runs --------------------------------------------------


def test_every_object_of_a_split_release_is_valid(tools: Tools, split_with_keda: Rendered) -> None:
    _all_valid(tools, split_with_keda)  # kubecheck (the PodMonitors too) and crdcheck (KEDA's)
    assert {o["metadata"]["name"] for o in split_with_keda.kind("PodMonitor")} == {
        SENDER,
        PIPELINE,
    }


def test_each_process_is_the_services_pod_running_its_parts_and_the_service_the_rest(
    split: Rendered,
) -> None:
    assert _parts(split, SENDER) == "workers"
    assert _parts(split, f"{FULLNAME}-notifications") == "consumers,relay"
    assert _parts(split, PIPELINE) == "consumers,workers"
    assert _parts(split, f"{FULLNAME}-referrals") == "relay"  # with the HTTP routes: the intake
    for service in ("plans", "specialists", "web"):  # not split: the whole service
        assert _parts(split, f"{FULLNAME}-{service}") is None
    for service, extra in (("notifications", SENDER), ("referrals", PIPELINE)):
        main = _deployment(split, f"{FULLNAME}-{service}")
        # The same image, command, environment, service account, Kafka credentials and
        # volumes, probes, security context, drain and grace period.
        assert _same_pod(_deployment(split, extra)) == _same_pod(main), extra
    sender = _deployment(split, SENDER)
    (container,) = sender["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "192Mi"},
        "limits": {"cpu": "500m", "memory": "384Mi"},
    }
    assert sender["spec"]["replicas"] == 3  # its autoscaling is off
    (pipeline,) = _deployment(split, PIPELINE)["spec"]["template"]["spec"]["containers"]
    (referrals,) = _deployment(split, f"{FULLNAME}-referrals")["spec"]["template"]["spec"][
        "containers"
    ]
    assert pipeline["resources"] == referrals["resources"]  # left out: the service's


def test_only_the_services_own_pods_take_its_http_traffic(split: Rendered) -> None:
    """The Service (the ingress's, the workspace's way in, GOV.UK Notify's receipts) selects
    the service's own pods, never a process's; no two Deployments select each other's pods."""
    owners = [d for d in split.kind("Deployment") if d["metadata"]["name"].startswith(FULLNAME)]
    for service in ("notifications", "referrals"):
        selector = split.one("Service", f"{FULLNAME}-{service}")["spec"]["selector"]
        selected = [
            d["metadata"]["name"]
            for d in owners
            if selects({"matchLabels": selector}, d["spec"]["template"]["metadata"]["labels"])
        ]
        assert selected == [f"{FULLNAME}-{service}"]
    for owner in owners:
        others = [
            d["metadata"]["name"]
            for d in owners
            if d is not owner
            and selects(owner["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert others == [], owner["metadata"]["name"]
    assert not [s for s in split.kind("Service") if s["metadata"]["name"] in (SENDER, PIPELINE)]
    for ingress in split.kind("Ingress"):
        backends = {
            p["backend"]["service"]["name"]
            for rule in ingress["spec"]["rules"]
            for p in rule["http"]["paths"]
        }
        assert not backends & {SENDER, PIPELINE}


def test_each_process_has_its_own_disruption_budget(split: Rendered) -> None:
    for name in (SENDER, PIPELINE, f"{FULLNAME}-notifications", f"{FULLNAME}-referrals"):
        budget = split.one("PodDisruptionBudget", name)
        assert selects(budget["spec"]["selector"], _pod_labels(split, name))
        for other in (SENDER, PIPELINE, f"{FULLNAME}-notifications", f"{FULLNAME}-referrals"):
            if other != name:
                assert not selects(budget["spec"]["selector"], _pod_labels(split, other))


# --- metrics -----------------------------------------------------------------------------


def test_each_process_is_scraped_with_its_services_labels(render: RenderFn) -> None:
    """No Service: a PodMonitor scrapes its pods, labelling their series with the service's
    Service (what the alerts and the dashboard aggregate by: its outbox, its relay) and job
    the Deployment (as the ServiceMonitor's job is each Service's name), so one service's
    series stay one service's and a process with no pod left still alerts."""
    rendered = render(set={**SPLIT, "metrics.serviceMonitor.labels.release": "prometheus"})
    for service, name in (("notifications", SENDER), ("referrals", PIPELINE)):
        monitor = rendered.one("PodMonitor", name)
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        assert selects(monitor["spec"]["selector"], _pod_labels(rendered, name))
        assert not selects(
            monitor["spec"]["selector"], _pod_labels(rendered, f"{FULLNAME}-{service}")
        )
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        (container,) = _deployment(rendered, name)["spec"]["template"]["spec"]["containers"]
        assert endpoint["port"] == container["ports"][0]["name"]
        assert endpoint["path"] == "/metrics"
        labelled = {r["targetLabel"]: r["replacement"] for r in endpoint["relabelings"]}
        assert labelled == {"service": f"{FULLNAME}-{service}", "job": name}
    # The service's own pods keep the ServiceMonitor (its Service, job its name).
    monitor = rendered.one("ServiceMonitor", FULLNAME)
    (components,) = [
        e["values"]
        for e in monitor["spec"]["selector"]["matchExpressions"]
        if e["key"] == "app.kubernetes.io/component"
    ]
    assert sorted(components) == sorted(SERVICES)


def _alert(rendered: Rendered, name: str) -> str:
    groups = rendered.one("PrometheusRule", FULLNAME)["spec"]["groups"]
    (expr,) = [r["expr"] for g in groups for r in g["rules"] if r["alert"] == name]
    return str(expr)


def test_a_process_without_a_ready_or_scraped_pod_alerts_as_a_service_does(
    split: Rendered,
) -> None:
    not_ready = _alert(split, "SendServiceNotReady")
    assert "max by (service, job) (up{" in not_ready
    unavailable = _alert(split, "SendServiceUnavailable")
    (pattern,) = re.findall(r'deployment=~"([^"]+)"', unavailable)
    for deployment in split.kind("Deployment"):
        name = deployment["metadata"]["name"]
        if name == f"{FULLNAME}-otel-collector":
            continue
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        service = f"{FULLNAME}-{container['name']}"
        absent = f'absent(up{{namespace="{NAMESPACE}", service="{service}", job="{name}"}})'
        assert absent in not_ready, name
        assert re.fullmatch(pattern, name), name  # PromQL's =~ matches the whole value
    dashboard = json.loads(
        split.one("ConfigMap", f"{FULLNAME}-dashboard")["data"]["send-platform.json"]
    )
    (scraped,) = [p for p in dashboard["panels"] if p["title"] == "Replicas scraped (up)"]
    assert scraped["targets"][0]["expr"].startswith("sum by (job) (up{")


# --- network -----------------------------------------------------------------------------


def test_each_process_reaches_what_its_service_reaches_and_is_reached_by_prometheus_only(
    split: Rendered,
) -> None:
    metrics_from = split.one("NetworkPolicy", f"{FULLNAME}-plans")["spec"]["ingress"][-1]
    for service, name in (("notifications", SENDER), ("referrals", PIPELINE)):
        policy = split.one("NetworkPolicy", name)
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
        assert selects(policy["spec"]["podSelector"], _pod_labels(split, name))
        own = split.one("NetworkPolicy", f"{FULLNAME}-{service}")
        assert not selects(own["spec"]["podSelector"], _pod_labels(split, name))
        assert policy["spec"]["egress"] == own["spec"]["egress"]  # Kafka, its database, ...
        assert policy["spec"]["ingress"] == [metrics_from]  # no ingress controller, workspace


def test_the_collector_takes_the_spans_of_every_process(production: Rendered) -> None:
    """The production example runs notifications' sender apart: the chart's collector admits
    its pods' spans (OTLP, 4318) as it admits the services'."""
    policy = production.one("NetworkPolicy", f"{FULLNAME}-otel-collector")
    admitting = [
        peer
        for rule in policy["spec"]["ingress"]
        if {"protocol": "TCP", "port": 4318} in rule["ports"]
        for peer in rule["from"]
    ]
    deployments = [d["metadata"]["name"] for d in production.kind("Deployment")]
    assert SENDER in deployments
    for name in deployments:
        if name == f"{FULLNAME}-otel-collector":
            continue
        labels = _pod_labels(production, name)
        assert any(selects(peer.get("podSelector"), labels) for peer in admitting), name


# --- scaling -----------------------------------------------------------------------------


def _scaled_by_keda(rendered: Rendered) -> dict[str, Obj]:
    return {o["spec"]["scaleTargetRef"]["name"]: o for o in rendered.kind("ScaledObject")}


def _scaled_by_hpa(rendered: Rendered) -> dict[str, Obj]:
    found = rendered.kind("HorizontalPodAutoscaler")
    return {o["spec"]["scaleTargetRef"]["name"]: o for o in found}


def test_keda_scales_the_deployment_that_runs_the_consumers(split_with_keda: Rendered) -> None:
    keda = _scaled_by_keda(split_with_keda)
    hpa = _scaled_by_hpa(split_with_keda)
    # referrals' consumers run in its pipeline, notifications' in its own Deployment.
    consumers = {PIPELINE} | {f"{FULLNAME}-{s}" for s in EVENT_SERVICES if s != "referrals"}
    assert set(keda) == consumers
    lag = [t for t in keda[PIPELINE]["spec"]["triggers"] if t["type"] == "kafka"]
    assert lag
    assert all(t["metadata"]["consumerGroup"].startswith("referrals.") for t in lag)
    assert keda[PIPELINE]["spec"]["minReplicaCount"] == 2  # the service's autoscaling
    # The intake (relay and routes) on CPU; the sender, its autoscaling off, at its replicas.
    assert set(hpa) == {f"{FULLNAME}-referrals", f"{FULLNAME}-web"}
    for name in (PIPELINE, f"{FULLNAME}-referrals"):
        assert "replicas" not in _deployment(split_with_keda, name)["spec"]
    assert _deployment(split_with_keda, SENDER)["spec"]["replicas"] == 3


def test_without_keda_each_autoscaled_deployment_has_its_hpa(split: Rendered) -> None:
    assert not split.kind("ScaledObject")
    hpa = _scaled_by_hpa(split)
    assert set(hpa) == {f"{FULLNAME}-{s}" for s in SERVICES} | {PIPELINE}
    assert hpa[PIPELINE]["metadata"]["name"] == PIPELINE
    assert hpa[PIPELINE]["spec"]["maxReplicas"] == 6


# --- what the chart refuses --------------------------------------------------------------


def _process(service: str, index: int, name: str, *parts: str) -> dict[str, str]:
    entry = f"services.{service}.processes[{index}]"
    return {f"{entry}.name": name, **{f"{entry}.parts[{i}]": p for i, p in enumerate(parts)}}


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            _process("web", 0, "sender", "workers"),
            "services.web.processes: web has no consumers, outbox relay or scheduled jobs",
        ),
        (
            {**_process("notifications", 0, "sender", "workers"),
             **_process("notifications", 1, "more", "relay", "workers")},
            "services.notifications.processes: workers is named twice",
        ),
        (
            _process("referrals", 0, "pipeline", "consumers", "consumers"),
            "services.referrals.processes: consumers is named twice",
        ),
        (
            {**_process("notifications", 0, "a", "workers"),
             **_process("notifications", 1, "a", "relay")},
            "services.notifications.processes: two entries are named a",
        ),
        (
            _process("notifications", 0, "migrations", "workers"),
            "the name is the migrations Job's",
        ),
        (
            {"services.notifications.env.PROCESS_PARTS": "workers"},
            "services.notifications: PROCESS_PARTS .in env or secretEnv.: the chart sets it",
        ),
        ({"env.PROCESS_PARTS": "workers"}, "env.PROCESS_PARTS: the chart sets it"),
    ],
    ids=["no-events", "twice", "twice-in-one", "same-name", "migrations", "service-env", "env"],
)  # fmt: skip
def test_the_chart_refuses_processes_that_cannot_work(
    render: RenderFn, setting: dict[str, str], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        render(set=setting)


def test_an_unknown_part_is_refused_naming_the_parts(tools: Tools) -> None:
    args = [tools.helm, "template", "x", str(CHART), "--kube-version", tools.kube_version]
    unknown = ["--set", "services.notifications.processes[0].name=sender",
               "--set", "services.notifications.processes[0].parts[0]=sending"]  # fmt: skip
    by_schema = run([*args, *unknown])
    assert by_schema.returncode == 1
    assert "/services/notifications/processes/0/parts/0" in by_schema.stderr
    assert "'consumers', 'relay', 'workers'" in by_schema.stderr
    by_chart = run([*args, "--skip-schema-validation", *unknown])  # the chart's own check
    assert by_chart.returncode == 1
    assert (
        "services.notifications.processes sender: sending is not a part of a service: the "
        "parts are consumers, relay, workers" in by_chart.stderr
    )


def test_the_bench_runs_the_services_as_the_production_example_does(
    production: Rendered,
) -> None:
    # The bench measures what production runs: its default layout (PRODUCTION_SPLITS) is the
    # production example's `processes`, so a change to either without the other fails here.
    prefix = f"{FULLNAME}-"
    rendered = set()
    for deployment in production.kind("Deployment"):
        name = deployment["metadata"]["name"].removeprefix(prefix)
        service, _, process = name.partition("-")
        parts = _env(deployment).get("PROCESS_PARTS")
        if process and service in SERVICES and parts is not None:
            rendered.add(Split(service, tuple(str(parts["value"]).split(","))))
    assert rendered == set(PRODUCTION_SPLITS)
