"""A workspace page does not fail because a service closed a kept-alive connection just as the
page's call went out on it: a GET goes once more on a new connection; a POST does not (the
service may have acted on it) and the page says the service is unavailable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from web.backends import Backends, Unavailable


@dataclass
class ClosingServer:
    """An HTTP/1.1 server that keeps connections alive but closes one, unanswered, as its
    second request arrives: what a service does when its keep-alive runs out at that moment."""

    requests: list[str] = field(default_factory=list)
    connections: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests.append(head.split(b" ", 1)[0].decode())
                served += 1
                if served == 2:
                    return  # closed as the call arrived, nothing answered
                body = json.dumps({"answer": len(self.requests)}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except asyncio.IncompleteReadError:
            return
        finally:
            writer.close()


@pytest.fixture
async def served() -> AsyncIterator[tuple[ClosingServer, Backends]]:
    server = ClosingServer()
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with httpx.AsyncClient(timeout=5) as client:
        yield server, Backends(client, {"referrals": f"http://127.0.0.1:{port}"})
    listening.close()
    await listening.wait_closed()


async def test_a_get_on_a_connection_closed_under_it_goes_again_on_a_new_one(
    served: tuple[ClosingServer, Backends],
) -> None:
    server, backends = served
    assert await backends.get("referrals", "/v1/referrals", token="t") == {"answer": 1}

    second = await backends.get("referrals", "/v1/referrals", token="t")

    assert second == {"answer": 3}
    assert server.requests == ["GET", "GET", "GET"]
    assert server.connections == 2


async def test_a_post_on_a_connection_closed_under_it_is_not_sent_again(
    served: tuple[ClosingServer, Backends],
) -> None:
    server, backends = served
    await backends.post("referrals", "/v1/referrals", token="t", json={}, accept=(200,))

    with pytest.raises(Unavailable, match="referrals: RemoteProtocolError"):
        await backends.post("referrals", "/v1/referrals", token="t", json={}, accept=(200,))

    assert server.requests == ["POST", "POST"]
    assert server.connections == 1
