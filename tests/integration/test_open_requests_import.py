"""Bringing a council's open requests (EHC needs assessments under way) into referrals (real
PostgreSQL, the application role, row-level security): each row an EHC referral in the caseload
on the statutory clock from its ``received_on`` at the stage its steps left it, its deadlines
from the recorded days; a bad file refused whole with every problem named; the same file again
changes nothing; the steps' events flagged ``earlier_system`` and audited."""

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
from referrals.statutory import Deadline, deadline_dates

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import (
    LEEDS,
    nhs_number,
    outbox_events,
    referrals_service,
    signed_in,
)

PATH = "/v1/live-plans/open-requests/import"
ADVICE = ["parent", "educational", "medical", "educational_psychology", "social_care"]


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("open_requests", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def manager(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-manager") as client:
        yield client


def day(days_ago: int) -> str:
    """The day ``days_ago`` days before today (London's, read at each call)."""
    return str(london_today() - timedelta(days=days_ago))


def request(**changes: Any) -> dict[str, Any]:
    marker = uuid4().hex[:8]
    item: dict[str, Any] = {
        "case_id": f"LCC-R-{marker}",
        "local_authority": LEEDS,
        "child": {
            "given_name": f"Given{marker}",
            "family_name": f"Family{marker}",
            "date_of_birth": "2017-03-04",
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "requested_by": "parent",
        "received_on": day(100),
        "needs": ["SPLD"],
    }
    item.update(changes)
    return item


COLUMNS = ["case_id", "local_authority", "child_given_name", "child_family_name",
           "child_date_of_birth", "child_postcode", "contact_name", "contact_email",
           "requested_by", "received_on", "needs", "assessment_decision",
           "assessment_decided_on", "plan_decision", "plan_decided_on",
           "draft_issued_on"]  # fmt: skip


def as_csv(*items: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in items:
        child, contact = i["child"], i["family_contact"]
        writer.writerow(
            [i["case_id"], i["local_authority"], child["given_name"], child["family_name"],
             child["date_of_birth"], child["postcode"], contact["name"], contact["email"],
             i["requested_by"], i["received_on"], " ".join(i["needs"]),
             *(i.get(c, "") for c in COLUMNS[11:])]
        )  # fmt: skip
    return out.getvalue()


async def _fetch(owner_url: str, sql: str, *args: Any) -> list[Any]:
    conn = await owner_connection(owner_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_requests_at_each_stage_are_on_the_clock_from_received_on(
    manager: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    received = request(received_on=day(20))
    assessing = request(assessment_decision="assess", assessment_decided_on=day(60),
                        advice_kinds=ADVICE, advice_requested_on=day(55))  # fmt: skip
    drafted = request(
        **assessing | {"case_id": f"LCC-R-{uuid4().hex[:8]}", "child": request()["child"]},
        advice_received_on=day(20), plan_decision="issue", plan_decided_on=day(10),
        draft_issued_on=day(5),
    )  # fmt: skip
    refused = request(assessment_decision="refuse", assessment_decided_on=day(70),
                      refusal_reason="needs_met_from_available_provision")  # fmt: skip
    document = {"requests": [received, assessing, drafted, refused]}
    answer = await manager.post(PATH, json=document)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["added"], answer.json()["unchanged"]) == (4, 0)
    ids = {r["case_id"]: r["referral_id"] for r in answer.json()["requests"]}

    stored = {
        str(r["referral_id"]): r
        for r in await _fetch(
            owner_url,
            "SELECT referral_id, stage, requested_on FROM ehc_requests WHERE referral_id = ANY($1)",
            [uuid for uuid in ids.values()],
        )
    }
    stages = [stored[ids[i["case_id"]]]["stage"] for i in document["requests"]]
    assert stages == ["assessment_requested", "assessing", "draft_plan_issued",
                      "assessment_refused"]  # fmt: skip
    clock = deadline_dates(date.fromisoformat(day(20)))
    caseload = (await manager.get("/v1/referrals", params={"limit": 200})).json()["items"]
    rows = {i["id"]: i for i in caseload}
    first = rows[ids[received["case_id"]]]
    assert (first["next_deadline"], first["next_due_on"]) == (
        "decision", str(clock[Deadline.DECISION][1])
    )  # fmt: skip
    final_due = deadline_dates(date.fromisoformat(day(100)))[Deadline.FINAL_PLAN][1]
    deadlines = await _fetch(
        owner_url,
        "SELECT kind, due_on, met_on, cancelled FROM deadlines WHERE referral_id = $1",
        ids[drafted["case_id"]],
    )
    by_kind = {d["kind"]: d for d in deadlines}
    assert by_kind["final_plan"]["due_on"] == final_due
    assert by_kind["final_plan"]["met_on"] is None
    assert by_kind["decision"]["met_on"] == date.fromisoformat(day(60))
    assert by_kind["draft_plan"]["met_on"] == date.fromisoformat(day(5))
    assert by_kind["advice:medical"]["due_on"] == date.fromisoformat(day(55)) + timedelta(42)
    assert by_kind["advice:medical"]["met_on"] == date.fromisoformat(day(20))
    refused_deadlines = await _fetch(
        owner_url,
        "SELECT kind FROM deadlines WHERE referral_id = $1 AND cancelled",
        ids[refused["case_id"]],
    )
    assert {d["kind"] for d in refused_deadlines} == {"issue_decision", "draft_plan", "final_plan"}

    events = await outbox_events(owner_url, ids[drafted["case_id"]])
    topics = [t for t, _ in events]
    # First, what plans holds the request's plan from (#22): codes and dates only.
    assert topics[0] == "referrals.open-request-imported.v1"
    for_plans = events[0][1]
    assert for_plans["needs"] == ["SPLD"]
    assert (for_plans["received_on"], for_plans["final_plan_due"]) == (
        day(100), str(final_due)
    )  # fmt: skip
    assert [a["kind"] for a in for_plans["advice_received"]] == ADVICE
    assert {a["received_on"] for a in for_plans["advice_received"]} == {day(20)}
    assert (for_plans["plan_decision"], for_plans["plan_decided_on"]) == ("issue", day(10))
    assert for_plans["draft_issued_on"] == day(5)
    assert for_plans["comments_due"] == str(today - timedelta(days=5) + timedelta(days=15))
    assert topics[2 : 7 + len(ADVICE)] == [
        "referrals.ehc-assessment-requested.v1",
        "referrals.assessment-decided.v1",
        "referrals.advice-requested.v1",
        *["referrals.advice-received.v1"] * len(ADVICE),
        "referrals.plan-issue-decided.v1",
        "referrals.draft-plan-issued.v1",
    ]
    timeline = await _fetch(
        owner_url, "SELECT step FROM timeline WHERE referral_id = $1", ids[drafted["case_id"]]
    )
    assert {t["step"] for t in timeline} >= {
        "ehc_assessment_requested", "assessment_decided", "draft_plan_issued"
    }  # fmt: skip
    # Then the child's name, on the topic only plans reads (its plan names the child).
    assert topics[1] == "referrals.child-identified.v1"
    assert events[1][1]["given_name"] == drafted["child"]["given_name"]
    steps = [payload for topic, payload in events[2:] if "contact" not in topic]
    assert all(p["earlier_system"] is True for p in steps)
    assert drafted["child"]["given_name"] not in str(events[2:])
    assert drafted["child"]["given_name"] not in str(events[0])
    audited = await _fetch(
        owner_url, "SELECT count(*) AS n FROM audit_log WHERE referral_id = $1",
        ids[drafted["case_id"]],
    )  # fmt: skip
    assert audited[0]["n"] >= 1

    again = await manager.post(PATH, json=document)
    assert again.status_code == 200, again.text
    assert (again.json()["added"], again.json()["unchanged"]) == (0, 4)
    changed = {**received, "received_on": day(21)}
    refused_again = await manager.post(PATH, json={"requests": [changed]})
    assert refused_again.status_code == 422, refused_again.text
    assert refused_again.json()["detail"][0]["loc"] == ["body", "requests", 0, "case_id"]


async def test_a_bad_file_is_refused_whole_with_every_problem_named(
    manager: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    good = request()
    draft_without_decision = request(
        assessment_decision="assess", assessment_decided_on=day(60), draft_issued_on=day(5)
    )
    future = request(received_on=str(today + timedelta(days=2)))
    decided_before_received = request(assessment_decision="assess",
                                      assessment_decided_on=day(120))  # fmt: skip
    text = as_csv(good, draft_without_decision, future, decided_before_received)
    answer = await manager.post(PATH, content=text, headers={"content-type": "text/csv"})
    assert answer.status_code == 422, answer.text
    places = [tuple(d["loc"][1:]) for d in answer.json()["detail"]]
    assert places == [
        ("line 3", "draft_issued_on"),
        ("line 4", "received_on"),
        ("line 5", "assessment_decided_on"),
    ]
    stored = await _fetch(
        owner_url, "SELECT 1 FROM open_requests WHERE case_id = $1", good["case_id"]
    )
    assert stored == []


async def test_only_managers_bring_requests_in(app: FastAPI, identity: IdentityProvider) -> None:
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        refused = await caseworker.post(PATH, json={"requests": [request()]})
    assert refused.status_code == 403


async def test_a_child_with_an_open_referral_here_is_not_brought_in_again(
    manager: httpx.AsyncClient,
) -> None:
    first = request()
    made = await manager.post(PATH, json={"requests": [first]})
    assert made.status_code == 200, made.text
    same_child = request(child=first["child"])  # another case id, the same child
    answer = await manager.post(PATH, json={"requests": [same_child]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "requests", 0, "child"]


async def test_a_case_id_or_a_childs_nhs_number_twice_in_a_file_is_named_at_the_second(
    manager: httpx.AsyncClient,
) -> None:
    first = request(child={**request()["child"], "nhs_number": nhs_number(811)})
    same_case = request(case_id=first["case_id"])
    same_child = request(child={**request()["child"], "nhs_number": nhs_number(811)})
    answer = await manager.post(PATH, json={"requests": [first, same_case, same_child]})
    assert answer.status_code == 422, answer.text
    locs = [d["loc"] for d in answer.json()["detail"]]
    assert locs == [
        ["body", "requests", 1, "case_id"],
        ["body", "requests", 2, "child", "nhs_number"],
    ]
