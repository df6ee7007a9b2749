from scripts.k8s_topology import TOPOLOGY, render


def test_the_charts_topology_matches_the_code() -> None:
    assert TOPOLOGY.read_text() == render(), (
        "stale deploy/helm/send-platform/files/topology.json: run `make chart-topology`"
    )
