"""How many requests made on the public form a process takes in at once (a bulkhead).

A bot's flood comes from as many addresses as it likes, so no per-address limit stops it;
unbounded, it queues every request behind thousands of junk ones for the database's few
connections, and a family's request waits with them (tens of seconds) while caseworkers' pages
slow too. Here at most ``PUBLIC_INTAKE_SLOTS`` are taken in at once and
``PUBLIC_INTAKE_WAITING`` wait for a slot, each for at most ``PUBLIC_INTAKE_WAIT_MS``; any other
is answered at once, 503 with ``Retry-After: 1``, by the outermost middleware: before its
body is read, a span made or the database touched, so that refusing a flood costs little. A
short queue is a short wait: a family's request is served in well under a second, or refused
fast and sent again by the workspace (with its Idempotency-Key: kept once).

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
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

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


BUSY = "busy: too many requests are being made on the public form; try again in a second"


class PublicIntakeGate:
    """The bulkhead in front of the public form's route (``path``), outside every other
    middleware: a slot of the caller's lane held until the answer is sent, or 503 at once."""

    def __init__(self, app: ASGIApp, *, lanes: Lanes, path: str) -> None:
        self.app = app
        self.lanes = lanes
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        intake = self.lanes.of(client[0] if client else None)
        if not await intake.admitted():
            SHED.inc()
            busy = JSONResponse({"detail": BUSY}, status_code=503, headers={"Retry-After": "1"})
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            intake.slots.release()
