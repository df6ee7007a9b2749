"""What a set of rendered NetworkPolicies lets a pod reach, read as Kubernetes reads them: the
policies selecting the pod (its namespace's, by podSelector) isolate it for egress, and a
connection is allowed when one of their egress rules admits the destination (a pod, by its
labels and its namespace's, or an address) and the port and protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from typing import Any

Obj = dict[str, Any]
NAMESPACE = "send"


@dataclass(frozen=True)
class Pod:
    """A pod somewhere in the cluster: its labels and its namespace's (or an address)."""

    labels: dict[str, str] = field(default_factory=dict)
    namespace: str = NAMESPACE
    ip: str = ""

    @property
    def namespace_labels(self) -> dict[str, str]:
        return {"kubernetes.io/metadata.name": self.namespace}


@dataclass(frozen=True)
class Endpoint:
    """Where a dependency listens: a pod (or an address outside the cluster) and a port."""

    what: str
    at: Pod
    port: int
    protocol: str = "TCP"


def address(what: str, ip: str, port: int) -> Endpoint:
    return Endpoint(what, Pod(ip=ip, namespace=""), port)


def selects(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels and matchExpressions); an empty one selects everything."""
    selector = selector or {}
    if not set((selector.get("matchLabels") or {}).items()) <= set(labels.items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_admits(peer: Obj, to: Pod, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        if not to.ip:
            return False  # pods are matched by selectors here, not by their addresses
        block = peer["ipBlock"]
        inside = ip_address(to.ip) in ip_network(block["cidr"])
        return inside and not any(
            ip_address(to.ip) in ip_network(e) for e in block.get("except", [])
        )
    if to.ip:
        return False
    if "namespaceSelector" in peer:
        in_namespace = selects(peer["namespaceSelector"], to.namespace_labels)
    else:
        in_namespace = to.namespace == policy_namespace
    return in_namespace and selects(peer.get("podSelector"), to.labels)


def _port_admits(ports: list[Obj] | None, endpoint: Endpoint, named: dict[str, int]) -> bool:
    if not ports:
        return True
    for port in ports:
        if port.get("protocol", "TCP") != endpoint.protocol:
            continue
        number = port.get("port")
        if number is None or named.get(str(number), number) == endpoint.port:
            return True
    return False


def isolating(policies: list[Obj], pod: Pod) -> list[Obj]:
    """The policies that select ``pod`` for egress."""
    return [
        p
        for p in policies
        if p["metadata"].get("namespace", NAMESPACE) == pod.namespace
        and "Egress" in p["spec"].get("policyTypes", [])
        and selects(p["spec"].get("podSelector"), pod.labels)
    ]


def reaches(policies: list[Obj], pod: Pod, endpoint: Endpoint) -> bool:
    """Whether ``pod`` may open a connection to ``endpoint`` (named ports: the chart's
    ``http`` is 8000)."""
    selecting = isolating(policies, pod)
    if not selecting:
        return True  # not isolated: everything is allowed
    named = {"http": 8000}
    return any(
        any(_peer_admits(peer, endpoint.at, pod.namespace) for peer in rule.get("to") or [{}])
        and _port_admits(rule.get("ports"), endpoint, named)
        for policy in selecting
        for rule in policy["spec"].get("egress") or []
    )


def hook_weight(obj: Obj) -> int | None:
    """The helm hook weight of a pre-install hook, or None for an ordinary object."""
    annotations = obj["metadata"].get("annotations") or {}
    if "pre-install" not in annotations.get("helm.sh/hook", ""):
        return None
    return int(annotations.get("helm.sh/hook-weight", "0"))


def on_first_install(policies: list[Obj], owner: Obj) -> list[Obj]:
    """The policies that exist while ``owner``'s pods run on a release's first install: for a
    pre-install hook Job, the hook policies made before it (a lower weight); for the release's
    own pods, its ordinary policies (the hooks' are gone by then)."""
    weight = hook_weight(owner)
    if weight is None:
        return [p for p in policies if hook_weight(p) is None]
    return [p for p in policies if (w := hook_weight(p)) is not None and w < weight]
