"""A process past ``HTTP_IN_FLIGHT`` requests answers any other 503 with ``Retry-After`` at
once, below the application (issue #25): the referrals service under uvicorn on real
PostgreSQL, three referrals held in flight (their bodies half sent), then a fourth request.
The probes and ``/metrics`` still answer, the held referrals are taken in once their bodies
arrive, and the process serves again."""

from __future__ import annotations

import asyncio
import json

import httpx

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of
from tests.conftest import Databases
from tests.integration.conftest import wait_for
from tests.integration.messaging import serving
from tests.integration.referrals_app import referral_body, referrals_service

HELD = 3


class HeldRequest:
    """A ``POST`` whose head and half its body are sent, the rest held back: a request the
    process is serving (its route waits for the body) until ``finish``."""

    def __init__(self, path: str, content_type: str, body: bytes) -> None:
        self.path, self.content_type, self.body = path, content_type, body
        self.writer: asyncio.StreamWriter | None = None

    async def start(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: {self.content_type}\r\n{extra}"
            f"Content-Length: {len(self.body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + self.body[: len(self.body) // 2])
        await self.writer.drain()

    async def finish(self) -> int:
        """The rest of the body sent; the answer's status."""
        assert self.writer is not None
        self.writer.write(self.body[len(self.body) // 2 :])
        await self.writer.drain()
        status_line = await self.reader.readline()
        await self.close()
        return int(status_line.split()[1])

    async def close(self) -> None:
        """Hang up (a request still held then ends: the server stops only when none is)."""
        if self.writer is not None and not self.writer.is_closing():
            self.writer.close()
            await self.writer.wait_closed()


async def metric(client: httpx.AsyncClient, name: str) -> float | None:
    for line in (await client.get("/metrics")).text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return None


async def test_past_its_bound_a_process_answers_503_with_retry_after_and_recovers(
    databases: Databases, identity: IdentityProvider
) -> None:
    url = await databases.fresh("in_flight", "referrals", migrations_of("referrals"))
    token = await fetch_token(identity.issuer, "leeds-caseworker")
    held = [  # each a child of its own (the same child twice is a duplicate: 409)
        HeldRequest("/v1/referrals", "application/json", json.dumps(referral_body()).encode())
        for _ in range(HELD)
    ]
    async with (
        referrals_service(url, identity, http_in_flight=HELD) as app,
        serving(app) as base_url,
        httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as client,
    ):
        port = int(base_url.rsplit(":", 1)[1])
        try:
            for request in held:
                await request.start(port, {"Authorization": f"Bearer {token}"})

            async def all_held() -> bool:
                return await metric(client, "send_http_in_flight") == HELD

            await wait_for(all_held, timeout_s=30, what=f"{HELD} referrals in flight")
            refused = await client.get("/v1/referrals")
            refused_referral = await client.post("/v1/referrals", json=referral_body())
            live = await client.get("/health/live")
            ready = await client.get("/health/ready")
            refusals = await metric(client, "send_http_refused_total")

            statuses = [await request.finish() for request in held]

            async def none_in_flight() -> bool:
                return await metric(client, "send_http_in_flight") == 0

            await wait_for(none_in_flight, timeout_s=30, what="the held referrals answered")
            served = await client.get("/v1/referrals")
        finally:
            for request in held:
                await request.close()

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert "busy" in refused.json()["detail"]
    assert refused_referral.status_code == 503
    assert refused_referral.headers["retry-after"] == "1"
    assert refusals == 2
    # The probes are how an overload is seen: never refused (a liveness probe refused would
    # have the pod restarted, losing what it was doing).
    assert live.status_code == 200
    assert ready.status_code in (200, 503)  # Kafka not started here; never the bound's 503
    assert "busy" not in ready.text
    assert statuses == [201] * HELD
    assert served.status_code == 200
