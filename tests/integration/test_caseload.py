"""The caseload as a caseworker finds children in it (real PostgreSQL, the application role,
row-level security): names and dates of birth on each row, a search by NHS number, reference
or name in a POST body (audited without what was searched for), the filters (deadlines at
risk or missed, a specialists registry entry, waiting for a specialist) from the projection
the specialists' events keep, and the child's details for the referral page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.events import AllocationEnded, DomainEvent, ReferralWaitlisted, SpecialistAssigned, wrap
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import (
    LEEDS,
    handled,
    nhs_number,
    referral_body,
    referrals_service,
    signed_in,
)

SLT = "speech_and_language_therapy"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("caseload", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, deadline_at_risk_days=10) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def bradford(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "bradford-caseworker") as client:
        yield client


async def _referral(client: httpx.AsyncClient, **kw: Any) -> dict[str, Any]:
    child = kw.pop("child", {})
    body = referral_body(**kw)
    body["child"].update(child)
    created = await client.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    return {**created.json(), "child": body["child"]}


async def _search(client: httpx.AsyncClient, text: str, **filters: Any) -> list[str]:
    found = await client.post("/v1/referrals/search", json={"text": text, **filters})
    assert found.status_code == 200, found.text
    return [item["id"] for item in found.json()["items"]]


async def _audit(owner_url: str, referral_id: str | None = None) -> list[dict[str, Any]]:
    conn = await owner_connection(owner_url)
    try:
        rows = await conn.fetch(
            """SELECT * FROM audit_log WHERE ($1::uuid IS NULL OR referral_id = $1)
               ORDER BY id""",
            referral_id,
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


async def _consume(app: FastAPI, event: DomainEvent, at: datetime | None = None) -> None:
    """A delivery of ``event`` (sent at ``at``) handled as referrals' consumer handles it."""
    envelope = wrap(event, source="/send-platform/specialists", local_authority=LEEDS)
    if at is not None:
        envelope = envelope.model_copy(update={"time": at})
    await handled(app, envelope)


async def test_caseload_rows_name_the_child_and_each_read_is_audited(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    made = await _referral(caseworker, child={"given_name": "Zofia", "date_of_birth": "2018-02-03"})
    page = (await caseworker.get("/v1/referrals", params={"limit": 200})).json()
    (row,) = [i for i in page["items"] if i["id"] == made["id"]]
    assert (row["given_name"], row["family_name"]) == ("Zofia", made["child"]["family_name"])
    assert row["date_of_birth"] == "2018-02-03"
    reads = [(a["action"], a["resource"]) for a in await _audit(owner_url, made["id"])]
    assert ("read", "caseload") in reads
    unknown = await caseworker.get("/v1/referrals", params={"colour": "red"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "colour"]


async def test_a_search_finds_by_nhs_number_reference_or_name_and_never_audits_the_text(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    number = nhs_number(101)
    made = await _referral(
        caseworker,
        child={"given_name": "Siân", "family_name": "Nguyễn-Hale", "nhs_number": number},
    )
    other = await _referral(caseworker, child={"given_name": "Sian", "family_name": "Brook"})
    irish = await _referral(
        caseworker, child={"given_name": "Aoife", "family_name": "O\u2019Brien"}
    )
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert await _search(caseworker, spaced) == [made["id"]]
    assert await _search(caseworker, made["id"][:8].upper()) == [made["id"]]
    assert await _search(caseworker, made["id"]) == [made["id"]]
    # Words in any order, each the start of a word of the name, case and accents as written.
    assert await _search(caseworker, "hale siân") == [made["id"]]
    assert await _search(caseworker, "NGUYỄN") == [made["id"]]
    assert set(await _search(caseworker, "Sian")) == {other["id"]}  # not Siân: not the same
    assert await _search(caseworker, "ale") == []  # inside a word: no
    assert await _search(caseworker, "brien aoi") == [irish["id"]]  # after an apostrophe
    assert await _search(caseworker, "%_") == []  # LIKE's wildcards are letters here
    assert await _search(caseworker, "--") == []  # nothing to look for finds nothing
    assert await _search(caseworker, spaced, track="ehc") == []  # with the caseload's filters

    before = len(await _audit(owner_url))
    await _search(caseworker, spaced)
    rows = (await _audit(owner_url))[before:]
    assert [(r["action"], r["resource"], r["referral_id"]) for r in rows] == [
        ("search", "caseload", None),
        ("search", "caseload", UUID(made["id"])),
    ]
    everything = repr(await _audit(owner_url))
    for text in (number, spaced, "Nguy", "hale"):  # (the ids found are audited, as ids)
        assert text not in everything

    in_url = await caseworker.get("/v1/referrals", params={"text": number})
    assert in_url.status_code == 422  # a search never goes in a URL
    short = await caseworker.post("/v1/referrals/search", json={"text": "a"})
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "text"]


async def test_a_search_and_the_childs_details_stay_in_the_council(
    caseworker: httpx.AsyncClient, bradford: httpx.AsyncClient, owner_url: str
) -> None:
    number = nhs_number(202)
    made = await _referral(
        caseworker,
        child={"nhs_number": number, "postcode": "ls6 2ab", "school_urn": "107958"},
    )
    assert await _search(bradford, number) == []
    assert await _search(bradford, made["id"][:8]) == []
    theirs = await bradford.get(f"/v1/referrals/{made['id']}/child")
    assert theirs.status_code == 404

    child = await caseworker.get(f"/v1/referrals/{made['id']}/child")
    assert child.status_code == 200, child.text
    assert child.json() == {
        "given_name": made["child"]["given_name"],
        "family_name": made["child"]["family_name"],
        "date_of_birth": "2019-05-01",
        "nhs_number": number,
        "postcode": "LS6 2AB",
        "school_urn": "107958",
        "upn": None,
        "erased": False,
        "decides": "parent",  # a child under compulsory school age (s83)
        # A young person's own decisions (s83, s80): none for a child a caseworker referred.
        "sharing_consent": None,
        "representative": None,
        "representative_reason": None,
        "representative_since": None,
    }
    reads = [(a["action"], a["resource"]) for a in await _audit(owner_url, made["id"])]
    assert reads.count(("read", "child")) == 1  # Bradford's 404 read nothing
    view = (await caseworker.get(f"/v1/referrals/{made['id']}")).json()
    assert number not in repr(view)
    assert made["child"]["given_name"] not in repr(view)


async def test_deadline_filters_find_those_at_risk_or_missed(
    caseworker: httpx.AsyncClient, today: date
) -> None:
    missed = await _referral(caseworker, track="ehc", received_on=today - timedelta(weeks=7))
    at_risk = await _referral(
        caseworker, track="ehc", received_on=today - timedelta(weeks=6) + timedelta(days=4)
    )
    fine = await _referral(caseworker, track="ehc", received_on=today)

    async def ids(*states: str) -> set[str]:
        page = await caseworker.get("/v1/referrals", params={"deadline": states, "limit": 200})
        assert page.status_code == 200, page.text
        return {i["id"] for i in page.json()["items"]}

    found_missed, found_at_risk = await ids("missed"), await ids("at_risk")
    either = await ids("missed", "at_risk")
    assert missed["id"] in found_missed
    assert at_risk["id"] not in found_missed
    assert at_risk["id"] in found_at_risk
    assert missed["id"] not in found_at_risk
    assert {missed["id"], at_risk["id"]} <= either
    assert fine["id"] not in either
    bad = await caseworker.get("/v1/referrals", params={"deadline": "late"})
    assert bad.status_code == 422


async def test_team_and_waiting_filters_follow_the_specialists_events_in_any_order(
    app: FastAPI, caseworker: httpx.AsyncClient
) -> None:
    team, other_team = uuid4(), uuid4()
    with_team = UUID((await _referral(caseworker))["id"])
    waiting = UUID((await _referral(caseworker))["id"])
    late_wait = UUID((await _referral(caseworker))["id"])
    now = datetime.now(UTC)

    def assigned(referral_id: UUID, allocation_id: UUID, specialist: UUID) -> SpecialistAssigned:
        return SpecialistAssigned(
            referral_id=referral_id, allocation_id=allocation_id, specialist_id=specialist,
            plan_id=uuid4(), specialism=SLT, local_authority=LEEDS, same_district=True,
        )  # fmt: skip

    def waitlisted(referral_id: UUID) -> ReferralWaitlisted:
        return ReferralWaitlisted(
            referral_id=referral_id, plan_id=uuid4(), specialism=SLT, local_authority=LEEDS
        )

    allocation = uuid4()
    await _consume(app, assigned(with_team, allocation, team))
    await _consume(app, assigned(with_team, allocation, team))  # again
    await _consume(app, waitlisted(waiting))
    # A wait whose end (an allocation from the waitlist, a second later) was consumed first.
    await _consume(app, assigned(late_wait, uuid4(), other_team), now)
    await _consume(app, waitlisted(late_wait), now - timedelta(seconds=1))

    async def ids(**filters: Any) -> list[UUID]:
        page = await caseworker.get("/v1/referrals", params={**filters, "limit": 200})
        assert page.status_code == 200, page.text
        return [UUID(i["id"]) for i in page.json()["items"]]

    assert await ids(team=str(team)) == [with_team]
    assert await ids(team=str(other_team)) == [late_wait]
    assert await ids(waiting="true") == [waiting]
    assert await ids(team=str(team), waiting="true") == []

    # The place ends: no longer with the team. An end consumed before its start stays ended.
    ended = AllocationEnded(
        referral_id=with_team, allocation_id=allocation, specialist_id=team, specialism=SLT,
        local_authority=LEEDS, reason="support_completed",
    )  # fmt: skip
    await _consume(app, ended)
    assert await ids(team=str(team)) == []
    early = uuid4()
    await _consume(
        app,
        ended.model_copy(update={"allocation_id": early, "referral_id": waiting}),
    )
    await _consume(app, assigned(waiting, early, team))
    assert await ids(team=str(team)) == []
    assert await ids(waiting="true") == []  # the place came from the waitlist

    # A referral closed for support no longer waits (specialists took it off its waitlist).
    await _consume(app, waitlisted(with_team))
    assert await ids(waiting="true") == [with_team]
    closed = await caseworker.post(
        f"/v1/referrals/{with_team}/close", json={"reason": "family_declined"}
    )
    assert closed.status_code == 200, closed.text
    assert await ids(waiting="true", include_closed="true") == []


async def test_the_next_deadline_follows_each_step(
    caseworker: httpx.AsyncClient, today: date
) -> None:
    made = await _referral(caseworker, track="ehc", received_on=today - timedelta(days=3))

    async def row() -> dict[str, Any]:
        found = await caseworker.post(
            "/v1/referrals/search", json={"text": made["id"], "include_closed": True}
        )
        (item,) = found.json()["items"]
        return dict(item)

    first = await row()
    assert (first["next_deadline"], first["next_due_on"]) == (
        "decision", str(today - timedelta(days=3) + timedelta(weeks=6)),
    )  # fmt: skip
    decided = await caseworker.post(
        f"/v1/referrals/{made['id']}/assessment-decision",
        json={"decision": "assess", "decided_on": str(today)},
    )
    assert decided.status_code == 200, decided.text
    assert (await row())["next_deadline"] == "issue_decision"
    refused = await _referral(caseworker, track="ehc", received_on=today)
    await caseworker.post(
        f"/v1/referrals/{refused['id']}/assessment-decision",
        json={"decision": "refuse", "decided_on": str(today),
              "reason": "no_evidence_of_special_educational_needs"},
    )  # fmt: skip
    page = (await caseworker.get("/v1/referrals", params={"limit": 200})).json()
    assert refused["id"] not in {i["id"] for i in page["items"]}  # ended: off the caseload


async def test_an_erased_childs_name_is_found_no_more(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    made = await _referral(caseworker, child={"given_name": "Wilhelmina", "family_name": "Quist"})
    assert await _search(caseworker, "wilhelmina quist") == [made["id"]]
    conn = await owner_connection(owner_url)
    try:  # as retention erases a child's details (referrals.retention)
        await conn.execute(
            """UPDATE children SET given_name = 'erased', family_name = 'erased',
                   name_key = 'erased', nhs_number = NULL, erased_at = now()
               WHERE id = (SELECT child_id FROM referrals WHERE id = $1)""",
            UUID(made["id"]),
        )
        words = await conn.fetchval(
            "SELECT count(*) FROM child_name_words w JOIN referrals r ON r.child_id = w.child_id"
            " WHERE r.id = $1",
            UUID(made["id"]),
        )
    finally:
        await conn.close()
    assert words == 0
    assert await _search(caseworker, "wilhelmina") == []
    assert await _search(caseworker, "erased") == []
    (row,) = [
        i
        for i in (await caseworker.get("/v1/referrals", params={"limit": 200})).json()["items"]
        if i["id"] == made["id"]
    ]
    assert (row["given_name"], row["family_name"]) == (None, None)
    child = (await caseworker.get(f"/v1/referrals/{made['id']}/child")).json()
    assert (child["given_name"], child["erased"]) == (None, True)
