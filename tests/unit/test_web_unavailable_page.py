"""A service that fails a page: the person reads words, the operator reads which service and
why, and no line carries the page's address (a family's or an adviser's holds their link)."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web import errors
from web.backends import Unavailable

LINK = "/family/secret-link-token"


def test_a_service_failing_a_page_is_logged_by_service_and_reason_never_by_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/family/{token}")
    async def family_page(token: str) -> None:
        raise Unavailable("referrals answered 503")

    with caplog.at_level(logging.WARNING, logger="web.errors"):
        response = TestClient(app).get(LINK)

    assert response.status_code == 503
    assert "Sorry, there is a problem with the service" in response.text
    assert "referrals answered 503" not in response.text
    lines = [r.getMessage() for r in caplog.records if r.name == "web.errors"]
    assert lines == ["page unavailable: referrals answered 503"]
    assert not any("secret-link-token" in r.getMessage() for r in caplog.records)
