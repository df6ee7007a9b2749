"""How many requests made on the public form a process takes in at once (a bulkhead).

A bot's flood comes from as many addresses as it likes, so no per-address limit stops it;
unbounded, it queues every request behind thousands of junk ones for the database's few
connections, and a family's request waits with them (tens of seconds) while caseworkers' pages
slow too. Here at most ``PUBLIC_INTAKE_SLOTS`` are taken in at once and
``PUBLIC_INTAKE_WAITING`` wait for a slot, each for at most ``PUBLIC_INTAKE_WAIT_MS``; any other
is answered at once, 503 with ``Retry-After: 1``, before its body is checked or the database
touched. A short queue is a short wait: a family's request is served in well under a second,
or refused fast and sent again by the workspace (with its Idempotency-Key: kept once).

A flood cannot be told from families by its content or its addresses, but it can by where it
comes from: the families come through the workspace's pages, whose calls come from the
workspace's own network (``WORKSPACE_NETWORKS``), and have slots of their own there; a program
calling the API through the ingress gets the others. (Calls from the workspace are as many as
people can walk its pages: a flood through them costs a bot a dozen pages a request.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address

from prometheus_client import Counter

SHED = Counter(
    "send_public_requests_shed",
    "Requests made on the public form answered 503 at once: every slot busy and the queue full",
    registry=None,
)


class PublicIntake:
    """The slots of one process, and who waits for them."""

    def __init__(self, slots: int, waiting: int, wait_s: float) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.queue_room = waiting
        self.wait_s = wait_s
        self.waiting = 0

    async def admitted(self) -> bool:
        """A slot, or False at once (the queue full) or after ``wait_s``."""
        if self.slots.locked() and self.waiting >= self.queue_room:
            return False
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await self.slots.acquire()
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1
        return True


@dataclass(frozen=True)
class Lanes:
    """The workspace's slots (``WORKSPACE_NETWORKS``: the families who came through its
    pages) and everyone else's (a program calling the API through the ingress)."""

    workspace: PublicIntake
    others: PublicIntake
    workspace_networks: Sequence[IPv4Network | IPv6Network]

    def of(self, peer: str | None) -> PublicIntake:
        """The lane of a request whose connection came from ``peer`` (the workspace's own
        address, never a header: anyone can write one)."""
        try:
            address = ip_address(peer or "")
        except ValueError:
            return self.others
        inside = any(address in network for network in self.workspace_networks)
        return self.workspace if inside else self.others
