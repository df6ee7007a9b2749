"""No answer ever holds a stack trace, SQL or a value the client sent: 422s say where and what,
500s give an id that leads to the log line, which itself quotes no value."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from referrals.app import create_app

from scripts.run_platform import sample_referral
from shared.http import connection
from tests.unit.hardened_app import (
    CHILD_NAME,
    NHS_NUMBER,
    SIGNED_IN,
    client_of,
    hardened_app,
    signed_in,
)

SOMETHING_WENT_WRONG = re.compile(
    r"Something went wrong on our side\. It has been logged with id "
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\."
)


async def _no_connection() -> AsyncIterator[None]:
    yield None  # never used: the body is refused before the route runs


async def test_a_422_names_the_fields_but_never_echoes_what_was_sent() -> None:
    app = signed_in(create_app())  # the real referrals service, with its own request model
    app.dependency_overrides[connection] = _no_connection
    body: dict[str, Any] = json.loads(json.dumps(sample_referral()))
    body["child"]["given_name"] = CHILD_NAME
    body["child"]["nhs_number"] = NHS_NUMBER[:-1] + "8"  # the wrong check digit
    del body["family_contact"]  # a missing field's error would quote its whole parent
    async with client_of(app) as client:
        response = await client.post("/v1/referrals", json=body, headers=SIGNED_IN)

    assert response.status_code == 422
    problems = {tuple(e["loc"]): e for e in response.json()["detail"]}
    assert "Modulus 11" in problems[("body", "child", "nhs_number")]["msg"]
    assert problems[("body", "family_contact")]["type"] == "missing"
    assert all(set(e) == {"loc", "msg", "type"} for e in problems.values())
    for sent in (NHS_NUMBER[:-1], CHILD_NAME, "LS6 2AB"):
        assert sent not in response.text


async def test_a_422_for_a_value_of_the_wrong_shape_does_not_quote_it() -> None:
    async with client_of(hardened_app()) as client:
        response = await client.post(
            "/v1/things",
            json={"given_name": CHILD_NAME, "nhs_number": "NHS 943 476", "postcode": "LS6 2AB"},
        )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "nhs_number"]
    assert "943 476" not in response.text
    assert CHILD_NAME not in response.text


async def test_an_unhandled_exception_is_a_500_with_an_id_and_no_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="shared.hardening"):
        async with client_of(hardened_app()) as client:
            response = await client.get("/v1/broken")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    found = SOMETHING_WENT_WRONG.fullmatch(response.json()["detail"])
    assert found is not None, response.text
    for leak in ("Traceback", "RuntimeError", "SELECT", "children", CHILD_NAME, "hardened_app"):
        assert leak not in response.text
    [record] = [r for r in caplog.records if r.name == "shared.hardening"]
    logged = record.getMessage()
    assert found.group(1) in logged
    assert "builtins.RuntimeError" in logged
    assert "in broken" in logged  # the traceback's frames
    assert "raise RuntimeError" in logged
    assert "GET /v1/broken" in logged
    assert CHILD_NAME not in logged  # the message quoted a name: it is never logged


async def test_a_database_error_escaping_a_route_gives_no_sql_or_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="shared.hardening"):
        async with client_of(hardened_app()) as client:
            response = await client.get("/v1/duplicate")

    assert response.status_code == 500
    found = SOMETHING_WENT_WRONG.fullmatch(response.json()["detail"])
    assert found is not None, response.text
    for leak in (NHS_NUMBER, "INSERT", "duplicate key", "nhs_number", "23505", "Unique"):
        assert leak not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "shared.hardening")
    assert found.group(1) in logged
    assert "UniqueViolationError (sqlstate 23505, table children" in logged
    assert "constraint children_nhs_number_key" in logged
    assert NHS_NUMBER not in logged
    assert "INSERT" not in logged


async def test_the_request_body_is_never_logged_with_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    child = {"given_name": CHILD_NAME, "nhs_number": NHS_NUMBER, "postcode": "LS6 2AB"}
    with caplog.at_level(logging.DEBUG):
        async with client_of(hardened_app()) as client:
            response = await client.post("/v1/broken", json=child)
    assert response.status_code == 500
    assert any(r.name == "shared.hardening" for r in caplog.records)
    for value in child.values():
        assert value not in caplog.text
        assert value not in response.text


async def test_a_database_outage_is_still_a_503_not_a_500() -> None:
    async with client_of(hardened_app()) as client:
        response = await client.get("/v1/unavailable")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
