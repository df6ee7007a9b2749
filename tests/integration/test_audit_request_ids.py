"""The audit trail records the server's id of each request, never one the caller chose: a
caseworker cannot file their reads under someone else's request. What the caller sent in
X-Request-ID is kept apart (``client_request_id``), shown to auditors, and only when it looks
like an id (real PostgreSQL, the referrals service in-process)."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.platform import IdentityProvider, migrations_of
from tests.conftest import Databases
from tests.integration.referrals_app import referral_body, referrals_service, signed_in

SOMEONE_ELSES = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"  # another request's id


@pytest.fixture(scope="module")
async def referrals_url(databases: Databases) -> str:
    return await databases.fresh("audit-request-ids", "referrals", migrations_of("referrals"))


async def _audited(
    referrals_url: str, identity: IdentityProvider, client_request_id: str
) -> tuple[str, list[dict[str, Any]]]:
    """Create a referral and read it, both sending ``client_request_id``; returns the read's
    answered X-Request-ID and the referral's audit rows, as an auditor sees them."""
    sent = {"X-Request-ID": client_request_id}
    async with referrals_service(referrals_url, identity, accept_test_nhs_numbers=True) as app:
        caseworker = await signed_in(app, identity, "leeds-caseworker")
        auditor = await signed_in(app, identity, "leeds-auditor")
        async with caseworker, auditor:
            created = await caseworker.post("/v1/referrals", json=referral_body(), headers=sent)
            assert created.status_code == 201, created.text
            referral_id = created.json()["id"]
            read = await caseworker.get(f"/v1/referrals/{referral_id}", headers=sent)
            assert read.status_code == 200, read.text
            trail = await auditor.get(f"/v1/audit?referral_id={referral_id}")
    assert trail.status_code == 200, trail.text
    return read.headers.get("X-Request-ID", "(none)"), trail.json()


async def test_an_audited_read_is_filed_under_the_servers_request_id_not_the_callers(
    referrals_url: str, identity: IdentityProvider
) -> None:
    answered, rows = await _audited(referrals_url, identity, SOMEONE_ELSES)

    (read,) = [r for r in rows if r["action"] == "read"]
    assert SOMEONE_ELSES not in {r["request_id"] for r in rows}
    assert read["request_id"] == answered
    assert read["client_request_id"] == SOMEONE_ELSES
    assert len({r["request_id"] for r in rows}) == len(rows)  # each request its own


@pytest.mark.parametrize(
    "sent", ["Ann Parent 2019-05-01", '=HYPERLINK("http://evil.example")', "r" * 129]
)
async def test_a_callers_request_id_that_is_not_an_id_is_not_kept(
    referrals_url: str, identity: IdentityProvider, sent: str
) -> None:
    answered, rows = await _audited(referrals_url, identity, sent)

    (read,) = [r for r in rows if r["action"] == "read"]
    assert sent not in {r["request_id"] for r in rows}
    assert read["request_id"] == answered
    assert {r.get("client_request_id") for r in rows} == {None}
