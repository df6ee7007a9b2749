"""Every answer carries the server's own request id in X-Request-ID, a new one per request,
whatever the caller sent and whatever the answer (a route's, a 422, a 500, a 429)."""

from __future__ import annotations

from uuid import UUID

import pytest

from shared.request_ids import client_request_id
from tests.unit.hardened_app import client_of, hardened_app


async def test_every_answer_carries_a_new_server_request_id_whatever_the_caller_sent() -> None:
    app = hardened_app(rate_limit_post="1/minute")
    seen: set[str] = set()
    async with client_of(app) as http:
        for method, path in [("GET", "/v1/things"), ("GET", "/v1/broken"),
                             ("POST", "/v1/things"), ("POST", "/v1/things")]:  # fmt: skip
            response = await http.request(
                method, path, json={}, headers={"X-Request-ID": "chosen-by-the-caller"}
            )
            request_id = response.headers["X-Request-ID"]
            assert UUID(request_id).version == 4, (path, response.status_code)
            seen.add(request_id)
    assert len(seen) == 4  # answered 200, 500, 422 and 429, each its own


@pytest.mark.parametrize(
    "value",
    ["3f2c0d9e-5a1b-4c8e-9f00-1234567890ab", "01J9ZK6V3QG8N4X2", "req-42:retry/1", "a" * 128],
)
def test_a_callers_request_id_that_looks_like_an_id_is_kept(value: str) -> None:
    assert client_request_id(value) == value


@pytest.mark.parametrize(
    "value",
    ["Ann Parent", "=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "a" * 129, "", "é1",
     "ok\n", "a;b"],
)  # fmt: skip
def test_a_callers_request_id_that_is_not_an_id_is_dropped(value: str) -> None:
    assert client_request_id(value) is None
