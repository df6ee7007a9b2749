"""GOV.UK Notify posts a delivery receipt for every message sent, so FastAPI's work on each is
kept small (#25): one dependency to resolve (the callback token's scheme, which checks it) and
no serialising of the route's answer (the 204 is made by the route). What Notify and an
operator see is unchanged: the token checked first, a malformed receipt 422 naming the field,
the security headers and the request id on every answer, the scheme in the OpenAPI document."""

from __future__ import annotations

from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from notifications import receipts
from notifications.app import create_app
from notifications.config import CouncilMessaging, NotificationsSettings

UNUSED = "postgresql://unused@127.0.0.1:1/unused"
CALLBACK_TOKEN = "callback-token-for-tests-only"  # made up
NOT_OURS = {"id": "n-1", "reference": None, "status": "delivered", "notification_type": "email"}
SECURITY_HEADERS = (
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "cache-control",
    "content-security-policy",
    "x-request-id",
)


async def test_a_receipt_costs_fastapi_one_dependency_and_no_serialising(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(
        NotificationsSettings(
            database_url=UNUSED,
            council_messaging={"E08000035": CouncilMessaging(notify_callback_token=CALLBACK_TOKEN)},
        )
    )
    [route] = receipts.router.routes
    assert isinstance(route, APIRoute)
    assert route.path == "/v1/notify/receipts"
    [token] = route.dependant.dependencies  # the one FastAPI resolves
    assert isinstance(token.call, HTTPBearer)
    assert token.call.scheme_name == "Notify callback token"
    serialised: list[Any] = []
    real = fastapi.routing.serialize_response

    async def counted(**kwargs: Any) -> Any:
        serialised.append(kwargs)
        return await real(**kwargs)

    monkeypatch.setattr(fastapi.routing, "serialize_response", counted)
    bearer = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        taken = await client.post("/v1/notify/receipts", json=NOT_OURS, headers=bearer)
        malformed = await client.post(
            "/v1/notify/receipts", json={**NOT_OURS, "notification_type": "fax"}, headers=bearer
        )
        wrong_token = await client.post(
            "/v1/notify/receipts", json={}, headers={"Authorization": "Bearer wrong"}
        )

    assert serialised == []
    assert (taken.status_code, taken.content) == (204, b"")
    assert taken.headers["content-type"] == "application/json"
    assert malformed.status_code == 422
    assert [e["loc"] for e in malformed.json()["detail"]] == [["body", "notification_type"]]
    assert wrong_token.status_code == 401  # the token before the body
    assert wrong_token.headers["www-authenticate"] == "Bearer"
    for answer in (taken, malformed, wrong_token):
        assert all(name in answer.headers for name in SECURITY_HEADERS)
    operation = app.openapi()["paths"]["/v1/notify/receipts"]["post"]
    assert operation["security"] == [{"Notify callback token": []}]
    assert "204" in operation["responses"]
