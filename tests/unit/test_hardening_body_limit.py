"""Request bodies over MAX_REQUEST_BYTES are refused with 413, whether declared by
Content-Length or streamed in chunks, and a streamed one is not read past the cap."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.types import Message

from tests.unit.hardened_app import client_of, hardened_app

CAP = 1024


async def test_a_body_declared_larger_than_the_cap_is_refused_unread() -> None:
    async with client_of(hardened_app(max_request_bytes=CAP)) as client:
        response = await client.post("/v1/sizes", content=b"x" * (CAP + 1))
        at_the_cap = await client.post("/v1/sizes", content=b"x" * CAP)

    assert response.status_code == 413
    assert response.json() == {"detail": f"The request body is larger than {CAP} bytes."}
    assert at_the_cap.status_code == 200
    assert at_the_cap.json() == {"bytes": CAP}


async def test_a_route_that_takes_a_document_has_the_upload_cap_and_no_other_route_has() -> None:
    app = hardened_app(
        max_request_bytes=CAP, max_upload_bytes=4 * CAP, uploads=(r"/v1/uploads/[^/]+/sizes",)
    )
    async with client_of(app) as client:
        document = await client.post("/v1/uploads/7/sizes", content=b"x" * (4 * CAP))
        too_big = await client.post("/v1/uploads/7/sizes", content=b"x" * (4 * CAP + 1))
        elsewhere = await client.post("/v1/sizes", content=b"x" * (CAP + 1))
        beneath = await client.post("/v1/uploads/7/sizes/more", content=b"x" * (CAP + 1))

    assert document.json() == {"bytes": 4 * CAP}
    assert too_big.status_code == 413
    assert too_big.json() == {"detail": f"The request body is larger than {4 * CAP} bytes."}
    assert (elsewhere.status_code, beneath.status_code) == (413, 413)


async def _call(
    app: FastAPI,
    chunks: list[bytes],
    path: str = "/v1/sizes",
    headers: tuple[tuple[bytes, bytes], ...] = ((b"transfer-encoding", b"chunked"),),
) -> tuple[list[Message], int]:
    """One POST as the server hands it over, message by message (chunked unless ``headers``
    say otherwise); returns what the app sent and how many body messages it asked for."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"service"), (b"content-type", b"application/json"), *headers],
        "client": ("192.0.2.10", 50000),
        "server": ("service", 80),
    }
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        if pulled == len(chunks):
            await asyncio.Event().wait()  # a server waits for a disconnect that never comes
        pulled += 1
        return {
            "type": "http.request",
            "body": chunks[pulled - 1],
            "more_body": pulled < len(chunks),
        }

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent, pulled


@pytest.mark.parametrize(
    "path",
    [
        "/v1/sizes",  # a route reading the body itself: the read raises
        "/v1/things",  # a body model: FastAPI turns the failed read into a 400, replaced
    ],
)
async def test_a_streamed_body_past_the_cap_is_refused_and_not_read_further(path: str) -> None:
    app = hardened_app(max_request_bytes=CAP)
    chunks = [b"x" * 400] * 10  # 4,000 bytes; the cap is passed in the third chunk

    sent, pulled = await _call(app, chunks, path)

    assert pulled == 3
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 413
    assert b"larger than 1024 bytes" in sent[1]["body"]


async def test_a_declared_length_past_the_cap_is_refused_before_the_route_runs() -> None:
    app = hardened_app(max_request_bytes=CAP)
    declared = ((b"content-length", b"4000"),)

    sent, pulled = await _call(app, [b"x" * 4000], headers=declared)

    assert pulled == 0
    assert sent[0]["status"] == 413


async def test_a_streamed_body_within_the_cap_reaches_the_route() -> None:
    sent, pulled = await _call(hardened_app(max_request_bytes=CAP), [b"x" * 512, b"x" * 512])
    assert pulled == 2
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b'{"bytes":1024}'


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """``app`` on a real uvicorn server on a free local port, for the test's duration."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110  # uvicorn has a flag, no event
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_a_chunked_upload_past_the_cap_is_refused_by_a_real_server() -> None:
    async def body(chunks: int) -> AsyncIterator[bytes]:
        for _ in range(chunks):
            yield b"x" * 400

    async with (
        serving(hardened_app(max_request_bytes=CAP)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        refused = await client.post("/v1/sizes", content=body(10))
        declared = await client.post("/v1/sizes", content=b"x" * 200_000)
        accepted = await client.post("/v1/sizes", content=body(2))

    assert refused.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in refused.request.headers
    assert refused.status_code == 413
    assert refused.json() == {"detail": f"The request body is larger than {CAP} bytes."}
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert declared.status_code == 413
    assert accepted.status_code == 200
    assert accepted.json() == {"bytes": 800}
