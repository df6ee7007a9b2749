"""What an operator is given besides the pods: a runbook for every alert, at the address its
``runbook_url`` names, and a Job that replays a dead-letter topic as the operators' own
Kafka user, let out to DNS and Kafka only."""

from __future__ import annotations

import re

import pytest

from scripts.platform import REPO_ROOT
from shared.dlq import replay_names
from shared.settings import KafkaSettings
from tests.deploy.conftest import PRODUCTION_VALUES, Rendered, RenderFn, containers, env_of
from tests.deploy.network import Endpoint, Pod, on_first_install, reaches
from tests.deploy.pod_environment import FULLNAME

RUNBOOKS = REPO_ROOT / "docs" / "runbooks"
NOT_ALERTS = {"README.md", "dlq-replay.md"}


def _alerts(rendered: Rendered) -> dict[str, dict[str, object]]:
    groups = rendered.one("PrometheusRule", FULLNAME)["spec"]["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_every_alert_names_its_runbook_and_every_runbook_is_an_alerts(
    default: Rendered, everything: Rendered, render: RenderFn
) -> None:
    base = "https://wiki.council.example/send/runbooks"
    custom = render(set={"metrics.prometheusRule.runbookBaseUrl": base})
    problems = []
    seen: set[str] = set()
    for rendered, expected in ((default, None), (everything, None), (custom, base)):
        for name, rule in _alerts(rendered).items():
            seen.add(name)
            url = str(rule["annotations"].get("runbook_url", ""))  # type: ignore[attr-defined]
            if not url.endswith(f"/{name}.md"):
                problems.append(f"{name}: runbook_url {url!r}")
            if expected and not url.startswith(f"{expected}/"):
                problems.append(f"{name}: runbook_url {url!r} ignores runbookBaseUrl")
            page = RUNBOOKS / f"{name}.md"
            if not page.exists():
                problems.append(f"{name}: no {page.relative_to(REPO_ROOT)}")
            elif page.read_text().splitlines()[0] != f"# {name}":
                problems.append(f"{page.name} is not titled {name}")
    assert problems == []
    pages = {p.name for p in RUNBOOKS.glob("*.md")} - NOT_ALERTS
    assert pages == {f"{name}.md" for name in seen}
    index = (RUNBOOKS / "README.md").read_text()
    assert set(re.findall(r"^\| (Send\w+) \|", index, re.MULTILINE)) == seen
    assert {
        "SendStatutoryDeadlinesAtRisk",
        "SendCollectorDown",
        "SendCollectorExportFailing",
    } <= seen


def test_the_dlq_replay_job_replays_one_topic_as_the_operators_user(render: RenderFn) -> None:
    topic = "plans.plan-drafted.v1.dlq"
    rendered = render(PRODUCTION_VALUES, set={"dlqReplay.topic": topic})
    (job,) = [j for j in rendered.kind("Job") if "dlq-replay" in j["metadata"]["name"]]
    (container,) = containers(job)
    assert container["command"] == ["python", "-m", "shared.dlq", "replay", topic]
    assert "helm.sh/hook" not in (job["metadata"].get("annotations") or {})  # run by hand
    user = rendered.one("KafkaUser", f"{FULLNAME}-dlq-replay")
    volumes = job["spec"]["template"]["spec"]["volumes"]
    mounted = {v["name"]: v["secret"]["secretName"] for v in volumes if "secret" in v}
    assert mounted["kafka-user"] == user["metadata"]["name"]  # TLS: the user's certificate
    env = {name: var.get("value") for name, var in env_of(container).items()}
    settings = KafkaSettings(SEND_NAMESPACE=env["SEND_NAMESPACE"] or "")
    dlq, _ = replay_names(settings, topic)
    acls = {(a["resource"]["type"], a["resource"].get("name"), tuple(a["operations"]))
            for a in user["spec"]["authorization"]["acls"]}  # fmt: skip
    assert any(kind == "topic" and name == dlq and "Read" in ops for kind, name, ops in acls)
    # Its own NetworkPolicy (the release's are not about its pods): DNS and Kafka.
    pod = Pod(job["spec"]["template"]["metadata"]["labels"])
    policies = on_first_install(rendered.kind("NetworkPolicy"), job)
    kafka = Pod({"strimzi.io/cluster": "send-kafka", "strimzi.io/kind": "Kafka"}, "kafka")
    dns = Pod({"k8s-app": "kube-dns"}, "kube-system")
    assert reaches(policies, pod, Endpoint("Kafka", kafka, 9093))
    assert reaches(policies, pod, Endpoint("DNS", dns, 53, "UDP"))
    assert not reaches(policies, pod, Endpoint("a database", Pod(ip="10.40.1.10"), 5432))
    release = render(PRODUCTION_VALUES).kind("Job")  # not part of a release's objects
    assert not [j for j in release if "dlq-replay" in j["metadata"]["name"]]


def test_a_replay_of_a_topic_that_is_not_a_dead_letter_topic_is_refused(render: RenderFn) -> None:
    with pytest.raises(AssertionError, match=r"ending \.dlq"):
        render(set={"dlqReplay.topic": "plans.plan-drafted.v1"})


def test_an_alert_on_a_counter_sees_its_first_event(default: Rendered) -> None:
    """A counter's series appears with its first event, at 1, where increase() sees nothing.
    Statutory deadlines are pre-initialised at 0 by referrals (tests/unit/
    test_service_metrics.py); dead letters and gaps in the registry, whose labels cannot be
    known before (an exception's class, a role in a council), alert on a series new in the
    window as well."""
    alerts = _alerts(default)
    dead = str(alerts["SendDeadLetters"]["expr"])
    assert "increase(send_dead_lettered_total{" in dead
    assert "unless send_dead_lettered_total{" in dead
    assert "offset 15m" in dead
    gaps = str(alerts["SendNoTeamForRole"]["expr"])
    assert "unless send_specialists_no_team_total{" in gaps
    at_risk = str(alerts["SendStatutoryDeadlinesAtRisk"]["expr"])
    assert "increase(send_statutory_deadlines_at_risk_total{" in at_risk
    assert at_risk.endswith("[1d])) > 5")
