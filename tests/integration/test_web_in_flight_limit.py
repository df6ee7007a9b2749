"""The workspace, like the event services, answers any request past ``HTTP_IN_FLIGHT`` 503 with
``Retry-After`` at once, below the application (issue #25): the workspace under uvicorn on real
PostgreSQL, three sign-out forms held in flight (their bodies half sent), then a page and a
form. The probes and ``/metrics`` still answer, the held forms are served once their bodies
arrive, and the process serves pages again."""

from __future__ import annotations

import httpx
from web.app import create_app
from web.config import WebSettings

from scripts.platform import migrations_of
from shared.services import LOCAL_SERVICE_USER, with_user
from tests.conftest import Databases
from tests.integration.conftest import wait_for
from tests.integration.messaging import serving
from tests.integration.test_in_flight_limit import HeldRequest, metric

HELD = 3
FORM = b"csrf=not-this-sessions&x=" + b"1" * 64


async def test_past_its_bound_the_workspace_answers_503_with_retry_after_and_recovers(
    databases: Databases,
) -> None:
    url = await databases.fresh("web_in_flight", "web", migrations_of("web"))
    app = create_app(
        WebSettings(
            database_url=with_user(url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER),
            http_in_flight=HELD,
        )
    )
    held = [
        HeldRequest("/sign-out", "application/x-www-form-urlencoded", FORM) for _ in range(HELD)
    ]
    async with (
        app.router.lifespan_context(app),
        serving(app) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        port = int(base_url.rsplit(":", 1)[1])
        try:
            for request in held:
                await request.start(port)

            async def all_held() -> bool:
                return await metric(client, "send_http_in_flight") == HELD

            await wait_for(all_held, timeout_s=30, what=f"{HELD} forms in flight")
            refused_page = await client.get("/accessibility")
            refused_form = await client.post("/sign-out", data={"csrf": "x"})
            live = await client.get("/health/live")
            ready = await client.get("/health/ready")
            refusals = await metric(client, "send_http_refused_total")

            statuses = [await request.finish() for request in held]

            async def none_in_flight() -> bool:
                return await metric(client, "send_http_in_flight") == 0

            await wait_for(none_in_flight, timeout_s=30, what="the held forms answered")

            async def loop_lag_measured() -> bool:  # the workspace's loop, as the services'
                return (await metric(client, "send_event_loop_lag_seconds_count") or 0) > 0

            await wait_for(loop_lag_measured, timeout_s=30, what="its event loop's lag measured")
            served = await client.get("/accessibility")
            metrics = (await client.get("/metrics")).text
        finally:
            for request in held:
                await request.close()

    assert refused_page.status_code == 503
    assert refused_page.headers["retry-after"] == "1"
    assert "busy" in refused_page.json()["detail"]
    assert refused_form.status_code == 503
    assert refusals == 2
    # The probes are how an overload is seen: never refused.
    assert live.status_code == 200
    assert ready.status_code == 200, ready.text
    # Served, not refused: each form read whole and turned away by the route itself (400: not
    # this session's CSRF token), never by the bound.
    assert statuses == [400] * HELD
    assert served.status_code == 200
    assert 'send_db_pool_max_connections{pool="http"} 10.0' in metrics  # its one pool
