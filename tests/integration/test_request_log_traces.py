"""Every line a service writes while it handles a request carries the request's trace_id and
span_id (the FastAPI instrumentation's span is current), as every line written while it
handles an event does (tests/integration/test_operator_signals.py)."""

from __future__ import annotations

import json

import pytest

from scripts.platform import IdentityProvider, migrations_of
from shared.logs import configure_logging
from tests.conftest import Databases
from tests.events import referral_request
from tests.integration.referrals_app import referrals_service, signed_in
from tests.logging_state import restored_logging


async def test_every_line_written_while_a_request_is_handled_carries_its_trace(
    databases: Databases, identity: IdentityProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await databases.fresh("request_log_traces", "referrals", migrations_of("referrals"))
    with restored_logging():
        async with referrals_service(url, identity, accept_test_nhs_numbers=True) as app:
            configure_logging("referrals", "INFO")  # after the app's own: JSON on stderr
            async with await signed_in(app, identity, "leeds-caseworker") as client:
                capsys.readouterr()
                created = await client.post("/v1/referrals", json=referral_request())
                written = capsys.readouterr().err
    assert created.status_code == 201, created.text
    lines = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    # The test's own client logs its call after the answer, outside the service.
    served = [line for line in lines if "http://test/" not in line["message"]]
    assert served, "the service wrote nothing while handling the request"
    assert [line["message"] for line in served if "trace_id" not in line] == []
    assert len({line["trace_id"] for line in served}) == 1
    assert all(len(line["span_id"]) == 16 for line in served)
