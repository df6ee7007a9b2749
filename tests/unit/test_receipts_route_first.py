"""GOV.UK Notify posts a delivery receipt for every message sent: its route is the first a
request is matched against (#25: matching it after the docs', operations', audit's and
caseworkers' routes was ~15% of the receipt's HTTP CPU). Every other route still answers."""

from __future__ import annotations

import httpx
from notifications.app import create_app
from notifications.config import NotificationsSettings
from starlette.routing import Match

UNUSED = "postgresql://unused@127.0.0.1:1/unused"


async def test_a_receipt_is_matched_first_and_other_routes_still_answer() -> None:
    app = create_app(NotificationsSettings(database_url=UNUSED))
    scope = {"type": "http", "method": "POST", "path": "/v1/notify/receipts", "root_path": ""}
    match, _ = app.router.routes[0].matches(scope)
    assert match is Match.FULL
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        refused = await client.post(
            "/v1/notify/receipts", json={}, headers={"Authorization": "Bearer wrong"}
        )
        live = await client.get("/health/live")
        caseworkers = await client.get(
            "/v1/referrals/00000000-0000-0000-0000-000000000001/notifications"
        )
    assert refused.status_code == 401
    assert live.status_code == 200
    assert caseworkers.status_code == 401  # not signed in
    assert "/v1/notify/receipts" in app.openapi()["paths"]
