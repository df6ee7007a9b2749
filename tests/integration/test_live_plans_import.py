"""Bringing a council's plans in force into referrals (real PostgreSQL, the application role,
row-level security): CSV and JSON, all or nothing with every bad row named by its place and
field, the same file twice changes nothing, each plan audited through its event, in the
caseload with its next annual review as its deadline, and other councils' plans refused."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months, london_today
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import (
    BRADFORD,
    LEEDS,
    nhs_number,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)

PATH = "/v1/live-plans/import"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("live_plans", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def manager(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-manager") as client:
        yield client


def plan(**changes: Any) -> dict[str, Any]:
    """A plan in force to bring in, issued 400 days and last reviewed 30 days before today."""
    marker, today = uuid4().hex[:8], london_today()
    item: dict[str, Any] = {
        "case_id": f"LCC-{marker}",
        "local_authority": LEEDS,
        "child": {
            "given_name": f"Given{marker}",
            "family_name": f"Family{marker}",
            "date_of_birth": "2015-03-04",
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "needs": ["ASD", "SLCN"],
        "issued_on": str(today - timedelta(days=400)),
        "last_reviewed_on": str(today - timedelta(days=30)),
        "setting_urn": "107958",
    }
    item.update(changes)
    return item


def as_csv(*plans: dict[str, Any]) -> str:
    out = io.StringIO()
    columns = ["case_id", "local_authority", "child_given_name", "child_family_name",
               "child_date_of_birth", "child_nhs_number", "child_postcode", "contact_name",
               "contact_email", "needs", "issued_on", "last_reviewed_on", "next_review_on",
               "setting_urn", "review_meeting_on"]  # fmt: skip
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for p in plans:
        child, contact = p["child"], p["family_contact"]
        writer.writerow(
            [p["case_id"], p["local_authority"], child["given_name"], child["family_name"],
             child["date_of_birth"], child.get("nhs_number", ""), child["postcode"],
             contact["name"], contact["email"], " ".join(p["needs"]), p["issued_on"],
             p.get("last_reviewed_on", ""), p.get("next_review_on", ""), p.get("setting_urn", ""),
             p.get("review_meeting_on", "")]
        )  # fmt: skip
    return out.getvalue()


async def _count(owner_url: str, sql: str, *args: Any) -> int:
    conn = await owner_connection(owner_url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


async def test_a_csv_file_is_brought_in_with_reviews_in_the_caseload_and_audited(
    manager: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    reviewed = plan(child={**plan()["child"], "nhs_number": nhs_number(701)})
    overdue = plan(last_reviewed_on=None, issued_on=str(today - timedelta(days=380)))
    text = as_csv(reviewed, overdue)
    answer = await manager.post(PATH, content=text, headers={"content-type": "text/csv"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["added"], report["unchanged"]) == (2, 0)
    ids = {p["case_id"]: p["referral_id"] for p in report["plans"]}

    caseload = (await manager.get("/v1/referrals", params={"limit": 200})).json()["items"]
    rows = {i["id"]: i for i in caseload}
    due = add_months(today - timedelta(days=30), 12)
    assert rows[ids[reviewed["case_id"]]]["next_deadline"] == "review_meeting"
    assert rows[ids[reviewed["case_id"]]]["next_due_on"] == str(due)
    assert rows[ids[reviewed["case_id"]]]["track"] == "ehc"
    overdue_due = add_months(today - timedelta(days=380), 12)
    assert rows[ids[overdue["case_id"]]]["next_due_on"] == str(overdue_due)  # overdue: first

    topics = [t for t, _ in await outbox_events(owner_url, ids[reviewed["case_id"]])]
    assert topics == [
        "referrals.live-plan-imported.v1",
        "referrals.family-contact-registered.v1",
        "referrals.child-identified.v1",  # for the plan plans holds (#22), which names them
        "referrals.phase-transfer-set.v1",  # the next move, worked out from the date of birth
    ]
    (_, imported), _, (_, child), _ = await outbox_events(owner_url, ids[reviewed["case_id"]])
    assert child["given_name"] == reviewed["child"]["given_name"]
    assert imported["needs"] == ["ASD", "SLCN"]
    assert imported["review_due"] == str(due)
    assert reviewed["case_id"] not in str(imported)  # ids and codes only
    assert reviewed["child"]["given_name"] not in str(imported)
    audited = await _count(
        owner_url,
        """SELECT count(*) FROM audit_log WHERE referral_id = $1 AND action = 'import'
           AND resource = 'live-plan' AND actor <> ''""",
        ids[reviewed["case_id"]],
    )
    assert audited == 1

    again = await manager.post(PATH, content=text, headers={"content-type": "text/csv"})
    assert again.status_code == 200, again.text
    assert (again.json()["added"], again.json()["unchanged"]) == (0, 2)
    assert {p["referral_id"] for p in again.json()["plans"]} == set(ids.values())
    stored = await _count(
        owner_url, "SELECT count(*) FROM live_plans WHERE case_id = ANY($1)", list(ids)
    )
    assert stored == 2


async def test_every_bad_row_is_named_by_line_and_column_and_nothing_is_stored(
    manager: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    good = plan()
    bad_need = plan(needs=["ASD", "XYZ"])
    late_review = plan(next_review_on=str(today + timedelta(days=400)))
    twice = plan(case_id=good["case_id"])
    text = as_csv(good, bad_need, late_review, twice)
    answer = await manager.post(PATH, content=text, headers={"content-type": "text/csv"})
    assert answer.status_code == 422, answer.text
    places = {tuple(d["loc"][1:]) for d in answer.json()["detail"]}
    assert places == {("line 3", "needs"), ("line 4", "next_review_on"), ("line 5", "case_id")}
    stored = await _count(
        owner_url, "SELECT count(*) FROM live_plans WHERE case_id = $1", good["case_id"]
    )
    assert stored == 0


async def test_json_names_each_bad_item_and_a_changed_row_is_refused(
    manager: httpx.AsyncClient,
    today: date,
) -> None:
    first = plan()
    made = await manager.post(PATH, json={"plans": [first]})
    assert made.status_code == 200, made.text
    changed = {**first, "needs": ["SEMH"]}
    future = plan(issued_on=str(today + timedelta(days=1)))
    answer = await manager.post(PATH, json={"plans": [changed, future]})
    assert answer.status_code == 422, answer.text
    locs = [d["loc"] for d in answer.json()["detail"]]
    assert ["body", "plans", 0, "case_id"] in locs
    assert ["body", "plans", 1, "issued_on"] in locs


async def test_a_council_the_manager_does_not_work_for_is_refused(
    manager: httpx.AsyncClient, app: FastAPI, identity: IdentityProvider
) -> None:
    answer = await manager.post(PATH, json={"plans": [plan(local_authority=BRADFORD)]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "plans", 0, "local_authority"]
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        refused = await caseworker.post(PATH, json={"plans": [plan()]})
    assert refused.status_code == 403


async def test_a_child_with_an_open_referral_is_not_brought_in_twice(
    manager: httpx.AsyncClient, app: FastAPI, identity: IdentityProvider
) -> None:
    number = nhs_number(702)
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        body = referral_body(nhs_number=number)
        made = await caseworker.post("/v1/referrals", json=body)
        assert made.status_code == 201, made.text
    child = {k: body["child"][k] for k in ("given_name", "family_name", "date_of_birth")}
    same = plan(child={**child, "postcode": "LS6 2AB", "nhs_number": number})
    answer = await manager.post(PATH, json={"plans": [same]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "plans", 0, "child"]
