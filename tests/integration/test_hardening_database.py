"""A real PostgreSQL error escaping a route reaches the client as a 500 with an error id,
never the SQL or the value PostgreSQL quotes back."""

from __future__ import annotations

import logging

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.config import ReferralsSettings

from shared.hardening import harden
from shared.http import install_error_handlers

NHS_NUMBER = "9434765919"


def _app(pool: asyncpg.Pool) -> FastAPI:
    app = FastAPI()

    @app.post("/children")
    async def add_child_twice() -> None:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TEMP TABLE children (nhs_number text PRIMARY KEY)")
            insert = "INSERT INTO children (nhs_number) VALUES ($1)"
            await conn.execute(insert, NHS_NUMBER)
            await conn.execute(insert, NHS_NUMBER)  # a duplicate key

    install_error_handlers(app)
    harden(app, ReferralsSettings())
    return app


async def test_a_unique_violation_gives_a_500_without_sql_or_the_value(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=_app(pool))
    with caplog.at_level(logging.ERROR, logger="shared.hardening"):
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            response = await client.post("/children")

    assert response.status_code == 500
    assert response.json()["detail"].startswith("Something went wrong on our side.")
    for leak in (NHS_NUMBER, "INSERT", "children", "duplicate key", "Traceback"):
        assert leak not in response.text
    logged = caplog.text
    assert "asyncpg.exceptions.UniqueViolationError (sqlstate 23505" in logged
    assert "constraint children_pkey" in logged
    assert NHS_NUMBER not in logged
