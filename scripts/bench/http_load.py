"""A lean HTTP/1.1 client for the open-loop generator.

Why not httpx (the project's client everywhere else): on a 2-core machine the generator's CPU
is taken from the services it measures, and its own queueing hides in the latencies it reports.
This client writes a prepared request and reads a ``Content-Length`` answer, on keep-alive
connections opened as needed: a request never waits for a free connection (that would make
the load closed-loop).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
IDLE_REUSE_S = 3.0
"""An idle connection is reused only this soon: uvicorn closes keep-alive connections idle
for 5 s (its default), and a request written into one being closed is lost."""


class UnsupportedResponse(RuntimeError):
    """An answer this client does not read (chunked): the bench needs a fuller client."""


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (names in lower case) and body of one HTTP/1.1 response."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *lines = head.removesuffix("\r\n\r\n").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise UnsupportedResponse("a chunked response: this client reads Content-Length only")
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def post_request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """The bytes of a JSON POST."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HttpConnections:
    """Keep-alive connections to one server (``base_url``: ``http://host:port``)."""

    def __init__(
        self, base_url: str, headers: dict[str, str], local_address: str | None = None
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"{base_url}: an http://host:port address is needed")
        self.host, self.port = parts.hostname, parts.port
        self.headers = headers
        self.local_address = local_address
        """Connect from this address (another loopback address: another peer)."""
        self._idle: list[tuple[float, Connection]] = []  # (idle since, connection), newest last
        self.opened = 0

    async def post_json(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """POST ``body`` (JSON already encoded), with ``headers`` besides the connections'
        own; returns the status and the answer's body."""
        status, _, answer = await self.post(path, body, headers)
        return status, answer

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """As ``post_json``, with the answer's headers (names in lower case)."""
        reader, writer = await self._connection()
        sent = {**self.headers, **(headers or {})}
        try:
            writer.write(post_request(f"{self.host}:{self.port}", path, body, sent))
            status, headers, answer = await read_response(reader)
        except BaseException:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self._idle.append((time.monotonic(), (reader, writer)))
        return status, headers, answer

    async def _connection(self) -> Connection:
        while self._idle:
            idle_since, connection = self._idle.pop()
            if time.monotonic() - idle_since < IDLE_REUSE_S:
                return connection
            connection[1].close()  # idle too long: the server may be closing it
        self.opened += 1
        local = (self.local_address, 0) if self.local_address else None
        return await asyncio.open_connection(self.host, self.port, local_addr=local)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for _, (_, writer) in idle:
            writer.close()
        for _, (_, writer) in idle:
            await writer.wait_closed()
