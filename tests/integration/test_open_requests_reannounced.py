"""Open requests brought in before ``open-request-imported`` existed, announced to plans again
(``POST /v1/live-plans/open-requests/reannounce``, issue #22), on real PostgreSQL: each request
of the manager's councils gets its ``open-request-imported`` again in the outbox, as the
earlier system left it (steps taken here since are left out: plans takes them from their own
events), then the child's name; audited as the manager; other councils' requests untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS, outbox_events, referrals_service, signed_in

IMPORT = "/v1/live-plans/open-requests/import"
PATH = "/v1/live-plans/open-requests/reannounce"
ADVICE = ["parent", "educational", "medical", "educational_psychology", "social_care"]
IMPORTED = "referrals.open-request-imported.v1"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("open_requests_again", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


def day(days_ago: int) -> date:
    """The day ``days_ago`` days before today (London's, read at each call)."""
    return london_today() - timedelta(days=days_ago)


def _request(case_id: str, given: str, **steps: Any) -> dict[str, Any]:
    return {
        "case_id": case_id, "local_authority": LEEDS,
        "child": {"given_name": given, "family_name": "Againson", "date_of_birth": "2016-05-06",
                  "postcode": "LS7 1AA"},
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "requested_by": "school", "received_on": str(day(130)), "needs": ["ASD", "SLCN"],
        "assessment_decision": "assess", "assessment_decided_on": str(day(95)),
        "advice_kinds": ADVICE, "advice_requested_on": str(day(90)), **steps,
    }  # fmt: skip


async def _audited(owner_url: str, referral_id: str) -> list[tuple[list[str], str, str]]:
    conn = await owner_connection(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT roles, action, resource FROM audit_log WHERE referral_id = $1", referral_id
        )
    finally:
        await conn.close()
    return [(list(r["roles"]), r["action"], r["resource"]) for r in rows]


async def test_each_request_is_announced_again_as_the_earlier_system_left_it(
    app: FastAPI, identity: IdentityProvider, owner_url: str
) -> None:
    assessing = _request(
        "LCC-AGAIN-1", "Ava",
        advice_received={"parent": str(day(60)), "medical": str(day(50))},
    )  # fmt: skip
    drafted = _request(
        "LCC-AGAIN-2", "Bo", advice_received_on=str(day(50)), plan_decision="issue",
        plan_decided_on=str(day(30)), draft_issued_on=str(day(10)),
    )  # fmt: skip
    async with await signed_in(app, identity, "leeds-manager") as manager:
        made = await manager.post(IMPORT, json={"requests": [assessing, drafted]})
        assert made.status_code == 200, made.text
        ids = {r["case_id"]: r["referral_id"] for r in made.json()["requests"]}
        first, second = ids["LCC-AGAIN-1"], ids["LCC-AGAIN-2"]
        # Taken here since: advice received and the decision to issue (plans takes these from
        # their own events; the announcement leaves them out).
        async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
            for step, body in (
                ("advice-requests/educational/received", {"received_on": str(day(2))}),
                ("plan-decision", {"decision": "issue", "decided_on": str(day(1))}),
            ):
                taken = await caseworker.post(f"/v1/referrals/{first}/{step}", json=body)
                assert taken.status_code == 200, taken.text
        before = {rid: len(await outbox_events(owner_url, rid)) for rid in (first, second)}

        answer = await manager.post(PATH)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"announced": 2}

    again = (await outbox_events(owner_url, first))[before[first] :]
    assert [topic for topic, _ in again] == [IMPORTED, "referrals.child-identified.v1"]
    announced = again[0][1]
    assert [(a["kind"], a["received_on"]) for a in announced["advice_received"]] == [
        ("parent", str(day(60))), ("medical", str(day(50)))
    ]  # fmt: skip
    assert (announced["plan_decision"], announced["draft_issued_on"]) == (None, None)
    assert announced["needs"] == ["ASD", "SLCN"]
    assert announced["received_on"] == str(day(130))
    assert again[1][1]["given_name"] == "Ava"
    # The same as the import sent for a request with no step taken here since.
    sent = await outbox_events(owner_url, second)
    # (Advice received on one day comes in the kinds' order: the order asked for is not kept.)
    for _, event in (sent[0], sent[before[second]]):
        event["advice_received"].sort(key=lambda a: a["kind"])
    assert sent[before[second]] == sent[0]
    assert sent[0][0] == IMPORTED
    assert sent[0][1]["draft_issued_on"] == str(day(10))
    audited = await _audited(owner_url, first)
    again_audited = [roles for roles, a, r in audited if (a, r) == ("reannounce", "open-request")]
    assert len(again_audited) == 1
    assert "manager" in again_audited[0]


async def test_a_caseworker_cannot_announce_requests_again(
    app: FastAPI, identity: IdentityProvider
) -> None:
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        refused = await caseworker.post(PATH)
    assert refused.status_code == 403
