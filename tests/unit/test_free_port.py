"""A port picked for a service started later stays free until the service binds it: it is
never one the kernel may hand an outgoing connection meanwhile (the CI failure of
test_kafka_rights: ``address already in use``)."""

from __future__ import annotations

import socket
from pathlib import Path

from scripts.platform import free_port


def _ephemeral_range() -> tuple[int, int]:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def test_a_picked_port_is_below_the_ephemeral_range_and_free() -> None:
    low, _ = _ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert all(1024 <= port < low for port in ports)
    assert len(set(ports)) == len(ports)  # never the same one twice
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports[-1]))


def test_outgoing_connections_take_their_ports_from_the_range_the_picks_avoid() -> None:
    """Why below the range is safe: the kernel gives the ports of outgoing connections (what
    Kafka and PostgreSQL clients open between a pick and the service's bind) from it."""
    low, high = _ephemeral_range()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(100)
        clients = [socket.create_connection(server.getsockname()) for _ in range(50)]
        try:
            used = {client.getsockname()[1] for client in clients}
        finally:
            for client in clients:
                client.close()
    assert all(low <= port <= high for port in used)
