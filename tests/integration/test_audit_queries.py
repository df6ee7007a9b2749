"""Auditors query the audit trail by referral, actor and time (``from`` inclusive, ``to``
exclusive), newest first, their own council's rows only (real PostgreSQL, the referrals
service in-process, signed in through the development identity provider)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote
from uuid import uuid4

import pytest

from scripts.platform import IdentityProvider, migrations_of
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import BRADFORD, LEEDS, referrals_service, signed_in

REFERRAL, OTHER = uuid4(), uuid4()
ROWS = [  # request_id names each row; (actor, council, referral, when)
    ("a1", "alice", LEEDS, REFERRAL, datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("b2", "bob", LEEDS, OTHER, datetime(2026, 1, 2, 10, tzinfo=UTC)),
    ("a3", "alice", LEEDS, OTHER, datetime(2026, 1, 3, 10, tzinfo=UTC)),
    ("x2", "alice", BRADFORD, REFERRAL, datetime(2026, 1, 2, 10, tzinfo=UTC)),
]


@pytest.fixture(scope="module")
async def referrals_url(databases: Databases) -> str:
    url = await databases.fresh("audit-queries", "referrals", migrations_of("referrals"))
    owner = await owner_connection(url)
    try:
        await owner.executemany(
            """INSERT INTO audit_log (request_id, actor, roles, local_authority, referral_id,
                   at, action, resource)
               VALUES ($1, $2, '{caseworker}', $3, $4, $5, 'read', 'referral')""",
            ROWS,
        )
    finally:
        await owner.close()
    return url


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["a3", "b2", "a1"]),
        ("actor=alice", ["a3", "a1"]),
        ("actor=nobody", []),
        ("from=2026-01-02T10:00:00Z", ["a3", "b2"]),  # from: inclusive
        ("to=2026-01-02T10:00:00Z", ["a1"]),  # to: exclusive
        ("from=2026-01-01T12:00:00Z&to=2026-01-03T00:00:00Z", ["b2"]),
        ("actor=alice&from=2026-01-02T00:00:00%2B00:00", ["a3"]),
        (f"referral_id={REFERRAL}", ["a1"]),  # Bradford's row on it is not Leeds's to see
        (f"referral_id={OTHER}&actor=bob&to=2026-01-05T00:00:00Z", ["b2"]),
    ],
)
async def test_the_audit_trail_filters_by_referral_actor_and_time(
    referrals_url: str, identity: IdentityProvider, query: str, expected: list[str]
) -> None:
    async with referrals_service(referrals_url, identity) as app:
        auditor = await signed_in(app, identity, "leeds-auditor")
        async with auditor:
            response = await auditor.get(f"/v1/audit?{query}")
    assert response.status_code == 200, response.text
    assert [e["request_id"] for e in response.json()] == expected


async def test_a_filter_that_is_not_a_time_is_refused_with_422(
    referrals_url: str, identity: IdentityProvider
) -> None:
    async with referrals_service(referrals_url, identity) as app:
        auditor = await signed_in(app, identity, "leeds-auditor")
        async with auditor:
            for query in ("from=yesterday", "to=2026-13-01", f"actor={'x' * 201}"):
                assert (await auditor.get(f"/v1/audit?{query}")).status_code == 422, query


async def test_paging_with_before_id_walks_entries_that_share_a_time_once_each(
    databases: Databases, identity: IdentityProvider
) -> None:
    """One request audits many entries at one time (a caseload page reads 50 referrals in one
    transaction): ``to`` alone would skip the rest of them on the next page."""
    url = await databases.fresh("audit-paging", "referrals", migrations_of("referrals"))
    at = datetime(2026, 2, 1, 9, tzinfo=UTC)
    owner = await owner_connection(url)
    try:
        await owner.executemany(
            """INSERT INTO audit_log (request_id, actor, roles, local_authority, referral_id,
                   at, action, resource)
               VALUES ($1, 'carol', '{caseworker}', $2, $3, $4, 'read', 'caseload')""",
            [(f"t{n}", LEEDS, uuid4(), at) for n in range(7)]
            + [("earlier", LEEDS, uuid4(), datetime(2026, 1, 31, tzinfo=UTC))],
        )
    finally:
        await owner.close()
    seen: list[str] = []
    async with referrals_service(url, identity) as app:
        auditor = await signed_in(app, identity, "leeds-auditor")
        async with auditor:
            query = "actor=carol&limit=3"
            while True:
                page = (await auditor.get(f"/v1/audit?{query}")).json()
                seen += [e["request_id"] for e in page]
                if len(page) < 3:
                    break
                last = page[-1]
                query = f"actor=carol&limit=3&to={quote(last['at'])}&before_id={last['id']}"
            refused = await auditor.get("/v1/audit?before_id=3")
    assert sorted(seen[:7]) == [f"t{n}" for n in range(7)]
    assert seen[7:] == ["earlier"]
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "before_id"]
