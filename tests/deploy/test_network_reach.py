"""Every rendered NetworkPolicy read as Kubernetes reads it: each dependency the values name
(Kafka, PostgreSQL, the identity provider, the OTLP endpoint or the chart's collector and its
backend, Redis when the rate limits use it, DNS) is reachable from the pods that need it, the
hook Jobs included on a first install (when only the hooks made before them exist); and
nothing else on the internet is."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from urllib.parse import urlsplit

import pytest

from shared.services import EVENT_SERVICES, SERVICES
from tests.deploy.conftest import (
    EVERYTHING,
    PRODUCTION_VALUES,
    Obj,
    Rendered,
    RenderFn,
    containers,
    env_of,
)
from tests.deploy.network import Endpoint, Pod, address, isolating, on_first_install, reaches
from tests.deploy.pod_environment import FULLNAME

SOMEWHERE_ON_THE_INTERNET = address("an internet address", "93.184.216.34", 443)


@dataclass(frozen=True)
class World:
    """Where the dependencies are, as the values describe them (the cluster around a release)."""

    dns_port: int
    kafka: Pod
    databases: dict[str, list[str]]  # addresses each database may have (a failover's too)
    identity_provider: Endpoint  # when the pods have no egress proxy
    proxy: Pod | None
    redis: Pod | None
    backend: Endpoint | None  # the collector's tracing backend, when not through the proxy
    api_server: str
    mail_server: Endpoint
    notify: Endpoint  # GOV.UK Notify, when the pods have no egress proxy


PRODUCTION = World(
    dns_port=53,
    kafka=Pod({"strimzi.io/cluster": "send-kafka", "strimzi.io/kind": "Kafka"}, "kafka"),
    databases={s: [f"10.40.1.{10 + i}", "10.40.1.57"] for i, s in enumerate(SERVICES)},
    identity_provider=address("the identity provider", "20.190.160.1", 443),
    proxy=Pod({"app.kubernetes.io/name": "egress-proxy"}, "egress"),
    redis=Pod({"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "send-redis"}),
    backend=None,
    api_server="10.43.0.1",
    mail_server=address("the council's mail server", "10.60.0.25", 587),
    notify=address("GOV.UK Notify", "18.130.0.1", 443),
)
EVERYTHING_ON = World(
    dns_port=5353,
    kafka=Pod({"strimzi.io/cluster": "send-kafka"}, "kafka"),
    databases={s: ["10.20.0.10", "10.20.0.57"] for s in SERVICES},
    identity_provider=address("the identity provider", "192.0.2.10", 443),
    proxy=None,
    redis=Pod({"app.kubernetes.io/name": "redis"}),
    backend=address("the tracing backend", "203.0.113.10", 443),
    api_server="10.96.0.1",
    mail_server=address("the council's mail server", "198.51.100.25", 587),
    notify=address("GOV.UK Notify", "198.51.100.80", 443),
)


class Renderings:
    """Each rendering made once, when a test first asks for it."""

    def __init__(self, render: RenderFn) -> None:
        self.render = render
        self.made: dict[str, tuple[Rendered, World]] = {}

    def __getitem__(self, which: str) -> tuple[Rendered, World]:
        if which not in self.made:
            if which == "production":
                self.made[which] = (self.render(PRODUCTION_VALUES), PRODUCTION)
            else:
                self.made[which] = (self.render(set=EVERYTHING), EVERYTHING_ON)
        return self.made[which]


@pytest.fixture(scope="module")
def renderings(render: RenderFn) -> Renderings:
    return Renderings(render)


def _pod(owner: Obj) -> Pod:
    return Pod(owner["spec"]["template"]["metadata"]["labels"])


def _env(owner: Obj) -> dict[str, str]:
    (container,) = containers(owner)
    return {n: str(v.get("value", "")) for n, v in env_of(container).items()}


def _https(owner: Obj, world: World, direct: Endpoint) -> Endpoint:
    """Where an HTTPS call of ``owner``'s goes first: its egress proxy, or ``direct``."""
    proxy = _env(owner).get("HTTPS_PROXY")
    if not proxy:
        return direct
    assert world.proxy is not None, "the pods were given a proxy the values do not have"
    return Endpoint("the egress proxy", world.proxy, urlsplit(proxy).port or 3128)


def _dns(world: World) -> list[Endpoint]:
    dns = Pod({"k8s-app": "kube-dns"}, "kube-system")
    return [Endpoint("DNS", dns, world.dns_port, p) for p in ("UDP", "TCP")]


def _kafka(rendered: Rendered, world: World) -> Endpoint:
    bootstrap = _env(rendered.one("Deployment", f"{FULLNAME}-referrals"))["KAFKA_BOOTSTRAP_SERVERS"]
    return Endpoint("Kafka", world.kafka, int(bootstrap.rsplit(":", 1)[1]))


def _services_deployments(rendered: Rendered) -> list[tuple[str, Obj]]:
    """Each service's Deployments (its own, and its processes apart: services.<name>.processes,
    which reach what it reaches), with the service (their container's name)."""
    found = []
    for owner in rendered.kind("Deployment"):
        (container, *_) = containers(owner)
        if container["name"] in SERVICES:
            found.append((container["name"], owner))
    return found


def _needs(rendered: Rendered, world: World, service: str, owner: Obj) -> list[Endpoint]:
    """What one service's pods (``owner``'s, one of its Deployments) must reach."""
    env = _env(owner)
    needed = [*_dns(world)]
    needed += [address(f"{service}'s database", ip, 5432) for ip in world.databases[service]]
    needed.append(_https(owner, world, world.identity_provider))
    if service in EVENT_SERVICES:
        needed.append(_kafka(rendered, world))
    else:
        for api in EVENT_SERVICES:
            labels = _pod(rendered.one("Deployment", f"{FULLNAME}-{api}")).labels
            needed.append(Endpoint(f"{api}'s API", Pod(labels), 8000))
    otlp = urlsplit(env.get("OTEL_EXPORTER_OTLP_ENDPOINT", ""))
    if otlp.hostname == f"{FULLNAME}-otel-collector":
        collector = _pod(rendered.one("Deployment", f"{FULLNAME}-otel-collector"))
        needed.append(Endpoint("the chart's collector", collector, otlp.port or 4318))
    if env["RATE_LIMIT_STORAGE"].startswith("redis"):
        assert world.redis is not None
        needed.append(Endpoint("Redis", world.redis, 6379))
    if service == "notifications":
        needed.append(world.mail_server)
        needed.append(_https(owner, world, world.notify))
    return needed


@pytest.mark.parametrize("which", ["production", "everything"])
def test_every_pod_reaches_each_dependency_it_needs_and_nothing_else_on_the_internet(
    which: str, renderings: Renderings
) -> None:
    rendered, world = renderings[which]
    policies = rendered.kind("NetworkPolicy")
    unreachable = []
    deployments = _services_deployments(rendered)
    assert {service for service, _ in deployments} == set(SERVICES)
    for service, owner in deployments:
        name = owner["metadata"]["name"].removeprefix(f"{FULLNAME}-")
        present = on_first_install(policies, owner)
        assert isolating(present, _pod(owner)), f"{name}: no policy isolates its pods"
        for endpoint in _needs(rendered, world, service, owner):
            if not reaches(present, _pod(owner), endpoint):
                unreachable.append(
                    f"{name} -> {endpoint.what} ({endpoint.port}/{endpoint.protocol})"
                )
        if reaches(present, _pod(owner), SOMEWHERE_ON_THE_INTERNET):
            unreachable.append(f"{name} may reach any address on the internet on 443")
    assert unreachable == []
    if which == "production":  # notifications' sender apart
        assert len(deployments) == len(SERVICES) + 1


@pytest.mark.parametrize("which", ["production", "everything"])
def test_the_collector_reaches_its_backend_and_the_kubernetes_api(
    which: str, renderings: Renderings
) -> None:
    rendered, world = renderings[which]
    owner = rendered.one("Deployment", f"{FULLNAME}-otel-collector")
    present = on_first_install(rendered.kind("NetworkPolicy"), owner)
    assert world.backend is not None or world.proxy is not None
    backend = _https(owner, world, world.backend or SOMEWHERE_ON_THE_INTERNET)
    needed = [*_dns(world), backend, address("the Kubernetes API", world.api_server, 443)]
    assert [e.what for e in needed if not reaches(present, _pod(owner), e)] == []
    assert not reaches(present, _pod(owner), SOMEWHERE_ON_THE_INTERNET)
    if world.proxy is not None:  # the API server stays off the proxy
        direct = [e for e in _env(owner)["NO_PROXY"].split(",") if e[:1].isdigit()]
        assert any(ip_address(world.api_server) in ip_network(e) for e in direct)


@pytest.mark.parametrize("which", ["production", "everything"])
def test_the_hook_jobs_reach_what_they_need_on_a_first_install(
    which: str, renderings: Renderings
) -> None:
    """Pre-install hooks run before the release's own objects exist: on a namespace that
    denies by default, only the hook policies made before the Jobs let them out."""
    rendered, world = renderings[which]
    policies = rendered.kind("NetworkPolicy")
    unreachable = []
    jobs = rendered.kind("Job")
    for service in SERVICES:
        job = rendered.one("Job", f"{FULLNAME}-{service}-migrations")
        present = on_first_install(policies, job)
        assert isolating(present, _pod(job)), f"{service}'s migrations: no policy made before it"
        needed = [*_dns(world)]
        needed += [address("its database", ip, 5432) for ip in world.databases[service]]
        unreachable += [
            f"{service}-migrations -> {e.what}"
            for e in needed
            if not reaches(present, _pod(job), e)
        ]
    for job in [j for j in jobs if j["metadata"]["name"] == f"{FULLNAME}-topics"]:
        present = on_first_install(policies, job)
        for endpoint in [*_dns(world), _kafka(rendered, world)]:
            if not reaches(present, _pod(job), endpoint):
                unreachable.append(f"topics -> {endpoint.what}")
    assert unreachable == []
    if which == "everything":
        assert [j for j in jobs if j["metadata"]["name"] == f"{FULLNAME}-topics"]


def test_a_dependency_without_peers_fails_the_install_saying_which(render: RenderFn) -> None:
    """Redis for the rate limits, an OTLP endpoint outside the chart, the collector's backend:
    each named, or helm refuses, naming it (an empty peer list would allow everything; none
    would drop the traffic silently)."""
    with pytest.raises(AssertionError, match=r"networkPolicy\.redis"):
        render(set={"rateLimit.storage": "redis://send-redis:6379"})
    with pytest.raises(AssertionError, match=r"networkPolicy\.otlpCollector\.peers"):
        render(set={"tracing.otlpEndpoint": "http://tempo.tracing.svc:4318"})
    with pytest.raises(AssertionError, match=r"networkPolicy\.otlpBackend\.peers"):
        render(set={"otelCollector.enabled": "true",
                    "otelCollector.exporterEndpoint": "https://otlp.example.org"})  # fmt: skip
